/**
 * Logging with pino. Each job gets a child logger carrying its id and the fields the entrypoint
 * puts in `ctx.logContextFields`; `log()` returns the logger of the job the caller runs in
 * (found through AsyncLocalStorage), so library code and user code log with the job's fields.
 */
import { AsyncResource } from 'node:async_hooks';
import { createRequire } from 'node:module';
import { pino, type DestinationStream, type LogFn, type Logger, type LoggerOptions } from 'pino';
import { runScoped, scoped, scopeKey } from '../async_scope.js';
import { VoxstateError } from '../errors.js';
import { maskSecretValues, redactSecrets } from './redact.js';

export type { Logger };

/** The levels a logger can be set to, quietest last. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** LOG_LEVEL when it names a level; otherwise (unset, empty, a typo) info. */
function environmentLevel(): string {
  const level = process.env.LOG_LEVEL;
  return level !== undefined && (LOG_LEVELS as readonly string[]).includes(level) ? level : 'info';
}

/** Options every voxstate logger shares: secrets redacted, errors serialised. */
export function loggerOptions(overrides: LoggerOptions = {}): LoggerOptions {
  return {
    level: environmentLevel(),
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
// A level that is not one stops nothing: the program logs at info and says why.
if (process.env.LOG_LEVEL && environmentLevel() !== process.env.LOG_LEVEL) {
  root.warn(`LOG_LEVEL=${JSON.stringify(process.env.LOG_LEVEL)} is not a log level (${LOG_LEVELS.join(', ')}): logging at info`);
}

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

/** How initializeLogger sets up logging (agents-js's LoggerOptions). */
export interface InitializeLoggerOptions {
  /** Human-readable lines (pino-pretty) instead of JSON. */
  pretty: boolean;
  /** One of LOG_LEVELS (default 'info'). */
  level?: string;
}

// Loaded on first use, synchronously (initializeLogger is): a JSON logger never pays for it.
const load = createRequire(import.meta.url);

/**
 * A logger for a terminal or a file: JSON lines, or pretty ones written in this thread (a
 * transport's worker thread could lose the last lines at exit). Throws a VoxstateError
 * (invalid_log_level) for a level that is not one of LOG_LEVELS.
 */
export function streamLogger({ pretty, level = 'info' }: InitializeLoggerOptions, stream: NodeJS.WritableStream): Logger {
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new VoxstateError('invalid_log_level', `the log level must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(level)}`);
  }
  if (!pretty) return createLogger(stream as unknown as DestinationStream, { level });
  const prettyStream = load('pino-pretty') as typeof import('pino-pretty');
  return createLogger(prettyStream({ destination: stream, colorize: (stream as { isTTY?: boolean }).isTTY === true, sync: true }), { level });
}

/**
 * Sets up voxstate's logging, as agents-js's `initializeLogger` (its tests call it first): the
 * process-wide logger becomes a pretty or JSON one at `level`, on stderr, with voxstate's secret
 * redaction. Calling it is optional in voxstate: logging works (JSON, LOG_LEVEL) without it.
 *
 * @example
 * ```ts
 * initializeLogger({ pretty: true, level: 'debug' });
 * log().info('ready');
 * ```
 */
export function initializeLogger(options: InitializeLoggerOptions): void {
  setRootLogger(streamLogger(options, process.stderr));
}

/** Where a job keeps its current logger; replaced when the job's log context fields change. */
export interface LogScope {
  logger: Logger;
}

const LOG_SCOPE = scopeKey<LogScope>('log scope');

/** Runs `fn` so that `log()` inside it (and in everything it awaits) returns `holder.logger`. */
export function withLogScope<T>(holder: LogScope, fn: () => T): T {
  return runScoped(LOG_SCOPE, holder, fn);
}

/** Runs `fn(...args)` in an async context kept earlier (see keepLogScope). */
export type ScopeRunner = <R, A extends unknown[]>(fn: (...args: A) => R, ...args: A) => R;

/**
 * The caller's async context — its log scope (a job's) and every other AsyncLocalStorage store —
 * kept, to run code in later from anywhere (e.g. a listener the job registered, called by a room
 * event that came from outside); undefined outside any log scope, where there is nothing to keep.
 */
export function keepLogScope(): ScopeRunner | undefined {
  if (scoped(LOG_SCOPE) === undefined) return undefined;
  // What AsyncLocalStorage.snapshot() keeps (a resource made now carries every store), without the
  // properties its bound function defines: 3.8 KB a listener on Node 20, against 0.2 KB.
  const context = new AsyncResource('voxstate.scope');
  return <R, A extends unknown[]>(fn: (...args: A) => R, ...args: A): R => context.runInAsyncScope(fn, undefined, ...args);
}

/** The logger of the job the caller runs in, or the process-wide logger outside any job. */
export function log(): Logger {
  return scoped(LOG_SCOPE)?.logger ?? root;
}
