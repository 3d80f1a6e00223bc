/**
 * Traces an AgentSession by listening to what it reports, never from inside its work: audio
 * frames and tokens never reach these listeners, and no span is opened per frame or token. The
 * tree, under the job's span when the session runs in a job (else under the application's active
 * span, or as a trace of its own):
 *
 *   agent_session                       lk.job_id, lk.agent_name, voxstate.context.*, lk.close_reason
 *   ├─ agent_activity                   lk.agent_label (events: paused, resumed)
 *   │  ├─ on_enter / on_exit
 *   │  ├─ user_turn                     lk.transcription_delay, lk.end_of_turn_delay, lk.e2e_latency
 *   │  │  ├─ stt_request                voxstate.stt.label, lk.transcription_delay
 *   │  │  └─ agent_turn                 lk.speech_id, voxstate.speech.source, lk.interrupted
 *   │  │     ├─ llm_request             gen_ai.request.model, lk.response.ttft, gen_ai.usage.*
 *   │  │     ├─ function_tool           lk.function_tool.name, lk.function_tool.is_error
 *   │  │     └─ tts_request             lk.tts.label, lk.response.ttfb
 *   │  ├─ agent_turn                    (a say(), a reply without a user turn)
 *   │  └─ agent_activity                (an AgentTask over the agent it paused)
 *   └─ (events: agent_handoff, stt_metrics, exception)
 *
 * Everything open when the session closes ends with it.
 */
import { SpanStatusCode, type Attributes } from '@opentelemetry/api';
import type { AnyActorRef } from 'xstate';
import type { Agent } from '../agent/agent.js';
import { currentJobContext } from '../job/job_scope.js';
import { log } from '../log/logger.js';
import type { AgentSession } from '../session/agent_session.js';
import type { AgentMetrics, AgentSessionEvents, CloseEvent, ErrorEvent } from '../session/events.js';
import { ActivationSpans } from './activation_spans.js';
import { AgentTurnSpans } from './agent_turn_spans.js';
import { contextAttributes } from './context_attributes.js';
import { jobSpanOf } from './job_tracing.js';
import { llmRequestSpan, sttMetricsEvent, ttsRequestSpan } from './request_spans.js';
import type { SessionTrace } from './session_trace.js';
import { endSpanAt, hrTime, startSpanAt } from './span_time.js';
import { ToolSpans } from './tool_spans.js';
import { ATTR, EVENT, SPAN } from './trace_names.js';
import { guarded, type TracingError } from './tracing_error.js';
import { currentTracing } from './tracing_options.js';
import { UserTurnSpans } from './user_turn_spans.js';

type Listeners = { [K in keyof AgentSessionEvents]?: AgentSessionEvents[K] };

/** The traced sessions, with their activations (undefined when tracing could not start, or once closed). */
const traced = new WeakMap<AgentSession, ActivationSpans | undefined>();

/**
 * Traces `session` from now until it closes, with the tracer of setTracing() (by default the
 * global provider's, a no-op without an SDK). AgentSession calls it once, as it starts (before
 * its agent enters); a second call does nothing. A failure of the tracer is logged and is the
 * session's `error` event (source "telemetry"); it never disturbs the session.
 */
export function traceSession(session: AgentSession): void {
  if (traced.has(session)) return;
  traced.set(session, undefined);
  const report = (error: TracingError) => {
    log().error({ err: error, source: 'telemetry' }, error.message);
    session.emit('error', { type: 'error', error, source: 'telemetry', createdAt: Date.now() });
  };
  guarded('the session', report, () => traced.set(session, observe(session, report)))();
}

/**
 * `agent` entered in `session` (its onEnter runs), its activation being `actor`: the start of an
 * `agent_activity` span. The session's agent stack calls it for every agent it enters.
 */
export function traceActivation(session: AgentSession, agent: Agent, actor: AnyActorRef): void {
  traced.get(session)?.entered(agent, actor, Date.now());
}

function observe(session: AgentSession, report: (error: TracingError) => void): ActivationSpans | undefined {
  const { tracer, recordContent } = currentTracing();
  const job = currentJobContext();
  const startedAt = Date.now();
  const attributes: Attributes = {};
  if (job) {
    attributes[ATTR.jobId] = job.job.id;
    if (job.job.agentName !== '') attributes[ATTR.agentName] = job.job.agentName;
    Object.assign(attributes, contextAttributes(job.logContextFields));
  }
  const span = startSpanAt(tracer, SPAN.session, job && jobSpanOf(job), startedAt, attributes);
  // No SDK (or a sampler that drops the trace): nothing would be recorded, so nothing is observed.
  if (!span.isRecording()) return undefined;
  if (job) jobSpanOf(job)?.setAttributes(contextAttributes(job.logContextFields));
  const trace: SessionTrace = { session, tracer, recordContent, span, guard: (what, fn) => guarded(what, report, fn) };
  const activations = new ActivationSpans(trace);
  const userTurns = new UserTurnSpans(trace, activations);
  const agentTurns = new AgentTurnSpans(trace, activations, userTurns);
  const tools = new ToolSpans(trace);

  const metricsCollected = (metrics: AgentMetrics, at: number) => {
    switch (metrics.type) {
      case 'llm_metrics':
      case 'tts_metrics':
      case 'realtime_model_metrics': {
        const speechId = 'speechId' in metrics ? metrics.speechId : undefined;
        const parent = agentTurns.spanFor(speechId) ?? userTurns.awaiting?.span ?? activations.current ?? span;
        if (metrics.type === 'tts_metrics') ttsRequestSpan(trace, parent, metrics);
        else llmRequestSpan(trace, parent, metrics, at);
        return;
      }
      case 'turn_metrics':
        return agentTurns.measured(metrics);
      case 'stt_metrics':
        return sttMetricsEvent(trace, metrics);
      default:
      // VAD reports are periodic CPU use, not requests.
    }
  };

  const errorReported = (event: ErrorEvent) => {
    // The tracer's own failures are not recorded with the tracer.
    if (event.source === 'telemetry') return;
    const attributes: Attributes = { [ATTR.exceptionType]: event.error.code, [ATTR.errorSource]: event.source };
    if (recordContent) attributes[ATTR.exceptionMessage] = event.error.message;
    span.addEvent(EVENT.exception, attributes, hrTime(event.createdAt));
  };

  const listeners: Listeners = {
    user_state_changed: (event) => userTurns.userStateChanged(event.oldState, event.newState, event.createdAt),
    user_input_transcribed: (event) => {
      if (event.isFinal) userTurns.transcribed(event.createdAt);
    },
    conversation_item_added: ({ item, createdAt }) => {
      if (item.type === 'agent_handoff') activations.handedOver(item, createdAt);
      else userTurns.committed(item, createdAt);
    },
    speech_created: (event) => agentTurns.created(event.speechHandle, event.createdAt),
    function_tool_started: (event) => tools.started(event, agentTurns.spanFor(event.speechId) ?? activations.current ?? span),
    function_tool_completed: (event) => tools.completed(event),
    metrics_collected: (event) => metricsCollected(event.metrics, event.createdAt),
    error: errorReported,
    close: (event) => closed(event),
  };

  const registered: Array<[keyof AgentSessionEvents, (...args: never[]) => void]> = [];
  for (const [name, listener] of Object.entries(listeners) as Array<[keyof AgentSessionEvents, (event: never) => void]>) {
    const safe = trace.guard(`the session's ${name}`, listener);
    session.on(name, safe as never);
    registered.push([name, safe]);
  }

  const closed = (event: CloseEvent) => {
    traced.set(session, undefined);
    for (const [name, listener] of registered) session.off(name, listener as never);
    const at = event.createdAt;
    tools.close(at);
    agentTurns.close(at);
    userTurns.close(at);
    activations.close(at);
    span.setAttribute(ATTR.closeReason, event.reason);
    if (event.error) {
      span.setAttribute(ATTR.errorType, event.error.code);
      span.setStatus({ code: SpanStatusCode.ERROR, ...(recordContent ? { message: event.error.message } : {}) });
    }
    endSpanAt(span, startedAt, at);
  };
  return activations;
}
