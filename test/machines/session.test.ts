/**
 * Model-based test of machines/session.ts against the REAL AgentSession.
 *
 * Each scenario is a path through the statechart written as real-world steps: a public call on the
 * session, a room action, finishing playout on a ScriptedOutput, releasing a held LLM reply or
 * tool, a hook that throws, or fake time passing for the machine's delays. After each step the
 * test checks, against the statechart itself:
 * - the events the session's actor received (from inspection) are exactly the ones the step names:
 *   the real-world action caused those statechart events and no others;
 * - replaying those events through the machine's pure transition function (ModelReplay) gives the
 *   real actor's state value and context, and the events the machine emits are the ones the
 *   session emitted as its own events;
 * - session.state, agentState and userState, and the session's events (with their payloads), are
 *   the ones the step states.
 * The paths together take every state and transition of the machine: CoverageTracker measures it
 * from the real actors and the last test asserts it.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EventObject } from 'xstate';
import { sessionMachine, type AgentState, type UserState } from '../../machines/session.js';
import {
  Agent,
  AgentSession,
  ClosedError,
  HookError,
  LocalRoom,
  TimeoutError,
  VoxstateError,
  functionTool,
  type AgentSessionOptions,
  type CloseEvent,
  type ErrorEvent,
  type LocalRoomMember,
  type SessionState,
} from '../../src/index.js';
import { deferred, never, type Deferred } from '../support/deferred.js';
import { CoverageTracker } from '../support/model_coverage.js';
import { ModelReplay } from '../support/model_replay.js';
import { ReceivedEvents, shortEventName } from '../support/received_events.js';
import { ScriptedLLM, type ScriptedReply } from '../support/scripted_llm.js';
import { ScriptedOutput } from '../support/scripted_output.js';

const coverage = new CoverageTracker(sessionMachine);
const received = new ReceivedEvents();

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});
afterAll(() => {
  console.log(coverage.report());
  coverage.stop();
  received.stop();
});

/** Lets every promise chain started by a step run to its end (no timer is due at "now"). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await vi.advanceTimersByTimeAsync(0);
}

// ---- the real world around the session ----

/** A room whose connection the test holds, to act while the session is `starting`. */
class HeldRoom extends LocalRoom {
  readonly gate = deferred();
  override async connect(): Promise<void> {
    await this.gate.promise;
    await super.connect();
  }
}

/** A room the server refuses to connect to. */
class RefusingRoom extends LocalRoom {
  override async connect(): Promise<void> {
    throw new Error('connection refused');
  }
}

/** A ScriptedOutput whose close() can hang, as an audio device that never lets go. */
class TestOutput extends ScriptedOutput {
  closeHangs = false;
  override close(): Promise<void> {
    return this.closeHangs ? never() : super.close();
  }
}

class ScenarioAgent extends Agent {
  enters = 0;
  exits = 0;
  constructor(
    private readonly exit: ((agent: ScenarioAgent) => Promise<void>) | undefined,
    world: { toolCalls: Array<Deferred<unknown>> },
  ) {
    super({
      instructions: 'You are the agent of a model-based test.',
      tools: {
        // Runs until the test releases it, so the agent is seen "thinking" while a tool runs.
        lookup: functionTool({
          description: 'Looks something up; takes as long as the test wants.',
          execute: () => {
            const call = deferred<unknown>();
            world.toolCalls.push(call);
            return call.promise;
          },
        }),
        broken: functionTool({
          description: 'Always fails.',
          execute: () => {
            throw new Error('tool exploded');
          },
        }),
      },
    });
  }
  override async onEnter(): Promise<void> {
    this.enters += 1;
  }
  override async onExit(): Promise<void> {
    this.exits += 1;
    await this.exit?.(this);
  }
}

interface World {
  session: AgentSession;
  llm: ScriptedLLM;
  out: TestOutput;
  agent: ScenarioAgent;
  room: LocalRoom | undefined;
  member: LocalRoomMember | undefined;
  toolCalls: Array<Deferred<unknown>>;
  /** The session's events, as short descriptions, since the step started. */
  emitted: string[];
  errors: ErrorEvent[];
  closes: CloseEvent[];
  /** Promises of calls a step did not wait for. */
  pending: Record<string, Promise<unknown>>;
  model: ModelReplay<typeof sessionMachine>;
}

interface Step {
  /** What happens in the real world. */
  do: string;
  act(w: World): unknown;
  /** The events the session's actor must receive, short names (see shortEventName). */
  events: string[];
  /** session.state, agentState, userState afterwards. */
  expect: [SessionState, AgentState, UserState];
  /** The session's events during the step: agent:a→b, user:a→b, speech:<source>, item:<role|type>, error:<class>, close:<reason>. */
  emits: string[];
  check?(w: World): void | Promise<void>;
}

interface Scenario {
  name: string;
  options?: AgentSessionOptions;
  llm?: ScriptedReply[];
  room?: 'local' | 'held' | 'refusing';
  /** Keep the room's own transcription output instead of a ScriptedOutput. */
  roomOutput?: boolean;
  onExit?: (agent: ScenarioAgent) => Promise<void>;
  steps: Step[];
}

function describeEvent(type: string, event: Record<string, unknown>): string {
  switch (type) {
    case 'agent_state_changed':
      return `agent:${event.oldState}→${event.newState}`;
    case 'user_state_changed':
      return `user:${event.oldState}→${event.newState}`;
    case 'speech_created':
      return `speech:${event.source}`;
    case 'conversation_item_added': {
      const item = event.item as { type: string; role?: string };
      return `item:${item.type === 'message' ? item.role : item.type}`;
    }
    case 'error':
      return event.error instanceof Error ? `error:${event.error.name}` : 'error';
    case 'close':
      return `close:${event.reason}`;
    default:
      return type;
  }
}

function build(scenario: Scenario): World {
  const toolCalls: Array<Deferred<unknown>> = [];
  const llm = new ScriptedLLM(scenario.llm ?? []);
  const options: AgentSessionOptions = { llm, userAwayTimeout: null, ...scenario.options };
  const session = new AgentSession(options);
  const room =
    scenario.room === 'local' ? new LocalRoom() : scenario.room === 'held' ? new HeldRoom() : scenario.room === 'refusing' ? new RefusingRoom() : undefined;
  const member = room?.join({ identity: 'user' });
  const out = new TestOutput();
  if (!scenario.roomOutput) session.output = out;
  const w: World = {
    session,
    llm,
    out,
    agent: new ScenarioAgent(scenario.onExit, { toolCalls }),
    room,
    member,
    toolCalls,
    emitted: [],
    errors: [],
    closes: [],
    pending: {},
    model: new ModelReplay(sessionMachine, {
      userAwayTimeout: options.userAwayTimeout === undefined ? 15_000 : options.userAwayTimeout,
      speechDrainTimeout: options.speechDrainTimeout ?? 30_000,
      closeTimeout: options.closeTimeout ?? 10_000,
    }),
  };
  for (const type of ['agent_state_changed', 'user_state_changed', 'speech_created', 'conversation_item_added', 'error', 'close'] as const) {
    const listener = (event: Record<string, unknown>) => void w.emitted.push(describeEvent(type, event));
    session.on(type, listener as never);
  }
  session.on('error', (event) => w.errors.push(event));
  session.on('close', (event) => w.closes.push(event));
  return w;
}

/** Starts a call the step does not wait for; its outcome is kept for later checks. */
function background(w: World, name: string, promise: Promise<unknown>): void {
  const kept = promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  w.pending[name] = kept;
}

async function outcome(w: World, name: string): Promise<{ ok: boolean; value?: unknown; error?: unknown } | 'pending'> {
  const marker = Symbol('pending');
  const result = await Promise.race([w.pending[name]!, Promise.resolve(marker)]);
  return result === marker ? 'pending' : (result as { ok: boolean });
}

const stripDetail = (descriptor: string) => (descriptor.startsWith('error:') ? 'error' : descriptor);

async function run(scenario: Scenario): Promise<World> {
  const w = build(scenario);
  received.take(w.session.actor);
  for (const [index, step] of scenario.steps.entries()) {
    const where = `${scenario.name}, step ${index + 1} (${step.do})`;
    w.emitted.length = 0;
    await step.act(w);
    await settle();
    const events = received.take(w.session.actor);
    expect(events.map((event) => shortEventName(event.type)), `${where}: events received`).toEqual(step.events);
    // The statechart, given the same events, is where the real actor is and emits what it emitted.
    const modelEmitted = w.model.apply(events as EventObject[]);
    const snapshot = w.session.actor.getSnapshot();
    const model = w.model.snapshot;
    expect(snapshot.value, `${where}: state value against the model`).toEqual(model.value);
    const pick = (c: typeof model.context) => [c.agentState, c.userState, c.closeRequested, c.closeReason];
    expect(pick(snapshot.context), `${where}: context against the model`).toEqual(pick(model.context));
    expect(modelEmitted.map((event) => stripDetail(describeEvent(event.type, event))), `${where}: the model emits`).toEqual(
      step.emits.map(stripDetail),
    );
    // The public surface.
    expect([w.session.state, w.session.agentState, w.session.userState], `${where}: state, agentState, userState`).toEqual(step.expect);
    expect(w.emitted, `${where}: session events`).toEqual(step.emits);
    await step.check?.(w);
  }
  return w;
}

// ---- steps used by many scenarios ----

const start = (extra: Partial<Step> = {}): Step => ({
  do: 'start(agent)',
  act: (w) => w.session.start({ agent: w.agent, ...(w.room ? { room: w.room } : {}) }),
  events: ['start', 'done.startSession'],
  expect: ['running', 'listening', 'listening'],
  emits: ['agent:initializing→listening'],
  check: (w) => expect(w.agent.enters).toBe(1),
  ...extra,
});

const acloseFromRunning = (agent: AgentState, user: UserState = 'listening'): Step => ({
  do: 'await aclose()',
  act: (w) => w.session.aclose(),
  events: ['close', 'done.exitAgent', 'done.awaitSpeech', 'done.releaseResources'],
  expect: ['closed', agent, user],
  emits: ['close:user_initiated'],
  check: (w) => {
    expect(w.agent.exits).toBe(1);
    expect(w.closes).toEqual([expect.objectContaining({ reason: 'user_initiated', error: null })]);
  },
});

const advance = (ms: number, events: string[], expectState: Step['expect'], emits: string[] = []): Step => ({
  do: `${ms} ms pass`,
  act: () => vi.advanceTimersByTimeAsync(ms),
  events,
  expect: expectState,
  emits,
});

const lastMessage = (w: World) => w.session.history.messages().at(-1);

// ---- the paths ----

const scenarios: Scenario[] = [
  {
    name: 'the agent thinks, speaks, runs a tool, says something, and replies with nothing',
    llm: [{ text: 'Let me check.', toolCalls: [{ name: 'lookup' }], hold: true }, { text: '', hold: true }],
    steps: [
      start(),
      {
        do: 'generateReply() (the LLM holds its answer)',
        act: (w) => void w.session.generateReply(),
        events: ['speech.created', 'agent.thinking'],
        expect: ['running', 'thinking', 'listening'],
        emits: ['speech:generate_reply', 'agent:listening→thinking'],
        check: (w) => expect(w.llm.heldCount).toBe(1),
      },
      {
        do: 'the LLM answers with text and a tool call',
        act: (w) => w.llm.release(),
        events: ['agent.speaking'],
        expect: ['running', 'speaking', 'listening'],
        emits: ['agent:thinking→speaking'],
        check: (w) => expect(w.out.playing.map((p) => p.text)).toEqual(['Let me check.']),
      },
      {
        do: 'the output finishes playing; the tool runs',
        act: (w) => w.out.finish(),
        events: ['agent.thinking', 'item.added'],
        expect: ['running', 'thinking', 'listening'],
        emits: ['agent:speaking→thinking', 'item:assistant'],
        check: (w) => {
          expect(w.toolCalls).toHaveLength(1);
          expect(w.session.history.items.map((item) => item.type)).toEqual(['message', 'function_call']);
        },
      },
      {
        do: 'the tool returns nothing to talk about',
        act: (w) => w.toolCalls[0]!.resolve(null),
        events: ['agent.listening'],
        expect: ['running', 'listening', 'listening'],
        emits: ['agent:thinking→listening'],
        check: (w) => expect(w.session.history.items.at(-1)).toMatchObject({ type: 'function_call_output', name: 'lookup' }),
      },
      {
        do: 'say("Anything else?")',
        act: (w) => void w.session.say('Anything else?'),
        events: ['speech.created', 'agent.speaking'],
        expect: ['running', 'speaking', 'listening'],
        emits: ['speech:say', 'agent:listening→speaking'],
      },
      {
        do: 'the output finishes playing',
        act: (w) => w.out.finish(),
        events: ['agent.listening', 'item.added'],
        expect: ['running', 'listening', 'listening'],
        emits: ['agent:speaking→listening', 'item:assistant'],
        check: (w) => expect(lastMessage(w)).toMatchObject({ role: 'assistant', content: 'Anything else?', interrupted: false }),
      },
      {
        do: 'generateReply() (held again)',
        act: (w) => void w.session.generateReply(),
        events: ['speech.created', 'agent.thinking'],
        expect: ['running', 'thinking', 'listening'],
        emits: ['speech:generate_reply', 'agent:listening→thinking'],
      },
      {
        do: 'the LLM answers with nothing',
        act: (w) => w.llm.release(),
        events: ['agent.listening'],
        expect: ['running', 'listening', 'listening'],
        emits: ['agent:thinking→listening'],
        check: (w) => expect(w.session.history.messages()).toHaveLength(2),
      },
      acloseFromRunning('listening'),
    ],
  },
  {
    name: 'the user speaks (VAD edges) and types; the agent answers',
    llm: [{ text: 'Hello there.' }],
    steps: [
      start(),
      {
        do: 'input.speechStarted()',
        act: (w) => w.session.input.speechStarted(),
        events: ['user.speechStarted'],
        expect: ['running', 'listening', 'speaking'],
        emits: ['user:listening→speaking'],
      },
      {
        do: 'input.speechEnded()',
        act: (w) => w.session.input.speechEnded(),
        events: ['user.speechEnded'],
        expect: ['running', 'listening', 'listening'],
        emits: ['user:speaking→listening'],
      },
      {
        do: 'input.text("hi")',
        act: (w) => w.session.input.text('hi'),
        events: ['item.added', 'user.active', 'speech.created', 'agent.thinking', 'agent.speaking'],
        expect: ['running', 'speaking', 'listening'],
        emits: ['item:user', 'speech:generate_reply', 'agent:listening→thinking', 'agent:thinking→speaking'],
        check: (w) => {
          expect(w.llm.requests.at(-1)!.chatCtx.messages().map((m) => m.content)).toEqual(['hi']);
          expect(w.out.playing.map((p) => p.text)).toEqual(['Hello there.']);
        },
      },
      {
        do: 'input.speechStarted() while the agent speaks',
        act: (w) => w.session.input.speechStarted(),
        events: ['user.speechStarted'],
        expect: ['running', 'speaking', 'speaking'],
        emits: ['user:listening→speaking'],
      },
      {
        do: 'the output finishes playing',
        act: (w) => w.out.finish(),
        events: ['agent.thinking', 'item.added', 'agent.listening'],
        expect: ['running', 'listening', 'speaking'],
        emits: ['agent:speaking→thinking', 'item:assistant', 'agent:thinking→listening'],
        check: (w) => expect(w.session.history.messages().map((m) => `${m.role}: ${m.content}`)).toEqual(['user: hi', 'assistant: Hello there.']),
      },
      {
        do: 'input.speechEnded()',
        act: (w) => w.session.input.speechEnded(),
        events: ['user.speechEnded'],
        expect: ['running', 'listening', 'listening'],
        emits: ['user:speaking→listening'],
      },
      acloseFromRunning('listening'),
    ],
  },
  {
    name: 'the user goes away after shared silence; the timer re-arms and waits while the agent thinks or speaks',
    options: { userAwayTimeout: 1_000 },
    llm: [{ text: 'Welcome back.', hold: true }],
    steps: [
      start(),
      advance(999, [], ['running', 'listening', 'listening']),
      advance(1, ['after.userAwayTimeout'], ['running', 'listening', 'away'], ['user:listening→away']),
      {
        do: 'input.text("back") (the LLM holds its answer)',
        act: (w) => w.session.input.text('back'),
        events: ['item.added', 'user.active', 'speech.created', 'agent.thinking'],
        expect: ['running', 'thinking', 'listening'],
        emits: ['item:user', 'user:away→listening', 'speech:generate_reply', 'agent:listening→thinking'],
      },
      // The timer armed by the user's turn runs out while the agent thinks: refused by its guard.
      advance(5_000, ['after.userAwayTimeout'], ['running', 'thinking', 'listening']),
      {
        do: 'the LLM answers',
        act: (w) => w.llm.release(),
        events: ['agent.speaking'],
        expect: ['running', 'speaking', 'listening'],
        emits: ['agent:thinking→speaking'],
      },
      advance(5_000, [], ['running', 'speaking', 'listening']),
      {
        do: 'the output finishes playing: the agent listens again and the timer re-arms',
        act: (w) => w.out.finish(),
        events: ['agent.thinking', 'item.added', 'agent.listening'],
        expect: ['running', 'listening', 'listening'],
        emits: ['agent:speaking→thinking', 'item:assistant', 'agent:thinking→listening'],
      },
      advance(999, [], ['running', 'listening', 'listening']),
      advance(1, ['after.userAwayTimeout'], ['running', 'listening', 'away'], ['user:listening→away']),
      {
        do: 'input.speechStarted() while away',
        act: (w) => w.session.input.speechStarted(),
        events: ['user.speechStarted'],
        expect: ['running', 'listening', 'speaking'],
        emits: ['user:away→speaking'],
      },
      {
        do: 'input.speechEnded(): the timer re-arms',
        act: (w) => w.session.input.speechEnded(),
        events: ['user.speechEnded'],
        expect: ['running', 'listening', 'listening'],
        emits: ['user:speaking→listening'],
      },
      {
        do: 'say("Still there?")',
        act: (w) => void w.session.say('Still there?'),
        events: ['speech.created', 'agent.speaking'],
        expect: ['running', 'speaking', 'listening'],
        emits: ['speech:say', 'agent:listening→speaking'],
      },
      // The timer runs out while the agent speaks: refused by its guard.
      advance(1_000, ['after.userAwayTimeout'], ['running', 'speaking', 'listening']),
      {
        do: 'the output finishes playing: the timer re-arms',
        act: (w) => w.out.finish(),
        events: ['agent.listening', 'item.added'],
        expect: ['running', 'listening', 'listening'],
        emits: ['agent:speaking→listening', 'item:assistant'],
      },
      advance(999, [], ['running', 'listening', 'listening']),
      advance(1, ['after.userAwayTimeout'], ['running', 'listening', 'away'], ['user:listening→away']),
      acloseFromRunning('listening', 'away'),
    ],
  },
  {
    name: 'userAwayTimeout: null never marks the user away',
    options: { userAwayTimeout: null },
    steps: [
      start(),
      // The disabled timer waits the longest setTimeout allows, then its guard refuses it.
      advance(2 ** 31, ['after.userAwayTimeout'], ['running', 'listening', 'listening']),
      advance(30 * 24 * 3_600_000, [], ['running', 'listening', 'listening']),
      acloseFromRunning('listening'),
    ],
  },
  {
    name: 'started with a LocalRoom: the member talks through the room; the member leaving closes without drain',
    room: 'local',
    roomOutput: true,
    llm: [{ text: 'Hi from the agent.' }],
    steps: [
      start({
        check: (w) => {
          expect(w.room!.isConnected).toBe(true);
          expect(w.agent.enters).toBe(1);
        },
      }),
      {
        do: 'the member sends "hello" in the room',
        act: (w) => w.member!.sendText('hello'),
        events: ['item.added', 'user.active', 'speech.created', 'agent.thinking', 'agent.speaking', 'agent.thinking', 'item.added', 'agent.listening'],
        expect: ['running', 'listening', 'listening'],
        emits: [
          'item:user',
          'speech:generate_reply',
          'agent:listening→thinking',
          'agent:thinking→speaking',
          'agent:speaking→thinking',
          'item:assistant',
          'agent:thinking→listening',
        ],
        check: (w) => expect(w.member!.received.map((r) => [r.topic, r.text])).toEqual([['lk.transcription', 'Hi from the agent.']]),
      },
      {
        do: 'the member leaves the room',
        act: (w) => w.member!.leave(),
        events: ['close', 'done.exitAgent', 'done.awaitSpeech', 'done.releaseResources'],
        expect: ['closed', 'listening', 'listening'],
        emits: ['close:participant_disconnected'],
        check: (w) => expect(w.agent.exits).toBe(1),
      },
    ],
  },
  {
    name: "a room whose connect() rejects: starting → closing → closed with reason error, start() rejects",
    room: 'refusing',
    steps: [
      {
        do: 'start(agent, room)',
        act: (w) => background(w, 'start', w.session.start({ agent: w.agent, room: w.room! })),
        events: ['start', 'error.startSession', 'done.releaseResources'],
        expect: ['closed', 'initializing', 'listening'],
        emits: ['error:VoxstateError', 'close:error'],
        check: async (w) => {
          const result = await outcome(w, 'start');
          expect(result).toMatchObject({ ok: false, error: expect.any(VoxstateError) });
          expect(((result as { error: Error }).error.cause as Error).message).toBe('connection refused');
          expect(w.closes[0]).toMatchObject({ reason: 'error', error: (result as { error: Error }).error });
          expect(w.errors[0]).toMatchObject({ source: 'session', error: (result as { error: Error }).error });
          // The agent never entered, so it does not exit either.
          expect([w.agent.enters, w.agent.exits]).toEqual([0, 0]);
        },
      },
    ],
  },
  {
    name: 'a close requested while starting waits for the connection, then drains and closes; the first reason wins',
    room: 'held',
    steps: [
      {
        do: 'start(agent, room) (the room holds the connection)',
        act: (w) => background(w, 'start', w.session.start({ agent: w.agent, room: w.room! })),
        events: ['start'],
        expect: ['starting', 'initializing', 'listening'],
        emits: [],
      },
      {
        do: 'aclose()',
        act: (w) => background(w, 'aclose', w.session.aclose()),
        events: ['close'],
        expect: ['starting', 'initializing', 'listening'],
        emits: [],
      },
      {
        do: 'shutdown({ reason: job_shutdown })',
        act: (w) => w.session.shutdown({ reason: 'job_shutdown' }),
        events: ['close'],
        expect: ['starting', 'initializing', 'listening'],
        emits: [],
      },
      {
        do: 'the room connects',
        act: (w) => (w.room as HeldRoom).gate.resolve(),
        events: ['done.startSession', 'done.exitAgent', 'done.awaitSpeech', 'done.releaseResources'],
        expect: ['closed', 'initializing', 'listening'],
        emits: ['close:user_initiated'],
        check: async (w) => {
          expect(await outcome(w, 'start')).toMatchObject({ ok: true });
          expect(await outcome(w, 'aclose')).toMatchObject({ ok: true });
          expect([w.agent.enters, w.agent.exits]).toEqual([0, 0]);
        },
      },
    ],
  },
  {
    name: 'a session closed before it started goes straight to closed',
    steps: [
      {
        do: 'aclose() on an idle session',
        act: (w) => w.session.aclose(),
        events: ['close'],
        expect: ['closed', 'initializing', 'listening'],
        emits: ['close:user_initiated'],
        check: async (w) => {
          await expect(w.session.start({ agent: w.agent })).rejects.toBeInstanceOf(ClosedError);
          expect(w.agent.enters).toBe(0);
        },
      },
    ],
  },
  {
    name: 'drain(): onExit says goodbye, the session waits drained; the user still talks; a close with drain ends it',
    options: { userAwayTimeout: 1_000 },
    onExit: async (agent) => {
      await agent.session.say('Goodbye!');
    },
    steps: [
      start(),
      advance(1_000, ['after.userAwayTimeout'], ['running', 'listening', 'away'], ['user:listening→away']),
      {
        do: 'drain(): onExit says goodbye',
        act: (w) => background(w, 'drain', w.session.drain()),
        events: ['drain', 'speech.created', 'agent.speaking'],
        expect: ['draining', 'speaking', 'away'],
        emits: ['speech:say', 'agent:listening→speaking'],
        check: async (w) => {
          expect(w.session.actor.getSnapshot().matches({ draining: 'exitingAgent' })).toBe(true);
          expect(await outcome(w, 'drain')).toBe('pending');
        },
      },
      {
        do: 'the goodbye finishes playing',
        act: (w) => w.out.finish(),
        events: ['agent.listening', 'item.added', 'done.exitAgent', 'done.awaitSpeech'],
        expect: ['draining', 'listening', 'away'],
        emits: ['agent:speaking→listening', 'item:assistant'],
        check: async (w) => {
          expect(w.session.actor.getSnapshot().matches({ draining: 'drained' })).toBe(true);
          expect(await outcome(w, 'drain')).toMatchObject({ ok: true });
          expect(lastMessage(w)).toMatchObject({ role: 'assistant', content: 'Goodbye!' });
          expect(() => w.session.say('one more thing')).toThrow(ClosedError);
          expect(w.agent.exits).toBe(1);
        },
      },
      {
        do: 'the user types while the session waits drained: kept, and the user is back',
        act: (w) => w.session.input.text('wait!'),
        events: ['item.added', 'user.active'],
        expect: ['draining', 'listening', 'listening'],
        emits: ['item:user', 'user:away→listening'],
        check: (w) => expect(lastMessage(w)).toMatchObject({ role: 'user', content: 'wait!' }),
      },
      {
        do: 'input.speechStarted()',
        act: (w) => w.session.input.speechStarted(),
        events: ['user.speechStarted'],
        expect: ['draining', 'listening', 'speaking'],
        emits: ['user:listening→speaking'],
      },
      {
        do: 'input.speechEnded()',
        act: (w) => w.session.input.speechEnded(),
        events: ['user.speechEnded'],
        expect: ['draining', 'listening', 'listening'],
        emits: ['user:speaking→listening'],
      },
      {
        do: 'shutdown({ drain: true })',
        act: (w) => w.session.shutdown({ drain: true }),
        events: ['close', 'done.releaseResources'],
        expect: ['closed', 'listening', 'listening'],
        emits: ['close:user_initiated'],
        check: (w) => expect(w.agent.exits).toBe(1),
      },
    ],
  },
  {
    name: 'a close without drain while draining interrupts the speech still playing',
    steps: [
      start(),
      {
        do: 'say("a very long story")',
        act: (w) => void w.session.say('a very long story'),
        events: ['speech.created', 'agent.speaking'],
        expect: ['running', 'speaking', 'listening'],
        emits: ['speech:say', 'agent:listening→speaking'],
      },
      {
        do: 'drain(): onExit, then waiting for the story',
        act: (w) => background(w, 'drain', w.session.drain()),
        events: ['drain', 'done.exitAgent'],
        expect: ['draining', 'speaking', 'listening'],
        emits: [],
        check: (w) => expect(w.session.actor.getSnapshot().matches({ draining: 'awaitingSpeech' })).toBe(true),
      },
      {
        do: 'aclose()',
        act: (w) => background(w, 'aclose', w.session.aclose()),
        events: ['close', 'agent.listening', 'item.added', 'done.awaitSpeech', 'done.releaseResources'],
        expect: ['closed', 'listening', 'listening'],
        emits: ['agent:speaking→listening', 'item:assistant', 'close:user_initiated'],
        check: async (w) => {
          expect(w.out.played).toEqual([expect.objectContaining({ text: 'a very long story', interrupted: true })]);
          expect(lastMessage(w)).toMatchObject({ role: 'assistant', interrupted: true });
          expect(await outcome(w, 'drain')).toMatchObject({ ok: true });
          expect(await outcome(w, 'aclose')).toMatchObject({ ok: true });
        },
      },
    ],
  },
  {
    name: 'drain() then aclose(): a close without drain after the session drained',
    steps: [
      start(),
      {
        do: 'await drain()',
        act: (w) => w.session.drain(),
        events: ['drain', 'done.exitAgent', 'done.awaitSpeech'],
        expect: ['draining', 'listening', 'listening'],
        emits: [],
      },
      {
        do: 'await aclose()',
        act: (w) => w.session.aclose(),
        events: ['close', 'done.releaseResources'],
        expect: ['closed', 'listening', 'listening'],
        emits: ['close:user_initiated'],
        check: (w) => expect(w.agent.exits).toBe(1),
      },
    ],
  },
  {
    name: 'a close with drain lets the reply being thought out play first (the agent thinks and speaks while draining)',
    llm: [{ text: 'One moment.', hold: true }],
    steps: [
      start(),
      {
        do: 'generateReply() (held)',
        act: (w) => void w.session.generateReply(),
        events: ['speech.created', 'agent.thinking'],
        expect: ['running', 'thinking', 'listening'],
        emits: ['speech:generate_reply', 'agent:listening→thinking'],
      },
      {
        do: 'shutdown({ drain: true })',
        act: (w) => w.session.shutdown({ drain: true }),
        events: ['close', 'done.exitAgent'],
        expect: ['draining', 'thinking', 'listening'],
        emits: [],
        check: (w) => expect(w.agent.exits).toBe(1),
      },
      {
        do: 'the LLM answers',
        act: (w) => w.llm.release(),
        events: ['agent.speaking'],
        expect: ['draining', 'speaking', 'listening'],
        emits: ['agent:thinking→speaking'],
      },
      {
        do: 'the output finishes playing',
        act: (w) => w.out.finish(),
        events: ['agent.thinking', 'item.added', 'agent.listening', 'done.awaitSpeech', 'done.releaseResources'],
        expect: ['closed', 'listening', 'listening'],
        emits: ['agent:speaking→thinking', 'item:assistant', 'agent:thinking→listening', 'close:user_initiated'],
        check: (w) => expect(w.out.played).toEqual([expect.objectContaining({ text: 'One moment.', interrupted: false })]),
      },
    ],
  },
  {
    name: 'errors are reported as they happen: an LLM failure, a tool failure',
    llm: [{ error: new Error('llm down') }, { toolCalls: [{ name: 'broken' }] }, { text: '' }],
    steps: [
      start(),
      {
        do: 'generateReply() (the LLM fails)',
        act: (w) => void w.session.generateReply(),
        events: ['speech.created', 'agent.thinking', 'error.reported', 'agent.listening'],
        expect: ['running', 'listening', 'listening'],
        emits: ['speech:generate_reply', 'agent:listening→thinking', 'error:VoxstateError', 'agent:thinking→listening'],
        check: (w) => {
          expect(w.errors).toHaveLength(1);
          expect(w.errors[0]).toMatchObject({ source: 'llm' });
          expect(w.errors[0]!.error.message).toContain('llm down');
        },
      },
      {
        do: 'generateReply() (the tool it calls throws; the reply goes on with the error)',
        act: (w) => void w.session.generateReply(),
        events: ['speech.created', 'agent.thinking', 'error.reported', 'speech.created', 'agent.listening'],
        expect: ['running', 'listening', 'listening'],
        emits: ['speech:generate_reply', 'agent:listening→thinking', 'error:HookError', 'speech:tool_response', 'agent:thinking→listening'],
        check: (w) => {
          expect(w.errors[1]).toMatchObject({ source: 'tool', error: expect.any(HookError) });
          expect(w.session.history.items.at(-1)).toMatchObject({ type: 'function_call_output', isError: true });
        },
      },
      acloseFromRunning('listening'),
    ],
  },
  {
    name: "an onExit that throws is reported (exitAgent fails) and the close goes on",
    onExit: async () => {
      throw new Error('onExit exploded');
    },
    steps: [
      start(),
      {
        do: 'await aclose()',
        act: (w) => w.session.aclose(),
        events: ['close', 'error.exitAgent', 'done.awaitSpeech', 'done.releaseResources'],
        expect: ['closed', 'listening', 'listening'],
        emits: ['error:HookError', 'close:user_initiated'],
        check: (w) => {
          expect(w.errors[0]!.error).toMatchObject({ hook: 'onExit', owner: w.agent.id });
          expect(w.errors[0]!.error.message).toContain('onExit exploded');
          expect(w.closes[0]).toMatchObject({ reason: 'user_initiated', error: null });
        },
      },
    ],
  },
  {
    name: 'an output whose flush fails is reported (awaitSpeech fails) and the close goes on',
    steps: [
      start(),
      {
        do: 'the output cannot flush; await aclose()',
        act: (w) => {
          w.out.flushError = new Error('flush failed');
          return w.session.aclose();
        },
        events: ['close', 'done.exitAgent', 'error.awaitSpeech', 'done.releaseResources'],
        expect: ['closed', 'listening', 'listening'],
        emits: ['error:VoxstateError', 'close:user_initiated'],
        check: (w) => expect((w.errors[0]!.error.cause as Error).message).toBe('flush failed'),
      },
    ],
  },
  {
    name: 'a speech that never finishes is cut off after speechDrainTimeout',
    options: { speechDrainTimeout: 2_000 },
    steps: [
      start(),
      {
        do: 'say("this never ends")',
        act: (w) => void w.session.say('this never ends'),
        events: ['speech.created', 'agent.speaking'],
        expect: ['running', 'speaking', 'listening'],
        emits: ['speech:say', 'agent:listening→speaking'],
      },
      {
        do: 'shutdown({ drain: true })',
        act: (w) => w.session.shutdown({ drain: true }),
        events: ['close', 'done.exitAgent'],
        expect: ['draining', 'speaking', 'listening'],
        emits: [],
      },
      advance(1_999, [], ['draining', 'speaking', 'listening']),
      {
        do: '1 ms more: the drain times out, the speech is interrupted',
        act: () => vi.advanceTimersByTimeAsync(1),
        // The speech ends once the session is already closing; the agent is listening again
        // before the session closes.
        events: ['after.speechDrainTimeout', 'agent.listening', 'item.added', 'done.releaseResources'],
        expect: ['closed', 'listening', 'listening'],
        emits: ['error:TimeoutError', 'agent:speaking→listening', 'item:assistant', 'close:user_initiated'],
        check: (w) => {
          expect(w.errors[0]!.error).toMatchObject({ timeoutMs: 2_000 });
          expect(w.out.played).toEqual([expect.objectContaining({ interrupted: true })]);
        },
      },
    ],
  },
  {
    name: 'an output whose close fails is reported (releaseResources fails) and the session closes',
    steps: [
      start(),
      {
        do: 'the output cannot close; await aclose()',
        act: (w) => {
          w.out.closeError = new Error('close failed');
          return w.session.aclose();
        },
        events: ['close', 'done.exitAgent', 'done.awaitSpeech', 'error.releaseResources'],
        expect: ['closed', 'listening', 'listening'],
        emits: ['error:VoxstateError', 'close:user_initiated'],
        check: (w) => expect((w.errors[0]!.error.cause as Error).message).toBe('close failed'),
      },
    ],
  },
  {
    name: 'releasing resources that hang is cut off after closeTimeout',
    options: { closeTimeout: 1_000 },
    steps: [
      start(),
      {
        do: 'the output hangs on close; aclose()',
        act: (w) => {
          w.out.closeHangs = true;
          background(w, 'aclose', w.session.aclose());
        },
        events: ['close', 'done.exitAgent', 'done.awaitSpeech'],
        expect: ['closing', 'listening', 'listening'],
        emits: [],
      },
      advance(999, [], ['closing', 'listening', 'listening']),
      {
        do: '1 ms more',
        act: () => vi.advanceTimersByTimeAsync(1),
        events: ['after.closeTimeout'],
        expect: ['closed', 'listening', 'listening'],
        emits: ['error:TimeoutError', 'close:user_initiated'],
        check: async (w) => {
          expect(w.errors[0]!.error).toMatchObject({ timeoutMs: 1_000 });
          expect(w.errors[0]!.error.message).toBe('closing the session did not finish within 1000 ms');
          expect(await outcome(w, 'aclose')).toMatchObject({ ok: true });
        },
      },
    ],
  },
  {
    name: 'a handoff is announced as a conversation item; the old agent exits, the new one enters',
    steps: [
      start(),
      {
        do: 'updateAgent(other)',
        act: (w) => w.session.updateAgent(new Agent({ instructions: 'the other agent', id: 'other_agent' })),
        events: ['item.added'],
        expect: ['running', 'listening', 'listening'],
        emits: ['item:agent_handoff'],
        check: (w) => {
          expect(w.agent.exits).toBe(1);
          expect(w.session.currentAgent?.id).toBe('other_agent');
          expect(w.session.history.items.at(-1)).toMatchObject({ type: 'agent_handoff', oldAgentId: w.agent.id, newAgentId: 'other_agent' });
        },
      },
      {
        do: 'await aclose()',
        act: (w) => w.session.aclose(),
        events: ['close', 'done.exitAgent', 'done.awaitSpeech', 'done.releaseResources'],
        expect: ['closed', 'listening', 'listening'],
        emits: ['close:user_initiated'],
        check: (w) => {
          expect(w.agent.exits).toBe(1);
          expect(w.session.currentAgent?.state).toBe('exited');
        },
      },
    ],
  },
];

describe('session machine, through the real AgentSession', () => {
  for (const scenario of scenarios) {
    it(scenario.name, async () => {
      await run(scenario);
    });
  }

  it('a tool that never returns does not hold closing: closing force-interrupts the speech that runs it', async () => {
    // Why closeTimeout above needs an output that hangs: release interrupts every live speech with
    // force, and an interrupted speech has ended at once, whatever its tool still does.
    const w = await run({
      name: 'a stuck tool while closing',
      options: { closeTimeout: 1_000 },
      llm: [{ text: 'Checking.', toolCalls: [{ name: 'lookup' }] }],
      steps: [
        start(),
        {
          do: 'generateReply(): it plays, then its tool never returns',
          act: async (w) => {
            w.session.generateReply();
            await settle();
            await w.out.finish();
          },
          events: ['speech.created', 'agent.thinking', 'agent.speaking', 'agent.thinking', 'item.added'],
          expect: ['running', 'thinking', 'listening'],
          emits: ['speech:generate_reply', 'agent:listening→thinking', 'agent:thinking→speaking', 'agent:speaking→thinking', 'item:assistant'],
        },
        {
          do: 'aclose()',
          act: (w) => background(w, 'aclose', w.session.aclose()),
          events: ['close', 'done.exitAgent', 'done.awaitSpeech', 'done.releaseResources'],
          expect: ['closed', 'thinking', 'listening'],
          emits: ['close:user_initiated'],
        },
      ],
    });
    expect(w.toolCalls[0]!.settled).toBe(false);
    expect(w.errors).toEqual([]);
  });

  it('together the paths take every state and transition of the session machine', () => {
    const { states, transitions } = coverage.coverage();
    expect(states.missing).toEqual([]);
    expect(transitions.missing).toEqual([]);
    expect(states.covered).toBe(states.total);
    expect(transitions.covered).toBe(transitions.total);
  });
});
