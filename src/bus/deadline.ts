/** A bound on how long something may take: handlers, services and requests of the runtime. */
import { TimeoutError } from '../errors.js';

/**
 * Settles like `promise`, or rejects with TimeoutError(`what`, ms) if it has not settled within
 * `ms`. The timer is cleared either way, so a settled promise leaves nothing pending.
 */
export function within<T>(promise: PromiseLike<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new TimeoutError(what, ms)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** Throws a clear TypeError unless `ms` is a usable bound (a finite number > 0). */
export function checkTimeout(ms: unknown, name: string): void {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0) {
    throw new TypeError(`${name} must be a finite number of ms > 0, got ${String(ms)}`);
  }
}
