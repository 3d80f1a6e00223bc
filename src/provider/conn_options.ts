/**
 * How providers connect: each attempt is bounded by `timeoutMs`; a failure that may pass (dropped
 * connection, HTTP 429 or 5xx, timeout) is retried up to `maxRetry` times, `retryIntervalMs`
 * apart, each retry reported as a recoverable error; then the call fails with an unrecoverable
 * ProviderError. A caller's abort is never retried. A connection that drops after it was made is
 * reconnected by ReconnectPolicy: with backoff, at most `maxRetry` times within a time window.
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
      await sleep(conn.retryIntervalMs, options.signal);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Drops of a long-lived connection within this window count against `maxRetry`. */
export const RECONNECT_WINDOW_MS = 60_000;
/** The longest wait before reconnecting. */
export const MAX_RECONNECT_DELAY_MS = 30_000;

/**
 * When a long-lived stream (a live STT socket) may reconnect after its connection dropped. Drops
 * are counted over the last RECONNECT_WINDOW_MS, never reset by a success: a server that accepts,
 * answers once and closes would otherwise be reconnected to at once, forever. The first drop in the
 * window reconnects at once (a single drop is usually just that); the n-th waits
 * retryIntervalMs × 2^(n−2), at most MAX_RECONNECT_DELAY_MS; the drop after `maxRetry` of them
 * within the window gives up.
 */
export class ReconnectPolicy {
  readonly #conn: ConnOptions;
  readonly #now: () => number;
  /** When the drops of the window happened. */
  #drops: number[] = [];

  constructor(conn: Partial<ConnOptions> | undefined, now: () => number = () => performance.now()) {
    this.#conn = { ...DEFAULT_CONN_OPTIONS, ...conn };
    this.#now = now;
  }

  /** Drops within the window, the last one included. */
  get recentDrops(): number {
    return this.#drops.length;
  }

  /** Counts a drop; returns how long to wait before reconnecting (ms), or undefined to give up. */
  drop(): number | undefined {
    const now = this.#now();
    this.#drops = this.#drops.filter((at) => now - at < RECONNECT_WINDOW_MS);
    this.#drops.push(now);
    const n = this.#drops.length;
    if (n > this.#conn.maxRetry) return undefined;
    return n === 1 ? 0 : Math.min(this.#conn.retryIntervalMs * 2 ** (n - 2), MAX_RECONNECT_DELAY_MS);
  }
}

/** Resolves after `ms`; rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
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
