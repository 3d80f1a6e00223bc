/**
 * The paths through a user's flow, generated from its statechart (xstate/graph): for each state
 * the flow can be in (where it is, its context, what its history states remember) and each
 * transition it can take there, the shortest way there and that transition. Each path is a list of steps,
 * each step an event the flow takes: a transition the LLM calls (with the arguments the test gives
 * for it), a timer, an event of the session, or one of the user's own events.
 */
import type { AnyMachineSnapshot, EventObject } from 'xstate';
import { getAdjacencyMap, getShortestPaths, getSimplePaths } from 'xstate/graph';
import { VoxstateError } from '../errors.js';
import type { Flow } from '../flow/flow.js';
import { allStateNodes, ownTransitionTools, stateLabel } from '../flow/flow_graph.js';

/** Arguments the LLM passes to a transition tool: one set, or several (each its own branch, for guards). */
export type FlowArguments = Record<string, Record<string, unknown> | Array<Record<string, unknown>>>;

export interface FlowPathOptions {
  /** Arguments per transition tool, by its name (tools without any are called with none). */
  arguments?: FlowArguments;
  /** What the user says in a `user.message` step (default "(the user speaks)"). */
  userSays?: string;
  /**
   * Which paths: 'transitions' (default) one per transition from each state the flow can be in,
   * by the shortest way there; 'simple' adds every path that visits no state twice (many more).
   */
  paths?: 'transitions' | 'simple';
  /** Most paths to generate (default 200); a flow with more says so. */
  maxPaths?: number;
}

/** One step of a path: the event, and the state the flow is in after it. */
export interface FlowStep {
  event: EventObject;
  snapshot: AnyMachineSnapshot;
}

export interface FlowPath {
  /** The steps after the start, in order. */
  steps: FlowStep[];
  /** The start. */
  initial: AnyMachineSnapshot;
  /** "greeting →caller_identified→ booking →after 60000 ms→ goodbye" */
  description: string;
}

/** The paths through `flow` (see the module's comment). */
export function flowPaths(flow: Flow, options: FlowPathOptions = {}): FlowPath[] {
  const machine = flow.machine;
  const candidates = candidateEvents(flow, options);
  const traversal = { events: (snapshot: AnyMachineSnapshot) => candidates.filter((event) => snapshot.can(event)), serializeState: key };
  const adjacency = getAdjacencyMap(machine, traversal as never) as Record<string, { state: AnyMachineSnapshot; transitions: Record<string, { event: EventObject; state: AnyMachineSnapshot }> }>;
  const shortest = new Map(getShortestPaths(machine, traversal as never).map((path) => [key(path.state), path.steps as Steps]));
  // Every transition from every state the flow can be in: the shortest way there, then the transition.
  let paths: Steps[] = Object.values(adjacency).flatMap(({ state, transitions }) =>
    Object.values(transitions).map(({ event, state: to }) => [...(shortest.get(key(state)) ?? []), { state: to, event }]),
  );
  if (options.paths === 'simple') {
    const simple = getSimplePaths(machine, traversal as never).map((path) => path.steps as Steps);
    const covered = new Set(simple.flatMap(edges));
    paths = [...simple, ...paths.filter((steps) => !covered.has(edges(steps).at(-1)!))];
  }
  // A path that another one starts with adds nothing.
  paths = paths.filter((steps) => !paths.some((other) => other !== steps && other.length > steps.length && isPrefix(steps, other)));
  paths = [...new Map(paths.map((steps) => [edges(steps).join('|'), steps])).values()];
  const max = options.maxPaths ?? 200;
  if (paths.length > max) throw new VoxstateError('too_many_paths', `flow ${flow.id} has ${paths.length} paths (more than maxPaths ${max}): raise maxPaths, or give fewer argument sets`);
  return paths.map((steps) => {
    const [first, ...rest] = steps as Array<{ state: AnyMachineSnapshot; event: EventObject }>;
    const path = rest.map((step) => ({ event: step.event, snapshot: step.state }));
    return { initial: first!.state, steps: path, description: describePath(first!.state, path) };
  });
}

/** Every event the flow might take, with arguments for its tools and text for user messages. */
function candidateEvents(flow: Flow, options: FlowPathOptions): EventObject[] {
  const tools = new Set(allStateNodes(flow.machine).flatMap((node) => ownTransitionTools(node).map((tool) => tool.name)));
  const events: EventObject[] = [];
  for (const type of flow.machine.root.events as string[]) {
    // Raised by XState itself when a state or a child is done or fails.
    if (type.startsWith('xstate.done.') || type.startsWith('xstate.error.')) continue;
    const given = options.arguments?.[type];
    const sets = given === undefined ? [{}] : Array.isArray(given) ? given : [given];
    if (type === 'user.message') events.push({ type, text: options.userSays ?? '(the user speaks)' } as EventObject);
    else if (tools.has(type) || given !== undefined) for (const args of sets) events.push({ ...args, type });
    else events.push({ type });
  }
  return events;
}

/** A state of the traversal: where the flow is, its context, and what its history states remember (the same value and context with another remembered state goes elsewhere on "go back"). */
function key(snapshot: AnyMachineSnapshot): string {
  const history = Object.entries(snapshot.historyValue ?? {}).map(([id, nodes]) => [id, (nodes as Array<{ id: string }>).map((node) => node.id)]);
  return JSON.stringify({ value: snapshot.value, context: snapshot.context, history });
}

type Steps = Array<{ state: AnyMachineSnapshot; event: EventObject }>;

/** The transitions a path takes, each as from, event, to. */
function edges(steps: Steps): string[] {
  return steps.slice(1).map((step, i) => `${key(steps[i]!.state)} ${JSON.stringify(step.event)} ${key(step.state)}`);
}

function isPrefix(short: Steps, long: Steps): boolean {
  return short.every((step, i) => key(step.state) === key(long[i]!.state) && JSON.stringify(step.event) === JSON.stringify(long[i]!.event));
}

/** An event as a path step reads: its type, a timer as its delay. */
export function eventLabel(event: EventObject): string {
  const delay = /^xstate\.after\.([^.]+)\./.exec(event.type);
  return delay ? `after ${delay[1]}${/^\d+$/.test(delay[1]!) ? ' ms' : ''}` : event.type;
}

function describePath(initial: AnyMachineSnapshot, steps: FlowStep[]): string {
  return [stateLabel(initial), ...steps.map((step) => `→${eventLabel(step.event)}→ ${stateLabel(step.snapshot)}`)].join(' ');
}
