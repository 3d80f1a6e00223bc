/**
 * Middleware: an ordered chain every emitted event goes through before its handlers run. Each one
 * observes the event (returns nothing), transforms it (returns another event, possibly of another
 * type) or drops it (returns null). Middleware are synchronous on purpose: the chain runs inside
 * `emit`, so events reach their handlers in the order they were emitted, and no event waits for
 * another's middleware.
 */
import { VoxstateError, describe } from '../errors.js';
import type { RuntimeEvent } from './registry.js';

/**
 * Sees every event before its handlers: return `undefined` to pass it on unchanged, another event
 * to pass that on instead, or `null` to drop it.
 */
export type Middleware = (event: RuntimeEvent) => RuntimeEvent | null | undefined | void;

/** A middleware threw; the event went on as it was before that middleware. */
export class MiddlewareError extends VoxstateError {
  constructor(
    readonly middleware: string,
    readonly eventType: string,
    cause: unknown,
  ) {
    super('middleware_failed', `middleware ${middleware} failed on "${eventType}": ${describe(cause)}`, { cause });
  }
}

/**
 * Runs `event` through `chain`, in order; returns what comes out, or null when dropped. A
 * middleware that throws is reported through `fail` and skipped: one faulty observer must not
 * lose events for everyone.
 */
export function applyMiddleware(
  chain: readonly Middleware[],
  event: RuntimeEvent,
  fail: (error: MiddlewareError) => void,
): RuntimeEvent | null {
  let current = event;
  for (let i = 0; i < chain.length; i++) {
    const middleware = chain[i]!;
    let next: RuntimeEvent | null | undefined | void;
    try {
      next = middleware(current);
    } catch (error) {
      fail(new MiddlewareError(middleware.name || `#${i + 1}`, current.type, error));
      continue;
    }
    if (next === null) return null;
    if (next !== undefined) {
      if (typeof next !== 'object' || typeof next.type !== 'string') {
        fail(new MiddlewareError(middleware.name || `#${i + 1}`, current.type, new TypeError('returned something that is not an event { type, payload }')));
        continue;
      }
      current = next;
    }
  }
  return current;
}

