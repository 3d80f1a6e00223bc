/**
 * Tracing failed (a tracer, a span processor or an exporter threw while voxstate observed a job or
 * a session). The job or session goes on untouched: the failure is reported as its `error` event
 * (source "telemetry") and logged.
 */
import { VoxstateError, describe } from '../errors.js';

export class TracingError extends VoxstateError {
  constructor(
    /** What was being traced, e.g. "the session's speech_created". */
    readonly what: string,
    cause: unknown,
  ) {
    super('tracing_failed', `tracing ${what} failed: ${describe(cause)}`, { cause });
  }
}

/** Where a tracing failure goes: the traced object's log and `error` event. */
export type TracingFailureSink = (error: TracingError) => void;

/**
 * `fn`, made safe to run inside the traced object's own machinery (an event listener, an actor
 * subscription, a promise callback): whatever it throws is given to `sink` as a TracingError,
 * never thrown into the caller.
 */
export function guarded<A extends unknown[]>(what: string, sink: TracingFailureSink, fn: (...args: A) => void): (...args: A) => void {
  return (...args: A) => {
    try {
      fn(...args);
    } catch (cause) {
      sink(new TracingError(what, cause));
    }
  };
}
