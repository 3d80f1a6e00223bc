/**
 * What a session keeps for its report while it runs: every event it emits (the event objects
 * themselves, made into plain data only when a report is asked for), its measurements, and the
 * state timeline of its actors (the session's, its agents', speeches' and flow's).
 */
import type { AnyActorRef } from 'xstate';
import type { AgentMetrics } from '../metrics/agent_metrics.js';
import type { AgentSessionEvents } from '../session/events.js';
import { Timeline } from './timeline.js';

/** What the recorder listens to: a session's events (structurally, so this layer does not import the session). */
interface Emitter {
  on<K extends keyof AgentSessionEvents>(type: K, listener: AgentSessionEvents[K]): unknown;
}

const EVENT_TYPES: ReadonlyArray<keyof AgentSessionEvents> = [
  'agent_state_changed',
  'user_state_changed',
  'speech_created',
  'conversation_item_added',
  'user_input_transcribed',
  'function_tools_executed',
  'function_tool_started',
  'function_tool_completed',
  'metrics_collected',
  'session_usage_updated',
  'agent_false_interruption',
  'overlapping_speech',
  'error',
  'close',
];

export class SessionRecorder {
  readonly timeline = new Timeline();
  /** The session's events as emitted, in order. */
  readonly events: Array<{ type: string; createdAt?: number } & Record<string, unknown>> = [];
  readonly metrics: AgentMetrics[] = [];
  /** How many actors of each role were watched, to tell a second activation of an agent from the first. */
  readonly #roles = new Map<string, number>();

  constructor(session: Emitter & { actor: AnyActorRef }) {
    for (const type of EVENT_TYPES) {
      session.on(type, ((event: { type: string; createdAt?: number } & Record<string, unknown>) => {
        this.events.push(event);
        if (type === 'metrics_collected') this.metrics.push(event.metrics as AgentMetrics);
        if (type === 'speech_created') {
          const speech = event.speechHandle as { id: string; actor: AnyActorRef };
          this.watch(speech.actor, `speech ${speech.id}`);
        }
      }) as never);
    }
    this.watch(session.actor, 'session');
  }

  /** Records `actor`'s transitions under `role` (a second actor of the same role is "role #2"). */
  watch(actor: AnyActorRef, role: string): void {
    const seen = (this.#roles.get(role) ?? 0) + 1;
    this.#roles.set(role, seen);
    this.timeline.watch(actor, seen === 1 ? role : `${role} #${seen}`);
  }

  stop(): void {
    this.timeline.stop();
  }
}
