/**
 * What a session keeps for its report while it runs: every event it emits, its measurements among
 * them (the event objects themselves, made into plain data only when a report is asked for), and
 * the state timeline of its actors (the session's, its agents', speeches' and flow's).
 */
import type { AnyActorRef } from 'xstate';
import { Timeline } from './timeline.js';

export class SessionRecorder {
  readonly timeline = new Timeline();
  /** The session's events as emitted, in order. */
  readonly events: Array<{ type: string; createdAt?: number } & Record<string, unknown>> = [];
  /** How many actors of each role were watched (agents, the session, a flow), to tell a second activation of an agent from the first. */
  readonly #roles = new Map<string, number>();

  /** Records the session's actor from now on; its events come through record(). */
  constructor(sessionActor: AnyActorRef) {
    this.watch(sessionActor, 'session');
  }

  /** The session emitted `event` (called from its emit: one call, no listener per event type). */
  record(type: string, event: unknown): void {
    if (event === null || typeof event !== 'object') return;
    const payload = event as { type: string; createdAt?: number } & Record<string, unknown>;
    if (type === 'speech_created') {
      // The speech by its id: keeping the handle would keep the speech and its actor alive.
      const { speechHandle, ...rest } = payload;
      const speech = speechHandle as { id: string; actor: AnyActorRef };
      this.events.push({ ...rest, speechId: speech.id });
      // A speech's id is its own: no count to keep.
      this.timeline.watch(speech.actor, `speech ${speech.id}`);
      return;
    }
    this.events.push(payload);
  }

  /** Records `actor`'s transitions under `role` (a second actor of the same role is "role #2"). */
  watch(actor: AnyActorRef, role: string): void {
    const seen = (this.#roles.get(role) ?? 0) + 1;
    this.#roles.set(role, seen);
    this.timeline.watch(actor, seen === 1 ? role : `${role} #${seen}`);
  }
}
