/**
 * The state timeline of a report: every transition of the actors it watches, with its time and
 * the event that caused it, from each actor's own system (XState's system.inspect): no inspector
 * is installed for the process, and actors nobody watches cost nothing.
 */
import { isDeepStrictEqual } from 'node:util';
import type { AnyActorRef, AnyMachineSnapshot, InspectionEvent } from 'xstate';
import type { TimelineEntry } from './session_report.js';

interface Watched {
  machineId: string;
  definition: () => unknown;
}

export class Timeline {
  readonly entries: TimelineEntry[] = [];
  readonly #machines = new Map<string, () => unknown>();
  readonly #watched = new WeakSet<AnyActorRef>();
  /** Each actor's last entry, by role. */
  readonly #last = new Map<string, TimelineEntry>();
  readonly #stops: Array<() => void> = [];

  /** Records `actor`'s state now and each transition from now on, under `role`. */
  watch(actor: AnyActorRef, role: string): void {
    if (this.#watched.has(actor)) return;
    this.#watched.add(actor);
    const machine = (actor as { logic?: { id?: string; toJSON?: () => unknown } }).logic;
    const watched: Watched = { machineId: machine?.id ?? 'unknown', definition: () => machine?.toJSON?.() };
    if (!this.#machines.has(watched.machineId)) this.#machines.set(watched.machineId, watched.definition);
    this.#record(role, watched, actor.getSnapshot() as AnyMachineSnapshot, 'xstate.init');
    const subscription = actor.system.inspect((event: InspectionEvent) => {
      if (event.type !== '@xstate.snapshot' || event.actorRef !== actor) return;
      this.#record(role, watched, event.snapshot as AnyMachineSnapshot, event.event.type);
    });
    this.#stops.push(() => subscription.unsubscribe());
  }

  /** The statecharts of the watched actors, by machine id. */
  machines(): Record<string, unknown> {
    return Object.fromEntries([...this.#machines].map(([id, definition]) => [id, definition()]));
  }

  /** Stops watching (what was recorded stays). */
  stop(): void {
    for (const stop of this.#stops.splice(0)) stop();
  }

  #record(actor: string, watched: Watched, snapshot: AnyMachineSnapshot, event: string): void {
    const last = this.#last.get(actor);
    // A snapshot that changes only the context is not a transition of the chart.
    if (last && last.status === snapshot.status && isDeepStrictEqual(last.state, snapshot.value)) return;
    const entry: TimelineEntry = { at: Date.now(), actor, machine: watched.machineId, state: snapshot.value, event, status: snapshot.status };
    this.entries.push(entry);
    this.#last.set(actor, entry);
  }
}
