/**
 * A job as a span (`job_entrypoint`, LiveKit's root span), from the job's creation to its result;
 * the sessions started in it are its children. Attributes: the job's id, agent name, room sid,
 * dispatch and worker (those that are set), its log context fields, and at the end its status and
 * shutdown reason; the room's name only with recordContent.
 */
import { SpanStatusCode, type Attributes, type Span } from '@opentelemetry/api';
import type { Job, JobResult } from '../job/job.js';
import type { JobContext } from '../job/job_context.js';
import { maskSecretValues } from '../log/redact.js';
import { contextAttributes } from './context_attributes.js';
import { endSpanAt, startSpanAt } from './span_time.js';
import { ATTR, SPAN } from './trace_names.js';
import { guarded, type TracingError } from './tracing_error.js';
import { currentTracing } from './tracing_options.js';

/** By the job's context, which is how a session finds its job. */
const jobSpans = new WeakMap<object, Span>();

/** The span of the job `ctx` belongs to, if it is traced. @internal */
export function jobSpanOf(ctx: JobContext<Record<string, unknown>>): Span | undefined {
  return jobSpans.get(ctx);
}

/**
 * Traces `job` from now to its result. Called once, when the job is created; a failure of the
 * tracer is logged with the job's fields and is its `error` event (source "telemetry"), never the
 * job's failure.
 */
export function traceJob<UserData extends Record<string, unknown>>(job: Job<UserData>): void {
  const report = (error: TracingError) => {
    job.ctx.logger.error({ err: error, source: 'telemetry' }, error.message);
    job.ctx.emit('error', { type: 'error', error, source: 'telemetry' });
  };
  guarded('the job', report, () => {
    const { tracer, recordContent } = currentTracing();
    const info = job.ctx.job;
    const attributes: Attributes = { [ATTR.jobId]: info.id };
    if (info.agentName !== '') attributes[ATTR.agentName] = info.agentName;
    if (info.room.sid !== '') attributes[ATTR.roomSid] = info.room.sid;
    if (info.dispatchId !== '') attributes[ATTR.dispatchId] = info.dispatchId;
    if (info.workerId !== '') attributes[ATTR.workerId] = info.workerId;
    if (recordContent) attributes[ATTR.roomName] = maskSecretValues(info.room.name);
    const startedAt = Date.now();
    const span = startSpanAt(tracer, SPAN.job, undefined, startedAt, attributes);
    jobSpans.set(job.ctx, span);
    void job.result.then(
      guarded("the job's end", report, (result: JobResult) => {
        // Set now: the entrypoint usually sets them after the job has started.
        span.setAttributes(contextAttributes(job.ctx.logContextFields));
        span.setAttributes({ [ATTR.jobStatus]: result.status, [ATTR.shutdownReason]: maskSecretValues(result.reason) });
        if (result.error) {
          span.setAttribute(ATTR.errorType, result.error.code);
          span.setStatus({ code: SpanStatusCode.ERROR, ...(recordContent ? { message: result.error.message } : {}) });
        }
        endSpanAt(span, startedAt, Date.now());
      }),
    );
  })();
}
