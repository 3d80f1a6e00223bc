/**
 * The user's turns, as `user_turn` spans under the activation in charge: a turn begins when the
 * user starts speaking (or with their typed message) and ends when the last reply to it has ended
 * (a reply, its replies to tool outputs). A spoken turn has an `stt_request` child, from the start
 * of the speech to its final transcript. A turn the agent does not answer (StopResponse, a turn
 * over a speech that could not be interrupted) ends where it was committed, once the next one is.
 *
 * Voxstate's user_turn holds the replies, so that one turn's latencies nest in one subtree;
 * LiveKit's ends at the end of the user's turn, beside its agent_turn.
 *
 * The spans are made when the turn is committed (the user's message enters the history), dated
 * from what was seen before: speech that never became a turn (a cough, speech over the agent
 * without words) makes no span.
 */
import type { Span } from '@opentelemetry/api';
import type { TurnMetrics } from '../metrics/agent_metrics.js';
import type { ChatMessage } from '../llm/chat_context.js';
import { maskSecretValues } from '../log/redact.js';
import type { UserState } from '../session/events.js';
import type { ActivationSpans } from './activation_spans.js';
import type { SessionTrace } from './session_trace.js';
import { endSpanAt, seconds, startSpanAt } from './span_time.js';
import { ATTR, SPAN } from './trace_names.js';

/** The user's speech that is not yet a turn. */
interface Speech {
  startedAt: number;
  endedAt: number | undefined;
  finalAt: number | undefined;
}

/** A committed turn. @internal */
export interface UserTurn {
  readonly span: Span;
  readonly startedAt: number;
  readonly committedAt: number;
  /** Replies under way. */
  replies: number;
  ended: boolean;
}

export class UserTurnSpans {
  readonly #trace: SessionTrace;
  readonly #activations: ActivationSpans;
  #speech: Speech | undefined;
  /** The turn committed and not yet answered: the next reply answers it. */
  #awaiting: UserTurn | undefined;
  readonly #answering = new Set<UserTurn>();

  constructor(trace: SessionTrace, activations: ActivationSpans) {
    this.#trace = trace;
    this.#activations = activations;
  }

  /** The turn waiting for its reply, if any. */
  get awaiting(): UserTurn | undefined {
    return this.#awaiting;
  }

  userStateChanged(oldState: UserState, newState: UserState, at: number): void {
    const speech = this.#speech;
    if (newState === 'speaking') {
      // Speech that ended without words was not a turn: a new one starts here.
      if (speech === undefined || (speech.endedAt !== undefined && speech.finalAt === undefined)) this.#speech = { startedAt: at, endedAt: undefined, finalAt: undefined };
      else speech.endedAt = undefined;
    } else if (oldState === 'speaking' && speech) {
      speech.endedAt = at;
    }
  }

  /** A final transcript of the user's speech. */
  transcribed(at: number): void {
    if (this.#speech) this.#speech.finalAt = at;
  }

  /** A message entered the history: the user's is a turn. */
  committed(message: ChatMessage, at: number): void {
    if (message.role !== 'user') return;
    const unanswered = this.#awaiting;
    if (unanswered) this.#end(unanswered, unanswered.committedAt);
    const speech = this.#speech;
    this.#speech = undefined;
    const startedAt = speech?.startedAt ?? at;
    const { tracer, recordContent } = this.#trace;
    const span = startSpanAt(tracer, SPAN.userTurn, this.#activations.current ?? this.#trace.span, startedAt);
    if (recordContent) span.setAttribute(ATTR.userTranscript, maskSecretValues(message.content));
    if (speech) this.#recognition(span, speech, at);
    this.#awaiting = { span, startedAt, committedAt: at, replies: 0, ended: false };
  }

  /** A reply was created: it answers the turn awaiting one, if any (which it returns). */
  answer(): UserTurn | undefined {
    const turn = this.#awaiting;
    if (turn === undefined) return undefined;
    this.#awaiting = undefined;
    turn.replies += 1;
    this.#answering.add(turn);
    return turn;
  }

  /** A reply to tool outputs continues `turn`. */
  continued(turn: UserTurn): void {
    if (!turn.ended) turn.replies += 1;
  }

  /** A reply to `turn` has ended: the turn ends with its last one. */
  replyEnded(turn: UserTurn, at: number): void {
    if (turn.ended) return;
    turn.replies -= 1;
    if (turn.replies <= 0) this.#end(turn, at);
  }

  /** The latencies of the turn, measured when the reply's first audio went out. */
  measured(turn: UserTurn, metrics: TurnMetrics): void {
    turn.span.setAttributes({
      [ATTR.transcriptionDelay]: seconds(metrics.transcriptionDelayMs),
      [ATTR.endOfTurnDelay]: seconds(metrics.endOfUtteranceDelayMs),
      [ATTR.e2eLatency]: seconds(metrics.e2eLatencyMs),
    });
  }

  close(at: number): void {
    this.#speech = undefined;
    const unanswered = this.#awaiting;
    if (unanswered) this.#end(unanswered, unanswered.committedAt);
    for (const turn of [...this.#answering]) this.#end(turn, at);
  }

  /** The `stt_request` of a spoken turn: its speech, up to the final transcript. */
  #recognition(turn: Span, speech: Speech, at: number): void {
    const stt = this.#trace.session.stt as { label?: unknown } | undefined;
    const span = startSpanAt(this.#trace.tracer, SPAN.stt, turn, speech.startedAt, typeof stt?.label === 'string' ? { [ATTR.sttLabel]: stt.label } : {});
    if (speech.endedAt !== undefined && speech.finalAt !== undefined) span.setAttribute(ATTR.transcriptionDelay, seconds(Math.max(0, speech.finalAt - speech.endedAt)));
    endSpanAt(span, speech.startedAt, speech.finalAt ?? at);
  }

  #end(turn: UserTurn, at: number): void {
    if (turn.ended) return;
    turn.ended = true;
    if (this.#awaiting === turn) this.#awaiting = undefined;
    this.#answering.delete(turn);
    endSpanAt(turn.span, turn.startedAt, at);
  }
}
