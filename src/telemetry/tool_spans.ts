/**
 * Tool calls as `function_tool` spans (LiveKit's name) under the speech whose LLM step asked for
 * them, from `function_tool_started` to `function_tool_completed`. Names, ids and whether it
 * failed always; arguments and output only with recordContent (they are the user's data).
 */
import { SpanStatusCode, type Span } from '@opentelemetry/api';
import { maskSecretValues } from '../log/redact.js';
import type { FunctionToolCompletedEvent, FunctionToolStartedEvent } from '../session/events.js';
import type { SessionTrace } from './session_trace.js';
import { endSpanAt, startSpanAt } from './span_time.js';
import { ATTR, SPAN } from './trace_names.js';

export class ToolSpans {
  readonly #trace: SessionTrace;
  /** The calls under way, by speech and call id (an LLM's call ids are its own, not unique in a session). */
  readonly #running = new Map<string, { span: Span; startedAt: number }>();

  constructor(trace: SessionTrace) {
    this.#trace = trace;
  }

  started(event: FunctionToolStartedEvent, parent: Span): void {
    const { tracer, recordContent } = this.#trace;
    const span = startSpanAt(tracer, SPAN.tool, parent, event.createdAt, {
      [ATTR.operationName]: 'execute_tool',
      [ATTR.toolId]: event.callId,
      [ATTR.toolName]: event.name,
      [ATTR.genAiToolCallId]: event.callId,
      [ATTR.genAiToolName]: event.name,
    });
    if (recordContent) span.setAttribute(ATTR.toolArguments, maskSecretValues(event.arguments));
    this.#running.set(key(event), { span, startedAt: event.createdAt });
  }

  completed(event: FunctionToolCompletedEvent): void {
    const running = this.#running.get(key(event));
    if (!running) return;
    this.#running.delete(key(event));
    const { span, startedAt } = running;
    span.setAttribute(ATTR.toolIsError, event.isError);
    if (this.#trace.recordContent) span.setAttribute(ATTR.toolOutput, maskSecretValues(event.output));
    if (event.isError) {
      span.setAttribute(ATTR.errorType, event.error?.code ?? 'tool_error');
      span.setStatus({ code: SpanStatusCode.ERROR, ...(this.#trace.recordContent ? { message: maskSecretValues(event.output) } : {}) });
    }
    endSpanAt(span, startedAt, event.createdAt);
  }

  /** The session closed with calls still running: they end now. */
  close(at: number): void {
    for (const { span, startedAt } of this.#running.values()) endSpanAt(span, startedAt, at);
    this.#running.clear();
  }
}

function key(event: { speechId: string; callId: string }): string {
  return `${event.speechId} ${event.callId}`;
}
