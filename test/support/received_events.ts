/**
 * Records, from the inspection events, every event each actor actually received (sent by the code,
 * by a timer, or by one of its children), so a test can check which statechart events a real-world
 * action caused. Install it before the actors are created.
 */
import type { AnyActorRef, EventObject, InspectionEvent } from 'xstate';
import { addInspector } from '../../src/inspect/registry.js';

/** Events every actor receives that say nothing about its behaviour. */
const LIFECYCLE = new Set(['xstate.init', 'xstate.stop']);

export class ReceivedEvents {
  readonly #byActor = new WeakMap<object, EventObject[]>();
  readonly #remove: () => void;

  constructor() {
    this.#remove = addInspector((event: InspectionEvent) => {
      if (event.type !== '@xstate.event' || LIFECYCLE.has(event.event.type)) return;
      this.#list(event.actorRef).push(event.event);
    });
  }

  /** What `actor` received since the last take, oldest first; forgets it. */
  take(actor: AnyActorRef): EventObject[] {
    return this.#list(actor).splice(0);
  }

  stop(): void {
    this.#remove();
  }

  #list(actor: object): EventObject[] {
    let list = this.#byActor.get(actor);
    if (list === undefined) {
      list = [];
      this.#byActor.set(actor, list);
    }
    return list;
  }
}

/**
 * A short name for an event: "done.X" / "error.X" for an invoked or spawned actor X finishing or
 * failing, "after.D" for the delay D elapsing; other events keep their type.
 */
export function shortEventName(type: string): string {
  const actor = /^xstate\.(done|error)\.actor\.(.+)$/.exec(type);
  if (actor) return `${actor[1]}.${actor[2]}`;
  const delay = /^xstate\.after\.([^.]+)\./.exec(type);
  if (delay) return `after.${delay[1]}`;
  return type;
}
