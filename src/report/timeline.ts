/**
 * The state timeline of a report: every transition of the actors it watches, with its time and
 * the event that caused it, from each actor's own system (XState's system.inspect): no inspector
 * is installed for the process, and actors nobody watches cost nothing.
 */
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
  /** Each running actor's last state value and status, by role. */
  readonly #last = new Map<string, { value: unknown; status: string }>();
  /** State values by their JSON: a long conversation goes through the same few states again and again, kept once. */
  readonly #values = new Map<string, unknown>();

  /** Records `actor`'s state now and each transition from now on, under `role`. */
  watch(actor: AnyActorRef, role: string): void {
    if (this.#watched.has(actor)) return;
    this.#watched.add(actor);
    const machine = (actor as { logic?: { id?: string; toJSON?: () => unknown } }).logic;
    const watched: Watched = { machineId: machine?.id ?? 'unknown', definition: () => machine?.toJSON?.() };
    if (!this.#machines.has(watched.machineId)) this.#machines.set(watched.machineId, watched.definition);
    const first = actor.getSnapshot() as AnyMachineSnapshot;
    this.#record(role, watched, first, 'xstate.init');
    if (first.status !== 'active') return;
    // Ends with its actor: a finished speech's system is not kept alive by its report.
    const subscription = actor.system.inspect((event: InspectionEvent) => {
      if (event.type !== '@xstate.snapshot' || event.actorRef !== actor) return;
      const snapshot = event.snapshot as AnyMachineSnapshot;
      this.#record(role, watched, snapshot, event.event.type);
      if (snapshot.status !== 'active') {
        subscription.unsubscribe();
        this.#last.delete(role);
      }
    });
  }

  /** The statecharts of the watched actors, by machine id. */
  machines(): Record<string, unknown> {
    return Object.fromEntries([...this.#machines].map(([id, definition]) => [id, definition()]));
  }

  #record(actor: string, watched: Watched, snapshot: AnyMachineSnapshot, event: string): void {
    // A snapshot that changes only the context is not a transition of the chart: compared as values
    // (this runs for every snapshot of every watched actor; the JSON is made only for a transition).
    const last = this.#last.get(actor);
    if (last !== undefined && last.status === snapshot.status && sameStateValue(last.value, snapshot.value)) return;
    this.#last.set(actor, { value: snapshot.value, status: snapshot.status });
    const json = JSON.stringify(snapshot.value);
    let state = this.#values.get(json);
    if (state === undefined) this.#values.set(json, (state = snapshot.value));
    this.entries.push({ at: Date.now(), actor, machine: watched.machineId, state, event, status: snapshot.status });
  }
}

/**
 * Whether two state values ("a" or { a: "b", c: { d: "e" } }) name the same states. Not XState's
 * matchesState both ways: that splits each string into a path and lists each object's keys, 12 KB
 * more per text turn (measured, 167 → 179 KB).
 */
function sameStateValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  let keys = 0;
  for (const key in left) {
    keys++;
    if (!(key in right) || !sameStateValue(left[key], right[key])) return false;
  }
  for (const _ in right) keys--;
  return keys === 0;
}
