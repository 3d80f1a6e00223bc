/**
 * How providers connect: each attempt is bounded by `timeoutMs`; a failure that may pass (dropped
 * connection, HTTP 429 or 5xx, timeout) is retried up to `maxRetry` times, `retryIntervalMs`
 * apart, each retry reported as a recoverable error; then the call fails with an unrecoverable
 * ProviderError. A caller's abort is never retried.
 */
import { ProviderError } from './provider_error.js';

export interface ConnOptions {
  maxRetry: number;
  retryIntervalMs: number;
  timeoutMs: number;
}

export const DEFAULT_CONN_OPTIONS: ConnOptions = { maxRetry: 3, retryIntervalMs: 2_000, timeoutMs: 10_000 };

export interface RetryOptions {
  provider: string;
  conn?: Partial<ConnOptions>;
  /** The caller's signal: aborting it stops at once, without retrying. */
  signal?: AbortSignal;
  /** Told of each failed attempt that will be retried. */
  onRetry?: (error: ProviderError, attempt: number) => void;
  /** Turns whatever an attempt threw into a ProviderError (recoverable or not). */
  classify: (error: unknown) => ProviderError;
}

/** Runs `attempt` with a per-attempt signal (the caller's, plus the attempt timeout) under the retry policy. */
export async function withRetries<T>(options: RetryOptions, attempt: (signal: AbortSignal, index: number) => Promise<T>): Promise<T> {
  const conn = { ...DEFAULT_CONN_OPTIONS, ...options.conn };
  for (let index = 0; ; index++) {
    options.signal?.throwIfAborted();
    const timeout = new AbortController();
    const timer = setTimeout(
      () => timeout.abort(new ProviderError(options.provider, true, `no answer within ${conn.timeoutMs} ms`)),
      conn.timeoutMs,
    );
    const signal = options.signal ? AbortSignal.any([options.signal, timeout.signal]) : timeout.signal;
    try {
      return await attempt(signal, index);
    } catch (thrown) {
      if (options.signal?.aborted) throw options.signal.reason ?? thrown;
      const error = timeout.signal.aborted ? (timeout.signal.reason as ProviderError) : options.classify(thrown);
      if (!error.recoverable || index >= conn.maxRetry) {
        throw error.recoverable
          ? new ProviderError(options.provider, false, `${error.message.replace(`${options.provider}: `, '')} (after ${index + 1} attempts)`, {
              cause: error,
              status: error.status,
            })
          : error;
      }
      options.onRetry?.(error, index + 1);
      await delay(conn.retryIntervalMs, options.signal);
    } finally {
      clearTimeout(timer);
    }
  }
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', abort);
      resolve();
    }, ms);
    const abort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', abort, { once: true });
  });
}
