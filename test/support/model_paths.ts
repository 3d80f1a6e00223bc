/**
 * The paths a model-based test replays on real objects, generated from a statechart with
 * xstate/graph (the recipe for machines with invoke/after: `new TestModel(logic, …)` with the
 * events a real action can cause in each state): the shortest path to every state, plus, for each
 * step that none of those takes (by `coverageKeys`: a transition of the machine, a real-world
 * action), the shortest path to a state that offers it followed by it. A path never stops before
 * an event the real world takes by itself (`auto`), and paths that are the beginning of another
 * one go.
 */
import type { AnyActorLogic, EventObject, Snapshot, SnapshotFrom } from 'xstate';
import { TestModel } from 'xstate/graph';

export interface ModelStep<S> {
  state: S;
  event: EventObject;
}
export type ModelPath<S> = Array<ModelStep<S>>;

export interface ModelPathOptions<S> {
  input: unknown;
  /** The events a real action can cause in `state`. */
  events(state: S): EventObject[];
  /** What tells states apart (the explored model's states). */
  key(state: S): string;
  /** What a step must be seen doing at least once. */
  coverageKeys(before: S, event: EventObject, after: S): string[];
  /** The event the real world takes by itself next in `state`, if any. */
  auto(state: S): boolean;
}

export function modelPaths<L extends AnyActorLogic, S extends Snapshot<unknown> = SnapshotFrom<L>>(logic: L, options: ModelPathOptions<S>): { paths: Array<ModelPath<S>>; states: number } {
  const model = new TestModel<S, EventObject, unknown>(logic as never, {
    input: options.input,
    events: options.events,
    serializeState: options.key,
  } as never);
  const adjacency = model.getAdjacencyMap() as Record<string, { state: S; transitions: Record<string, { event: EventObject; state: S }> }>;
  const shortest = new Map<string, ModelPath<S>>();
  for (const path of model.getShortestPaths({ allowDuplicatePaths: true })) {
    shortest.set(options.key(path.state as S), path.steps as unknown as ModelPath<S>);
  }
  const paths = [...shortest.values()].map((path) => [...path]);
  const taken = new Set(paths.flatMap((path) => path.slice(1).flatMap((step, i) => options.coverageKeys(path[i]!.state, step.event, step.state))));
  // Every transition some state offers, taken after the shortest path to the nearest such state.
  const candidates = Object.entries(adjacency)
    .flatMap(([key, { state, transitions }]) => Object.values(transitions).map((edge) => ({ from: shortest.get(key)!, state, edge })))
    .sort((a, b) => a.from.length - b.from.length);
  for (const { from, state, edge } of candidates) {
    const keys = options.coverageKeys(state, edge.event, edge.state);
    if (keys.every((k) => taken.has(k))) continue;
    keys.forEach((k) => taken.add(k));
    paths.push([...from, { state: edge.state, event: edge.event }]);
  }
  // The real world takes an automatic event at once: a path never stops before it.
  for (const path of paths) {
    for (let last = path.at(-1)!.state; options.auto(last); last = path.at(-1)!.state) {
      const [edge] = Object.values(adjacency[options.key(last)]!.transitions);
      path.push({ state: edge!.state, event: edge!.event });
    }
  }
  // Without the paths that are the beginning of another one.
  const names = paths.map((path) => path.map((step) => JSON.stringify(step.event)));
  const kept = paths.filter(
    (_, i) => !names.some((other, j) => j !== i && other.length >= names[i]!.length && names[i]!.every((e, k) => other[k] === e) && (other.length > names[i]!.length || j < i)),
  );
  return { paths: kept, states: Object.keys(adjacency).length };
}

/** "source eventType#candidate" for the transitions `event` takes first from `snapshot` (as CoverageTracker names them). */
export function transitionsTaken(machine: { getTransitionData(snapshot: never, event: never): unknown }, snapshot: unknown, event: EventObject): string[] {
  type Definition = { eventType: string; source: { id: string; transitions: Map<string, unknown[]> } };
  const taken = machine.getTransitionData(snapshot as never, event as never) as Definition[];
  return taken.map((t) => `${t.source.id} ${t.eventType}#${t.source.transitions.get(t.eventType)!.indexOf(t)}`);
}
