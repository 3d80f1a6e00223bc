/**
 * What the inspector page shows, kept from the inspection events of every machine actor: the live
 * actors with their latest snapshot, the last few that ended, and a bounded log of recent events.
 *
 * The observer is built to cost next to nothing while no page is open: it keeps references (the
 * snapshot and event objects XState already made) and never serializes; pages turn them into JSON
 * when they ask. Everything it holds is bounded.
 */
import { StateMachine, type AnyActorRef, type AnyStateMachine, type InspectionEvent } from 'xstate';

export type ActorStatus = 'active' | 'done' | 'error' | 'stopped';

export interface LiveActor {
  /** The actor's sessionId: unique in the process. */
  id: string;
  ref: AnyActorRef;
  machine: AnyStateMachine;
  /** sessionId of the parent actor, for invoked or spawned machines. */
  parent: string | undefined;
  /** Date.now() when the actor was created. */
  createdAt: number;
  /** The latest snapshot (undefined until the actor starts). */
  snapshot: unknown;
  status: ActorStatus;
}

export interface LoggedEvent {
  /** Increases by one per logged event; pages use it to drop what they already have. */
  seq: number;
  at: number;
  /** The actor that received the event. */
  target: LiveActor;
  /** Who sent it: the sending actor's sessionId or id; undefined when sent from outside. */
  source: string | undefined;
  event: { type: string };
}

export type ActorChange =
  | { kind: 'actor'; actor: LiveActor }
  | { kind: 'snapshot'; actor: LiveActor; snapshot: unknown }
  | { kind: 'event'; entry: LoggedEvent };

export interface LiveActorsLimits {
  /** Events kept for pages that open later (default 300). */
  events?: number;
  /** Ended actors kept, so a late page still sees how they finished (default 50). */
  ended?: number;
  /** Live actors tracked at most: actors created but never started are never stopped (default 5,000). */
  actors?: number;
}

export class LiveActors {
  readonly #live = new Map<string, LiveActor>();
  readonly #ended: LiveActor[] = [];
  readonly #events: LoggedEvent[] = [];
  readonly #listeners = new Set<(change: ActorChange) => void>();
  readonly #limits: Required<LiveActorsLimits>;
  #seq = 0;

  constructor(limits: LiveActorsLimits = {}) {
    this.#limits = { events: limits.events ?? 300, ended: limits.ended ?? 50, actors: limits.actors ?? 5_000 };
  }

  /** The inspection observer: give it to addInspector or createActor({ inspect }). */
  readonly observe = (event: InspectionEvent): void => {
    switch (event.type) {
      case '@xstate.actor': {
        const ref = event.actorRef as AnyActorRef;
        const logic = (ref as { logic?: unknown }).logic;
        // Promise and callback actors are the machines' helpers: their parent shows what they do.
        if (!(logic instanceof StateMachine)) return;
        const parent = (ref as { _parent?: AnyActorRef })._parent;
        const actor: LiveActor = {
          id: ref.sessionId,
          ref,
          machine: logic as AnyStateMachine,
          parent: parent?.sessionId,
          createdAt: Date.now(),
          snapshot: undefined,
          status: 'active',
        };
        this.#live.set(actor.id, actor);
        if (this.#live.size > this.#limits.actors) this.#live.delete(this.#live.keys().next().value!);
        this.#emit({ kind: 'actor', actor });
        return;
      }
      case '@xstate.snapshot': {
        const actor = this.#live.get(event.actorRef.sessionId);
        if (actor === undefined) return;
        actor.snapshot = event.snapshot;
        const status = (event.snapshot as { status?: ActorStatus }).status ?? 'active';
        if (status !== 'active') {
          actor.status = status;
          this.#live.delete(actor.id);
          this.#ended.push(actor);
          if (this.#ended.length > this.#limits.ended) this.#ended.shift();
        }
        this.#emit({ kind: 'snapshot', actor, snapshot: event.snapshot });
        return;
      }
      case '@xstate.event': {
        const source = event.sourceRef as AnyActorRef | undefined;
        this.#log(event.actorRef.sessionId, source?.sessionId ?? source?.id, event.event as { type: string });
        return;
      }
      default:
        return;
    }
  };

  /** The announcement observer (observeAnnouncements): what an actor's owner announced, in the log beside its events. */
  readonly announced = (actorRef: AnyActorRef, announcement: { type: string }): void => {
    this.#log(actorRef.sessionId, undefined, announcement);
  };

  #log(actorId: string, source: string | undefined, event: { type: string }): void {
    const target = this.#live.get(actorId);
    if (target === undefined) return;
    const entry: LoggedEvent = { seq: ++this.#seq, at: Date.now(), target, source, event };
    this.#events.push(entry);
    if (this.#events.length > this.#limits.events) this.#events.shift();
    this.#emit({ kind: 'event', entry });
  }

  /** Live actors, oldest first. */
  live(): LiveActor[] {
    return [...this.#live.values()];
  }

  /** Recently ended actors, oldest first. */
  ended(): LiveActor[] {
    return [...this.#ended];
  }

  /** Recent events, oldest first. */
  events(): LoggedEvent[] {
    return [...this.#events];
  }

  /** Calls `listener` with every change from now on; returns its removal. */
  onChange(listener: (change: ActorChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(change: ActorChange): void {
    for (const listener of this.#listeners) listener(change);
  }
}
