/**
 * The agent's speeches, as `agent_turn` spans (LiveKit's name): from the speech's creation to its
 * end (played out, interrupted or failed). A reply to a user turn is a child of that turn, a reply
 * to tool outputs a child of the turn its first reply answered; anything else (a say(), a reply the
 * application asked for) a child of the activation in charge. The model requests and tool calls of
 * a speech are its children.
 */
import { SpanStatusCode, type Span } from '@opentelemetry/api';
import type { TurnMetrics } from '../metrics/agent_metrics.js';
import { VoxstateError, describe } from '../errors.js';
import { maskSecretValues } from '../log/redact.js';
import type { SpeechHandle } from '../speech/speech_handle.js';
import type { ActivationSpans } from './activation_spans.js';
import type { SessionTrace } from './session_trace.js';
import { endSpanAt, seconds, startSpanAt } from './span_time.js';
import { ATTR, SPAN } from './trace_names.js';
import type { UserTurn, UserTurnSpans } from './user_turn_spans.js';

interface AgentTurn {
  readonly speech: SpeechHandle;
  readonly span: Span;
  readonly startedAt: number;
  /** The user turn it answers, if any. */
  readonly turn: UserTurn | undefined;
  ended: boolean;
}

export class AgentTurnSpans {
  readonly #trace: SessionTrace;
  readonly #activations: ActivationSpans;
  readonly #userTurns: UserTurnSpans;
  /** The speeches not yet ended, by id. */
  readonly #live = new Map<string, AgentTurn>();
  /** Every speech's, for the replies to its tool outputs (which may come once it has ended). */
  readonly #of = new WeakMap<SpeechHandle, AgentTurn>();
  #latest: AgentTurn | undefined;

  constructor(trace: SessionTrace, activations: ActivationSpans, userTurns: UserTurnSpans) {
    this.#trace = trace;
    this.#activations = activations;
    this.#userTurns = userTurns;
  }

  created(speech: SpeechHandle, at: number): void {
    let turn: UserTurn | undefined;
    if (speech.source === 'tool_response') {
      turn = speech.parent && this.#of.get(speech.parent)?.turn;
      if (turn) this.#userTurns.continued(turn);
    } else if (speech.source === 'generate_reply') {
      turn = this.#userTurns.answer();
    }
    const span = startSpanAt(this.#trace.tracer, SPAN.agentTurn, turn?.span ?? this.#activations.current ?? this.#trace.span, at, {
      [ATTR.speechId]: speech.id,
      [ATTR.speechSource]: speech.source,
      [ATTR.speechStep]: speech.step,
      ...(this.#trace.session.currentAgent ? { [ATTR.agentLabel]: this.#trace.session.currentAgent.id } : {}),
    });
    const record: AgentTurn = { speech, span, startedAt: at, turn, ended: false };
    this.#live.set(speech.id, record);
    this.#of.set(speech, record);
    this.#latest = record;
    speech.addDoneCallback(this.#trace.guard("a speech's end", () => this.#end(record, Date.now())));
  }

  /**
   * The span of the speech a model's request or a tool call belongs to: the one it names, else the
   * speech holding the output (where a reply's LLM and TTS requests run), else the latest speech
   * (a request cancelled by an interruption may report once its speech has ended).
   */
  spanFor(speechId: string | undefined): Span | undefined {
    const named = speechId === undefined ? undefined : this.#live.get(speechId);
    const current = this.#trace.session.currentSpeech;
    return (named ?? (current && this.#live.get(current.id)) ?? this.#latest)?.span;
  }

  /** The latencies of the user turn a speech answers, measured at its first audio. */
  measured(metrics: TurnMetrics): void {
    const record = this.#live.get(metrics.speechId);
    if (!record) return;
    record.span.setAttribute(ATTR.e2eLatency, seconds(metrics.e2eLatencyMs));
    if (record.turn) this.#userTurns.measured(record.turn, metrics);
  }

  close(at: number): void {
    for (const record of [...this.#live.values()]) this.#end(record, at);
  }

  #end(record: AgentTurn, at: number): void {
    if (record.ended) return;
    record.ended = true;
    this.#live.delete(record.speech.id);
    const { speech, span } = record;
    span.setAttribute(ATTR.interrupted, speech.interrupted);
    if (speech.error !== undefined) {
      span.setAttribute(ATTR.errorType, speech.error instanceof VoxstateError ? speech.error.code : 'error');
      span.setStatus({ code: SpanStatusCode.ERROR, ...(this.#trace.recordContent ? { message: maskSecretValues(describe(speech.error)) } : {}) });
    }
    endSpanAt(span, record.startedAt, at);
    if (record.turn) this.#userTurns.replyEnded(record.turn, at);
  }
}
