/**
 * Tests a user's flow by every path: each path (flow_paths.ts) runs on a real AgentSession, with
 * an LLM that takes the path's transitions (flow_llm.ts), a user who says something before each,
 * and virtual time for the timers. After each step the flow must be where the path says, and the
 * user's assertions for that state hold. The result counts the states and transitions covered.
 *
 *   const result = await testFlow(clinicFlow, { arguments: { caller_identified: { name: 'Ann' } } });
 *   expect(result.coverage.transitions.missing).toEqual([]);
 */
import { SimulatedClock, type AnyMachineSnapshot, type EventObject, type InspectionEvent } from 'xstate';
import { isDeepStrictEqual } from 'node:util';
import { VoxstateError } from '../errors.js';
import type { Flow } from '../flow/flow.js';
import { FLOW_SESSION_EVENTS, type FlowSessionEvent } from '../flow/flow_events.js';
import { allStateNodes, ownTransitionTools, stateLabel } from '../flow/flow_graph.js';
import { addInspector } from '../inspect/registry.js';
import type { ChatRequest } from '../llm/llm.js';
import { AgentSession, type AgentSessionOptions } from '../session/agent_session.js';
import { FlowPathLLM } from './flow_llm.js';
import { eventLabel, flowPaths, type FlowPath, type FlowPathOptions } from './flow_paths.js';

/** What an assertion about a state sees. */
export interface FlowStateCheck {
  session: AgentSession;
  userData: unknown;
  /** What the agents said during the step that led here (their messages, in order). */
  said: string[];
  /** The state, as "booking.confirming". */
  state: string;
  path: FlowPath;
}

export interface FlowTestOptions extends FlowPathOptions {
  /** Assertions per state, keyed as snapshot.matches() takes them ("booking" matches its children too); run each time a step enters it. */
  states?: Record<string, (check: FlowStateCheck) => void | Promise<void>>;
  /** An assertion at the end of each path. */
  eachPath?: (check: FlowStateCheck) => void | Promise<void>;
  /** Options of each path's AgentSession (its llm and clock are the test's; userAwayTimeout defaults to null). */
  session?: Omit<AgentSessionOptions, 'llm' | 'clock'>;
  /** What the LLM says when it does not take a transition (default: "<agent> in <state>"). */
  reply?: (request: ChatRequest, state: string) => string;
}

export interface FlowPathResult {
  path: FlowPath;
  ok: boolean;
  /** Why it failed, with the turn: "turn 2 (booking →slot_booked→ goodbye): …". */
  failure?: string;
  error?: unknown;
}

interface Tally {
  covered: number;
  total: number;
  missing: string[];
}

export interface FlowTestResult {
  paths: FlowPathResult[];
  coverage: { states: Tally; transitions: Tally };
}

/** Some paths through a flow failed: each is listed with its steps and the turn where it failed. */
export class FlowPathError extends VoxstateError {
  constructor(
    readonly flowId: string,
    readonly failed: FlowPathResult[],
    total: number,
  ) {
    super('flow_paths_failed', `${failed.length} of ${total} paths through flow ${flowId} failed:\n${failed.map((result) => `- ${result.path.description}\n  ${result.failure}`).join('\n')}`);
  }
}

/** Runs every path through `flow` (see the module's comment); throws FlowPathError listing those that failed. */
export async function testFlow(flow: Flow, options: FlowTestOptions = {}): Promise<FlowTestResult> {
  const paths = flowPaths(flow, options);
  const coverage = new FlowCoverage(flow);
  const results: FlowPathResult[] = [];
  try {
    for (const path of paths) results.push(await runFlowPath(flow, path, options));
  } finally {
    coverage.stop();
  }
  const failed = results.filter((result) => !result.ok);
  if (failed.length > 0) throw new FlowPathError(flow.id, failed, results.length);
  return { paths: results, coverage: coverage.tally() };
}

/** Runs one path on a new AgentSession; the result says where it failed, if it did. */
export async function runFlowPath(flow: Flow, path: FlowPath, options: FlowTestOptions = {}): Promise<FlowPathResult> {
  const clock = new SimulatedClock();
  const tools = new Set(allStateNodes(flow.machine).flatMap((node) => ownTransitionTools(node).map((tool) => tool.name)));
  let session: AgentSession | undefined;
  const llm = new FlowPathLLM((request) => {
    const state = session?.flow ? stateLabel(session.flow.actor.getSnapshot()) : '?';
    return options.reply?.(request, state) ?? `${session?.currentAgent?.id ?? 'agent'} in ${state}`;
  });
  session = new AgentSession({ userAwayTimeout: null, ...options.session, llm, clock });
  const live = session;
  let turn = 0;
  let at = stateLabel(path.initial);
  let previous: AnyMachineSnapshot | undefined;
  const fail = (what: string, error?: unknown): FlowPathResult => ({
    path,
    ok: false,
    failure: turn === 0 ? `at the start (${at}): ${what}` : `turn ${turn} (${at}): ${what}`,
    ...(error !== undefined ? { error } : {}),
  });
  try {
    let said = await saying(live, () => live._settleAfter(() => live.start({ flow })));
    let problem = await arrived(live, previous, path.initial, path, said, options);
    if (problem) return fail(problem);
    for (const step of path.steps) {
      turn += 1;
      previous = live.flow!.actor.getSnapshot();
      at = `${stateLabel(previous)} →${eventLabel(step.event)}→ ${stateLabel(step.snapshot)}`;
      try {
        said = await saying(live, () => perform(live, clock, llm, tools, step.event));
      } catch (error) {
        return fail(error instanceof Error ? error.message : String(error), error);
      }
      if (llm.pending) return fail(`the LLM was to call ${llm.pending}, but no request offered it (the tools offered last: ${lastTools(llm)})`);
      problem = await arrived(live, previous, step.snapshot, path, said, options);
      if (problem) return fail(problem);
    }
    if (options.eachPath) {
      try {
        await options.eachPath(check(live, path, said));
      } catch (error) {
        return fail(`eachPath: ${error instanceof Error ? error.message : String(error)}`, error);
      }
    }
    return { path, ok: true };
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error), error);
  } finally {
    await live.aclose();
  }
}

/** Takes one step of a path the way it would happen in a conversation. */
async function perform(session: AgentSession, clock: SimulatedClock, llm: FlowPathLLM, tools: Set<string>, event: EventObject): Promise<void> {
  const flow = session.flow!;
  if (tools.has(event.type)) {
    const { type: _type, ...args } = event as EventObject & Record<string, unknown>;
    llm.plan(event.type, args);
    await session.run({ userInput: '(the user answers)' });
  } else if (event.type === 'user.message') {
    await session.run({ userInput: (event as { text?: string }).text ?? '(the user speaks)' });
  } else if (event.type.startsWith('xstate.after.')) {
    const ms = delayOf(flow.actor.getSnapshot(), event.type);
    await session._settleAfter(() => clock.increment(ms));
  } else if ((FLOW_SESSION_EVENTS as readonly string[]).includes(event.type)) {
    // Said by the session when they happen; a path has them happen now.
    await session._settleAfter(() => flow.notify(event as FlowSessionEvent));
  } else {
    await session._settleAfter(() => flow.actor.send(event));
  }
}

/** The ms of a timer event (`xstate.after.<delay>.<state id>`), a number or a delay named in setup(). */
function delayOf(snapshot: AnyMachineSnapshot, type: string): number {
  const name = type.split('.')[2]!;
  if (/^\d+$/.test(name)) return Number(name);
  const delay = (snapshot.machine.implementations.delays as Record<string, unknown>)[name];
  const ms = typeof delay === 'function' ? (delay as (args: { context: unknown }) => number)({ context: snapshot.context }) : delay;
  if (typeof ms !== 'number') throw new VoxstateError('unknown_delay', `the timer ${type} has no delay in ms`);
  return ms;
}

/** Runs `step` and returns what the agents said meanwhile. */
async function saying(session: AgentSession, step: () => Promise<unknown>): Promise<string[]> {
  const said: string[] = [];
  const onItem = ({ item }: { item: { type: string; role?: string; content?: unknown } }) => {
    if (item.type === 'message' && item.role === 'assistant' && typeof item.content === 'string') said.push(item.content);
  };
  session.on('conversation_item_added', onItem);
  try {
    await step();
  } finally {
    session.off('conversation_item_added', onItem);
  }
  return said;
}

/** Whether the flow is where the path says, and the assertions of the states it entered hold; what is wrong if not. */
async function arrived(
  session: AgentSession,
  previous: AnyMachineSnapshot | undefined,
  expected: AnyMachineSnapshot,
  path: FlowPath,
  said: string[],
  options: FlowTestOptions,
): Promise<string | undefined> {
  const actual = session.flow!.actor.getSnapshot();
  if (!isDeepStrictEqual(actual.value, expected.value)) return `expected the flow in ${stateLabel(expected)}, it is in ${stateLabel(actual)}`;
  for (const [state, assertion] of Object.entries(options.states ?? {})) {
    if (!actual.matches(state as never) || previous?.matches(state as never)) continue;
    try {
      await assertion(check(session, path, said));
    } catch (error) {
      return `the assertion for ${state}: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  return undefined;
}

function check(session: AgentSession, path: FlowPath, said: string[]): FlowStateCheck {
  return { session, userData: session.userData, said, state: stateLabel(session.flow!.actor.getSnapshot()), path };
}

function lastTools(llm: FlowPathLLM): string {
  const names = llm.requests.at(-1)?.tools.map((entry) => entry.name) ?? [];
  return names.length > 0 ? names.join(', ') : 'none';
}

/** The flow's states and transitions that the paths' sessions went through, seen by inspection of their flow actors. */
class FlowCoverage {
  readonly #states = new Set<string>();
  readonly #transitions = new Set<string>();
  readonly #stop: () => void;

  constructor(private readonly flow: Flow) {
    this.#stop = addInspector((event: InspectionEvent) => this.#observe(event));
  }

  #observe(event: InspectionEvent): void {
    if ((event.actorRef as { logic?: unknown }).logic !== this.flow.machine) return;
    if (event.type === '@xstate.microstep') {
      for (const transition of (event as unknown as { _transitions: Array<{ source: { id: string }; eventType: string; target?: Array<{ id: string }> }> })._transitions) {
        this.#transitions.add(transitionKey(transition));
      }
    }
    if (event.type === '@xstate.snapshot' || event.type === '@xstate.microstep') {
      for (const node of (event.snapshot as AnyMachineSnapshot)._nodes ?? []) this.#states.add(node.id);
    }
  }

  tally(): FlowTestResult['coverage'] {
    // History states are never in a configuration: the states they return to are.
    const nodes = allStateNodes(this.flow.machine).filter((node) => node.parent !== undefined && node.type !== 'history');
    const states = nodes.map((node) => node.id);
    const transitions = allStateNodes(this.flow.machine).flatMap((node) => [
      ...[...node.transitions.values()].flat(),
      ...(node.always ?? []),
    ]).map(transitionKey);
    const tally = (all: string[], seen: Set<string>): Tally => {
      const unique = [...new Set(all)];
      const missing = unique.filter((entry) => !seen.has(entry));
      return { covered: unique.length - missing.length, total: unique.length, missing };
    };
    return { states: tally(states, this.#states), transitions: tally(transitions, this.#transitions) };
  }

  stop(): void {
    this.#stop();
  }
}

function transitionKey(transition: { source: { id: string }; eventType: string; target?: ReadonlyArray<{ id: string }> }): string {
  return `${transition.source.id} →${eventLabel({ type: transition.eventType })}→ ${(transition.target ?? []).map((node) => node.id).join(', ') || '(stays)'}`;
}
