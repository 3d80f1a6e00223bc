/**
 * Logging with pino. Each job gets a child logger carrying its id and the fields the entrypoint
 * puts in `ctx.logContextFields`; `log()` returns the logger of the job the caller runs in
 * (found through AsyncLocalStorage), so library code and user code log with the job's fields.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type DestinationStream, type LogFn, type Logger, type LoggerOptions } from 'pino';
import { maskSecretValues, redactSecrets } from './redact.js';

export type { Logger };

/** Options every voxstate logger shares: secrets redacted, errors serialised. */
export function loggerOptions(overrides: LoggerOptions = {}): LoggerOptions {
  return {
    level: process.env.LOG_LEVEL ?? 'info',
    base: { pid: process.pid },
    // pino's own error serializer would undo it: the log formatter below already turns errors
    // (with their cause and stack) into plain data, with secrets redacted.
    serializers: { err: (value: unknown) => value },
    formatters: {
      log: (object) => redactSecrets(object) as Record<string, unknown>,
    },
    // The message and its interpolated values never pass the formatter above.
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((arg) => (typeof arg === 'string' ? maskSecretValues(arg) : arg)) as Parameters<LogFn>);
      },
    },
    ...overrides,
  };
}

let root: Logger = pino(loggerOptions(), pino.destination(2));

/** The process-wide logger (stderr, JSON). */
export function rootLogger(): Logger {
  return root;
}

/** Replaces the process-wide logger, e.g. with pretty output in console mode or a test stream. */
export function setRootLogger(logger: Logger): void {
  root = logger;
}

/** A logger writing to `stream`, with voxstate's options. */
export function createLogger(stream: DestinationStream, overrides: LoggerOptions = {}): Logger {
  return pino(loggerOptions(overrides), stream);
}

/** Where a job keeps its current logger; replaced when the job's log context fields change. */
export interface LogScope {
  logger: Logger;
}

const scope = new AsyncLocalStorage<LogScope>();

/** Runs `fn` so that `log()` inside it (and in everything it awaits) returns `holder.logger`. */
export function withLogScope<T>(holder: LogScope, fn: () => T): T {
  return scope.run(holder, fn);
}

/** The logger of the job the caller runs in, or the process-wide logger outside any job. */
export function log(): Logger {
  return scope.getStore()?.logger ?? root;
}
