/**
 * Model-based test of machines/agent.ts against real Agents in a real AgentSession.
 *
 * The machine invokes the hooks and bounds them with `after`, so the paths come from
 * `new TestModel(agentMachine, …)` (createTestModel refuses invoke/after) with the synthetic events
 * `xstate.done.actor.*`, `xstate.error.actor.*` and `xstate.after.*`: every simple path from
 * `inactive` to `exited`, with states keyed by their incoming transition so that every combination
 * of hook outcomes is a path of its own. `exit` is sampled two ways: the
 * session closing, and a handoff to another agent (not from `paused`: a handoff during a task
 * replaces the task, not the paused agent; not from `inactive`: before the session runs,
 * updateAgent only changes which agent it will start with).
 *
 * Each path runs on a fresh session whose room connection the test holds, so the agent starts
 * `inactive` (given to start(), not entered). The steps are real-world actions:
 * - enter: the room connects, start() resolves and the agent's onEnter runs;
 * - done / error / after of onEnter and onExit: the hook the test holds resolves, rejects, or hangs
 *   while fake time passes the session's agentHookTimeout;
 * - pause / resume: session.runTask(task) and task.complete(value);
 * - exit: session.aclose() or session.updateAgent(other); from `inactive`, aclose() while the room
 *   is still connecting.
 * After each step the agent's actor snapshot is checked against the path's state. What users
 * observe — the agent's state getter, its hook call counts, the session's state, current agent and
 * history, and the session's error events (HookError / TimeoutError for every hook failure or
 * timeout, nothing else) — is checked against AgentContract: the README's rules for an agent's
 * life written out here, independently of the machine, so that a bug in the machine that the
 * session follows faithfully still fails.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { __unsafe_getAllOwnEventDescriptors, type EventObject, type SnapshotFrom } from 'xstate';
import { TestModel, serializeSnapshot } from 'xstate/graph';
import { agentMachine } from '../../machines/agent.js';
import {
  Agent,
  AgentSession,
  AgentTask,
  ClosedError,
  HookError,
  LocalRoom,
  TimeoutError,
  type CloseEvent,
  type ErrorEvent,
} from '../../src/index.js';
import { CoverageTracker } from '../support/model_coverage.js';
import { ScriptedOutput } from '../support/scripted_output.js';
import { flush, useFakeTime } from '../support/fake_time.js';

const HOOK_TIMEOUT = 50;
type ModelSnapshot = SnapshotFrom<typeof agentMachine>;
type ExitVia = 'close' | 'handoff';

const tracker = new CoverageTracker(agentMachine);

useFakeTime();
afterAll(() => {
  console.log(tracker.report());
  tracker.stop();
});

interface Held {
  promise: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

function held(): Held {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A room whose connection completes when the test says so. */
class HeldRoom extends LocalRoom {
  readonly gate = held();
  override async connect(): Promise<void> {
    await this.gate.promise;
    await super.connect();
  }
}

/** An agent whose hooks count their calls and finish when the test says so. */
class ProbeAgent extends Agent {
  enterCalls = 0;
  exitCalls = 0;
  readonly enterHook = held();
  readonly exitHook = held();

  constructor() {
    super({ instructions: 'probe' });
  }

  override async onEnter(): Promise<void> {
    this.enterCalls += 1;
    await this.enterHook.promise;
  }

  override async onExit(): Promise<void> {
    this.exitCalls += 1;
    await this.exitHook.promise;
  }
}

class BookingTask extends AgentTask<string> {
  enterCalls = 0;
  constructor() {
    super({ instructions: 'book a table' });
  }
  override async onEnter(): Promise<void> {
    this.enterCalls += 1;
  }
}

type Phase = 'inactive' | 'entering' | 'active' | 'paused' | 'exiting' | 'exited';

/**
 * An agent's life by the README's rules: onEnter runs once when it enters and onExit once when it
 * exits, each bounded (a hook that throws or hangs is reported and the agent moves on); a task
 * pauses it and it resumes without onEnter; an agent that never entered exits without onExit.
 */
class AgentContract {
  phase: Phase = 'inactive';
  enterCalls = 0;
  exitCalls = 0;

  /** Applies a path event (a hook's outcome: xstate.done/error.actor.* or xstate.after.hookTimeout.*). */
  apply(type: string): void {
    const hookEnded = (hook: 'onEnter' | 'onExit', state: string) => type.endsWith(`.actor.${hook}`) || type === `xstate.after.hookTimeout.agent.${state}`;
    const next = ((): Phase | undefined => {
      switch (this.phase) {
        case 'inactive':
          return type === 'enter' ? 'entering' : type === 'exit' ? 'exited' : undefined;
        case 'entering':
          return hookEnded('onEnter', 'entering') ? 'active' : type === 'exit' ? 'exiting' : undefined;
        case 'active':
          return type === 'pause' ? 'paused' : type === 'exit' ? 'exiting' : undefined;
        case 'paused':
          return type === 'resume' ? 'active' : type === 'exit' ? 'exiting' : undefined;
        case 'exiting':
          return hookEnded('onExit', 'exiting') ? 'exited' : undefined;
        case 'exited':
          return undefined;
      }
    })();
    if (next === undefined) throw new Error(`the contract has no ${type} in ${this.phase}`);
    if (next === 'entering') this.enterCalls += 1;
    if (next === 'exiting') this.exitCalls += 1;
    this.phase = next;
  }
}

interface ExpectedError {
  kind: typeof HookError | typeof TimeoutError;
  message: string;
  source: string;
  cause?: Error;
}

/** A real session with a probe agent, driven by the steps of a path. */
class AgentUnderTest {
  readonly room = new HeldRoom();
  readonly agent = new ProbeAgent();
  readonly other = new Agent({ instructions: 'the next agent', id: 'next_agent' });
  readonly session = new AgentSession({ agentHookTimeout: HOOK_TIMEOUT, userAwayTimeout: null });
  readonly errors: ErrorEvent[] = [];
  readonly closes: CloseEvent[] = [];
  readonly expected: ExpectedError[] = [];
  readonly starting: Promise<void>;
  task: BookingTask | undefined;
  taskOutcome: { value: string } | { error: unknown } | undefined;
  exitVia: ExitVia | undefined;
  closing: Promise<void> | undefined;
  readonly contract = new AgentContract();

  constructor() {
    this.session.output = new ScriptedOutput();
    this.session.on('error', (event) => this.errors.push(event));
    this.session.on('close', (event) => this.closes.push(event));
    this.starting = this.session.start({ agent: this.agent, room: this.room });
  }

  expectError(kind: ExpectedError['kind'], message: string, source: string, cause?: Error): void {
    this.expected.push({ kind, message, source, ...(cause ? { cause } : {}) });
  }

  checkErrors(): void {
    expect(this.errors.map((e) => [e.error.constructor.name, e.error.message, e.source])).toEqual(
      this.expected.map((e) => [e.kind.name, e.message, e.source]),
    );
    this.errors.forEach((event, i) => {
      expect(event.error).toBeInstanceOf(this.expected[i]!.kind);
      if (this.expected[i]!.cause) expect(event.error.cause).toBe(this.expected[i]!.cause);
    });
  }

  /** Where an onExit problem is reported: by the handoff, or by the session's exitAgent phase. */
  exitSource(): string {
    return this.exitVia === 'handoff' ? 'agent' : 'session';
  }

  async close(): Promise<void> {
    this.room.gate.resolve();
    this.agent.enterHook.resolve();
    this.agent.exitHook.resolve();
    this.task?.complete('cleanup');
    await this.starting;
    const closing = this.session.aclose();
    await flush();
    await closing;
    await this.closing;
  }
}

async function checkState(sut: AgentUnderTest, model: ModelSnapshot): Promise<void> {
  await flush();
  const { agent, session, contract } = sut;
  // The actor is where the statechart says.
  if (model.value === 'inactive') {
    expect(agent.actor).toBeUndefined();
  } else {
    const real = agent.actor!.getSnapshot();
    expect(real.value).toBe(model.value);
    expect(real.context).toEqual(model.context);
    expect(real.status).toBe(model.status);
  }

  // What users observe is what the contract says, whatever the statechart says.
  const value = contract.phase;
  expect(agent.state).toBe(value);
  expect(agent.enterCalls).toBe(contract.enterCalls);
  expect(agent.exitCalls).toBe(contract.exitCalls);
  sut.checkErrors();

  switch (value) {
    case 'inactive':
      expect(session.state).toBe('starting');
      expect(() => agent.session).toThrow('agent probe_agent is not running in a session yet');
      break;
    case 'entering':
    case 'active':
      expect(session.state).toBe('running');
      expect(session.currentAgent).toBe(agent);
      expect(agent.session).toBe(session);
      break;
    case 'paused':
      expect(session.state).toBe('running');
      expect(session.currentAgent).toBe(sut.task);
      expect(sut.task!.state).toBe('active');
      expect(sut.task!.enterCalls).toBe(1);
      expect(sut.taskOutcome).toBeUndefined();
      break;
    case 'exiting':
      if (sut.exitVia === 'close') {
        expect(session.state).toBe('draining');
        expect(sut.closes).toEqual([]);
      } else {
        // The next agent enters only once this one has exited.
        expect(session.state).toBe('running');
        expect(sut.other.state).toBe('inactive');
      }
      break;
    case 'exited':
      if (sut.exitVia === 'close') {
        expect(session.state).toBe('closed');
        expect(sut.closes).toEqual([expect.objectContaining({ reason: 'user_initiated', error: null })]);
      } else {
        expect(session.state).toBe('running');
        expect(session.currentAgent).toBe(sut.other);
        expect(sut.other.state).toBe('active');
        expect(session.history.items).toEqual([
          expect.objectContaining({ type: 'agent_handoff', oldAgentId: 'probe_agent', newAgentId: 'next_agent' }),
        ]);
      }
      break;
  }
}

/**
 * How the real world makes the agent exit from `snapshot`: a handoff when `prefer` says so and the
 * agent is the one in charge (entering or active), else the session closing.
 */
function exitFrom(snapshot: ModelSnapshot, prefer: ExitVia): { type: 'exit'; via: ExitVia } {
  const handoff = prefer === 'handoff' && (snapshot.matches('entering') || snapshot.matches('active'));
  return { type: 'exit', via: handoff ? 'handoff' : 'close' };
}

/**
 * Every simple path from `inactive` to `exited` (whole lifecycles), with states keyed by their
 * incoming transition, when exits happen the `prefer` way.
 */
function pathsFor(prefer: ExitVia) {
  // Typed loosely: the paths carry synthetic events (xstate.init, xstate.done.actor.*, …) too.
  const model = new TestModel<ModelSnapshot, EventObject, unknown>(agentMachine as never, {
    input: { agentId: 'probe_agent', hookTimeout: HOOK_TIMEOUT },
    events: (snapshot: ModelSnapshot) =>
      __unsafe_getAllOwnEventDescriptors(snapshot).map((type): EventObject => (type === 'exit' ? exitFrom(snapshot, prefer) : { type })),
    // Keyed by the incoming transition too, so that paths differing only in a hook's outcome are all kept.
    serializeState: (snapshot: ModelSnapshot, event: EventObject | undefined, previous: ModelSnapshot | undefined) =>
      `${serializeSnapshot(snapshot)} via ${event?.type ?? '-'} from ${JSON.stringify(previous?.value ?? null)}`,
    stateMatcher: (snapshot: ModelSnapshot, key: string) => snapshot.matches(key as never),
  });
  return model.getSimplePaths({ toState: (snapshot: ModelSnapshot) => snapshot.status === 'done' });
}

const TRANSITIONS = 13;

/** "state event" for each transition a path takes. */
function transitionsOf(path: ReturnType<typeof pathsFor>[number]): string[] {
  return path.steps.slice(1).map((step, i) => `${JSON.stringify(path.steps[i]!.state.value)} ${step.event.type}`);
}

const pathSets: Array<[string, ReturnType<typeof pathsFor>]> = [
  ['exit by closing the session', pathsFor('close')],
  // Only the paths where a handoff happens: the others are the same as above.
  ['exit by a handoff', pathsFor('handoff').filter((path) => path.steps.some((step) => (step.event as { via?: string }).via === 'handoff'))],
];

for (const [name, paths] of pathSets) describe(`agent machine paths, ${name}`, () => {
  if (name === 'exit by closing the session') {
    it('take every transition of the machine', () => {
      expect(new Set(paths.flatMap(transitionsOf)).size).toBe(TRANSITIONS);
    });
  }

  for (const path of paths) {
    it(path.description, async () => {
      let sut: AgentUnderTest | undefined;
      const check = (snapshot: unknown) => checkState(sut!, snapshot as ModelSnapshot);
      const enterError = new Error('onEnter broke');
      const exitError = new Error('onExit broke');
      try {
        // The real-world action of each event; the contract then takes the event too.
        const actions: Record<string, (step: { event: EventObject }) => unknown> = {
          enter: async () => {
            sut!.room.gate.resolve();
            await sut!.starting;
          },
          'xstate.done.actor.onEnter': () => sut!.agent.enterHook.resolve(),
          'xstate.error.actor.onEnter': () => {
            sut!.agent.enterHook.reject(enterError);
            sut!.expectError(HookError, `probe_agent.onEnter failed: ${enterError.message}`, 'agent', enterError);
          },
          'xstate.after.hookTimeout.agent.entering': async () => {
            await vi.advanceTimersByTimeAsync(HOOK_TIMEOUT - 1);
            expect(sut!.agent.state).toBe('entering');
            await vi.advanceTimersByTimeAsync(1);
            sut!.expectError(TimeoutError, `probe_agent.onEnter did not finish within ${HOOK_TIMEOUT} ms`, 'agent');
          },
          pause: async () => {
            const task = new BookingTask();
            sut!.task = task;
            sut!.session.runTask(task).then(
              (value) => (sut!.taskOutcome = { value }),
              (error: unknown) => (sut!.taskOutcome = { error }),
            );
          },
          resume: async () => {
            sut!.task!.complete('table for two');
            await flush();
            // The task's result reaches runTask's caller; the task exited, the agent did not re-enter.
            expect(sut!.taskOutcome).toEqual({ value: 'table for two' });
            expect(sut!.task!.state).toBe('exited');
            expect(sut!.session.currentAgent).toBe(sut!.agent);
          },
          exit: async ({ event }) => {
            const via = (event as unknown as { via: ExitVia }).via;
            sut!.exitVia = via;
            const wasPaused = sut!.agent.state === 'paused';
            if (via === 'handoff') {
              sut!.session.updateAgent(sut!.other);
            } else {
              sut!.closing = sut!.session.aclose();
              if (sut!.agent.state === 'inactive') {
                // Closed while the room is still connecting: the agent never enters.
                await flush();
                sut!.room.gate.resolve();
                await sut!.starting;
              }
            }
            await flush();
            if (wasPaused) {
              // The task the agent was waiting for is refused with ClosedError and has exited.
              expect(sut!.taskOutcome).toEqual({ error: expect.any(ClosedError) });
              expect(sut!.task!.state).toBe('exited');
            }
          },
          'xstate.done.actor.onExit': () => sut!.agent.exitHook.resolve(),
          'xstate.error.actor.onExit': () => {
            sut!.agent.exitHook.reject(exitError);
            sut!.expectError(HookError, `probe_agent.onExit failed: ${exitError.message}`, sut!.exitSource(), exitError);
          },
          'xstate.after.hookTimeout.agent.exiting': async () => {
            await vi.advanceTimersByTimeAsync(HOOK_TIMEOUT - 1);
            expect(sut!.agent.state).toBe('exiting');
            await vi.advanceTimersByTimeAsync(1);
            sut!.expectError(TimeoutError, `probe_agent.onExit did not finish within ${HOOK_TIMEOUT} ms`, sut!.exitSource());
          },
        };
        await path.test({
          events: {
            'xstate.init': async () => {
              sut = new AgentUnderTest();
            },
            ...Object.fromEntries(
              Object.entries(actions).map(([type, act]) => [
                type,
                async (step: { event: EventObject }) => {
                  await act(step);
                  sut!.contract.apply(type);
                },
              ]),
            ),
          } as never,
          states: { inactive: check, entering: check, active: check, paused: check, exiting: check, exited: check },
        });
      } finally {
        await sut?.close();
      }
      // Closing ran whatever hooks were still due, once, and nothing more was reported.
      const entered = sut!.agent.enterCalls === 1;
      expect(sut!.agent.state).toBe('exited');
      expect(sut!.agent.exitCalls).toBe(entered ? 1 : 0);
      expect(sut!.agent.enterCalls).toBeLessThanOrEqual(1);
      expect(sut!.session.state).toBe('closed');
      sut!.checkErrors();
    });
  }
});

describe('coverage', () => {
  it('the real agents went through every state and transition of the agent machine', () => {
    const { states, transitions } = tracker.coverage();
    expect(states.missing).toEqual([]);
    expect(transitions.missing).toEqual([]);
    expect(states.covered).toBe(7);
    expect(transitions.covered).toBe(TRANSITIONS);
  });
});
