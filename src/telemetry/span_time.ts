/**
 * Times for spans. voxstate's spans are made from what the session reports, often after the fact
 * (a model's request from its measurements), so every start and end is given explicitly, from
 * `Date.now()` and the events' own dates: one clock for all of them (the one tests fake), never the
 * SDK's own.
 */
import { ROOT_CONTEXT, context, trace, type Attributes, type HrTime, type Span, type Tracer } from '@opentelemetry/api';

/** Milliseconds since the epoch (fractions allowed) as OpenTelemetry's [seconds, nanoseconds]. */
export function hrTime(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.min(999_999_999, Math.round((ms - seconds * 1000) * 1e6))];
}

/** A duration in ms as seconds, the unit of LiveKit's latency attributes. */
export function seconds(ms: number): number {
  return ms / 1000;
}

/**
 * Starts span `name` at `atMs`: a child of `parent`, or, without one, of whatever span is active
 * where the caller runs (an application's own span around its entrypoint).
 */
export function startSpanAt(tracer: Tracer, name: string, parent: Span | undefined, atMs: number, attributes?: Attributes): Span {
  const parentContext = parent ? trace.setSpan(ROOT_CONTEXT, parent) : context.active();
  return tracer.startSpan(name, { startTime: hrTime(atMs), ...(attributes ? { attributes } : {}) }, parentContext);
}

/** Ends `span` at `atMs`, never before `startMs` (dates from different reports may cross by a ms). */
export function endSpanAt(span: Span, startMs: number, atMs: number): void {
  span.end(hrTime(Math.max(startMs, atMs)));
}
