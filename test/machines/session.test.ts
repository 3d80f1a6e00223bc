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
 *
 * The last block, "generated paths (xstate/graph)", does the same with paths it does not write by
 * hand: xstate/graph generates them from the statechart, and a driver performs each event on a
 * fresh real session (see the comment above that block). There the actor is checked against the
 * statechart, and what users observe — the session's events with their payloads, its state,
 * agentState and userState, the close event, how its calls ended, onEnter / onExit — against
 * SessionContract, the README's session rules written out in the test, so that a bug in the
 * machine that the session follows faithfully still fails.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { __unsafe_getAllOwnEventDescriptors, type EventObject, type SnapshotFrom } from 'xstate';
import { sessionMachine, type AgentState, type CloseReason, type SessionMachineInput, type UserState } from '../../machines/session.js';
import { resolveTurnOptions } from '../../src/turn/turn_handling.js';
import {
  Agent,
  AgentSession,
  ClosedError,
  HookError,
  LocalRoom,
  StopResponse,
  VoxstateError,
  functionTool,
  type AgentSessionOptions,
  type CloseEvent,
  type ErrorEvent,
  type UserInputTranscribedEvent,
  type LocalRoomMember,
  type SessionState,
} from '../../src/index.js';
import { deferred, never, type Deferred } from '../support/deferred.js';
import { CoverageTracker } from '../support/model_coverage.js';
import { ModelReplay } from '../support/model_replay.js';
import { modelPaths, transitionsTaken, type ModelPath } from '../support/model_paths.js';
import { ReceivedEvents, shortEventName } from '../support/received_events.js';
import { ScriptedLLM, type ScriptedReply } from '../support/scripted_llm.js';
import { ScriptedOutput } from '../support/scripted_output.js';
import type { AudioFrame } from '../../src/audio/audio_frame.js';
import type { VADEvent } from '../../src/vad/vad.js';
import { HearingSTT, HearingVAD } from '../support/hearing_models.js';
import { settle, useFakeTime } from '../support/fake_time.js';

const coverage = new CoverageTracker(sessionMachine);
const received = new ReceivedEvents();

useFakeTime();
afterAll(() => {
  console.log(coverage.report());
  coverage.stop();
  received.stop();
});

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

/** A ScriptedOutput that can pause, and whose close() can hang, as an audio device that never lets go. */
class TestOutput extends ScriptedOutput {
  closeHangs = false;
  override pausable = true;
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
    case 'user_input_transcribed':
      return `transcript:${event.transcript}${event.isFinal ? '' : '…'}`;
    case 'function_tools_executed':
      return `tools:${(event.functionCalls as Array<{ name: string }>).map((call) => call.name).join(',')}`;
    case 'agent_false_interruption':
      return 'false interruption';
    default:
      return type;
  }
}

/** The session machine's input for a session of `options`. */
function machineInput(options: AgentSessionOptions): SessionMachineInput {
  const turn = resolveTurnOptions(options);
  return {
    // The session takes seconds; the machine, ms.
    userAwayTimeout: options.userAwayTimeout === undefined ? 15_000 : options.userAwayTimeout === null ? null : options.userAwayTimeout * 1000,
    speechDrainTimeout: options.speechDrainTimeout ?? 30_000,
    closeTimeout: options.closeTimeout ?? 10_000,
    interruption: turn.interruption,
    resumeFalseInterruption: turn.resumeFalseInterruption,
    falseInterruptionTimeout: turn.falseInterruptionTimeout,
  };
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
    model: new ModelReplay(sessionMachine, machineInput(options)),
  };
  for (const type of ['agent_state_changed', 'user_state_changed', 'agent_false_interruption', 'speech_created', 'conversation_item_added', 'user_input_transcribed', 'function_tools_executed', 'error', 'close'] as const) {
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

/** The session's announcements about data (items, speeches, tool steps), which it makes itself, not through its machine. */
const announcedBySession = (descriptor: string) => /^(item|speech|tools):/.test(descriptor);

/** Whether a close was asked for: the machine keeps its reason from the first one. */
const closeRequested = (context: { closeReason: unknown }) => context.closeReason !== undefined;

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
    const pick = (c: typeof model.context) => [closeRequested(c), c.closeReason];
    expect(pick(snapshot.context), `${where}: context against the model`).toEqual(pick(model.context));
    expect(modelEmitted.map((event) => stripDetail(describeEvent(event.type, event))), `${where}: the model emits`).toEqual(
      step.emits.filter((emitted) => !announcedBySession(emitted)).map(stripDetail),
    );
    // The public surface.
    expect([w.session.state, w.session.agentState, w.session.userState], `${where}: state, agentState, userState`).toEqual(step.expect);
    expect(w.emitted, `${where}: session events`).toEqual(step.emits);
    await step.check?.(w);
  }
  return w;
}

// ---- steps used by many scenarios ----

/** generateReply() with an LLM that answers and calls a tool: the reply plays, then its tool runs (the agent thinks on). */
const replyThenTool = (): Step => ({
  do: 'generateReply(): it plays, then its tool runs',
  act: async (w) => {
    w.session.generateReply();
    await settle();
    await w.out.finish();
  },
  events: ['speech.generating', 'speech.speaking', 'speech.toolsPending'],
  expect: ['running', 'thinking', 'listening'],
  emits: ['speech:generate_reply', 'agent:listening→thinking', 'agent:thinking→speaking', 'agent:speaking→thinking', 'item:assistant'],
});

const start = (extra: Partial<Step> = {}): Step => ({
  do: 'start(agent)',
  act: (w) => w.session.start({ agent: w.agent, ...(w.room ? { room: w.room } : {}) }),
  events: ['start', 'done.startSession'],
  expect: ['running', 'listening', 'listening'],
  emits: ['agent:initializing→listening'],
  check: (w) => expect(w.agent.enters).toBe(1),
  ...extra,
});

/** The user, whatever they were doing, is no longer heard once the session has closed: listening (no event). */
const acloseFromRunning = (agent: AgentState): Step => ({
  do: 'await aclose()',
  act: (w) => w.session.aclose(),
  events: ['close', 'done.exitAgent', 'done.awaitSpeech', 'done.releaseResources'],
  expect: ['closed', 'idle', 'listening'],
  emits: [`agent:${agent}→idle`, 'close:user_initiated'],
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

/** say("A long story.") while listening: the speech speaks at once. */
const sayStory = (): Step => ({
  do: 'say("A long story.")',
  act: (w) => void w.session.say('A long story.'),
  events: ['speech.generating', 'speech.speaking'],
  expect: ['running', 'speaking', 'listening'],
  emits: ['speech:say', 'agent:listening→speaking'],
});

/** generateReply() with the LLM's answer held: the agent thinks. */
const heldReply = (what = 'generateReply() (held)'): Step => ({
  do: what,
  act: (w) => void w.session.generateReply(),
  events: ['speech.generating'],
  expect: ['running', 'thinking', 'listening'],
  emits: ['speech:generate_reply', 'agent:listening→thinking'],
});

/** The running tool returns nothing to talk about: no follow-up, the agent listens. */
const toolReturnsNothing = (extra: Partial<Step> = {}): Step => ({
  do: 'the tool returns nothing to talk about',
  act: (w) => w.toolCalls[0]!.resolve(null),
  events: ['speech.idle'],
  expect: ['running', 'listening', 'listening'],
  emits: ['tools:lookup', 'agent:thinking→listening'],
  ...extra,
});

/** The output finishes playing the current speech: its message joins the history. */
const outputFinishes = (user: UserState = 'listening', extra: Partial<Step> = {}): Step => ({
  do: 'the output finishes playing',
  act: (w) => w.out.finish(),
  events: ['speech.idle'],
  expect: ['running', 'listening', user],
  emits: ['agent:speaking→listening', 'item:assistant'],
  ...extra,
});

// ---- the paths ----

/** The STT and the VAD of the scenarios that listen to the user's audio. */
const sttOfTheTable = new HearingSTT();
const vadOfTheTable = new HearingVAD();

/** Listening to the user (the microphone stays open): what the VAD and the STT of the table hear is the user's. */
const listen = (extra: Partial<Step> = {}): Step => ({
  do: 'listen()',
  act: (w) => void w.session.listen(openMicrophone()),
  events: [],
  expect: ['running', 'listening', 'listening'],
  emits: [],
  ...extra,
});

/** The VAD hears the user: speech starts, goes on (`ms` so far) or ends. */
const userVoice = (type: VADEvent['type'], ms: number, step: Omit<Step, 'do' | 'act'>): Step => ({
  do: type === 'inference_done' ? `the user has spoken for ${ms} ms` : type === 'start_of_speech' ? 'the user starts speaking' : 'the user stops speaking',
  act: () => vadOfTheTable.hear(type, ms),
  ...step,
});

/** A say() whose text the test holds: the speech waits for it in `generating`. */
function heldSay(w: World): Deferred<string> {
  const text = deferred<string>();
  w.session.say((async function* () {
    yield await text.promise;
  })());
  return text;
}

const scenarios: Scenario[] = [
  {
    name: 'the agent thinks, speaks, runs a tool, says something, and replies with nothing',
    llm: [{ text: 'Let me check.', toolCalls: [{ name: 'lookup' }], hold: true }, { text: '', hold: true }],
    steps: [
      start(),
      {
        do: 'generateReply() (the LLM holds its answer)',
        act: (w) => void w.session.generateReply(),
        events: ['speech.generating'],
        expect: ['running', 'thinking', 'listening'],
        emits: ['speech:generate_reply', 'agent:listening→thinking'],
        check: (w) => expect(w.llm.heldCount).toBe(1),
      },
      {
        do: 'the LLM answers with text and a tool call',
        act: (w) => w.llm.release(),
        events: ['speech.speaking'],
        expect: ['running', 'speaking', 'listening'],
        emits: ['agent:thinking→speaking'],
        check: (w) => expect(w.out.playing.map((p) => p.text)).toEqual(['Let me check.']),
      },
      {
        do: 'the output finishes playing; the tool runs',
        act: (w) => w.out.finish(),
        events: ['speech.toolsPending'],
        expect: ['running', 'thinking', 'listening'],
        emits: ['agent:speaking→thinking', 'item:assistant'],
        check: (w) => {
          expect(w.toolCalls).toHaveLength(1);
          expect(w.session.history.items.map((item) => item.type)).toEqual(['message', 'function_call']);
        },
      },
      toolReturnsNothing({ check: (w) => expect(w.session.history.items.at(-1)).toMatchObject({ type: 'function_call_output', name: 'lookup' }) }),
      {
        do: 'say("Anything else?")',
        act: (w) => void w.session.say('Anything else?'),
        events: ['speech.generating', 'speech.speaking'],
        expect: ['running', 'speaking', 'listening'],
        emits: ['speech:say', 'agent:listening→speaking'],
      },
      outputFinishes('listening', { check: (w) => expect(lastMessage(w)).toMatchObject({ role: 'assistant', content: 'Anything else?', interrupted: false }) }),
      {
        do: 'generateReply() (held again)',
        act: (w) => void w.session.generateReply(),
        events: ['speech.generating'],
        expect: ['running', 'thinking', 'listening'],
        emits: ['speech:generate_reply', 'agent:listening→thinking'],
      },
      {
        do: 'the LLM answers with nothing',
        act: (w) => w.llm.release(),
        events: ['speech.idle'],
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
        events: ['user.active', 'speech.generating', 'speech.speaking'],
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
      outputFinishes('speaking', { check: (w) => expect(w.session.history.messages().map((m) => `${m.role}: ${m.content}`)).toEqual(['user: hi', 'assistant: Hello there.']) }),
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
    name: 'what the STT hears is announced (user.transcribed); its final transcript is a user turn the agent answers',
    options: { stt: sttOfTheTable },
    llm: [{ text: 'It is noon.' }],
    steps: [
      start(),
      {
        do: 'listen(): the STT hears "what time" (interim)',
        act: (w) => {
          void w.session.listen(openMicrophone());
          sttOfTheTable.hear({ type: 'interim_transcript', alternatives: [{ text: 'what time', language: 'en' }] });
        },
        events: ['user.transcribed'],
        expect: ['running', 'listening', 'listening'],
        emits: ['transcript:what time…'],
      },
      {
        do: 'the STT hears the final "what time is it" (no VAD: the turn ends at once)',
        act: () => sttOfTheTable.hear({ type: 'final_transcript', alternatives: [{ text: 'what time is it', language: 'en' }] }),
        events: ['user.transcribed', 'user.active', 'speech.generating', 'speech.speaking'],
        expect: ['running', 'speaking', 'listening'],
        emits: ['transcript:what time is it', 'item:user', 'speech:generate_reply', 'agent:listening→thinking', 'agent:thinking→speaking'],
        check: (w) => expect(lastMessage(w)).toMatchObject({ role: 'user', content: 'what time is it' }),
      },
      outputFinishes(),
      acloseFromRunning('listening'),
    ],
  },
  {
    name: 'the user goes away after shared silence; the timer re-arms and waits while the agent thinks or speaks',
    options: { userAwayTimeout: 1 },
    llm: [{ text: 'Welcome back.', hold: true }],
    steps: [
      start(),
      advance(999, [], ['running', 'listening', 'listening']),
      advance(1, ['user.away'], ['running', 'listening', 'away'], ['user:listening→away']),
      {
        do: 'input.text("back") (the LLM holds its answer)',
        act: (w) => w.session.input.text('back'),
        events: ['user.active', 'speech.generating'],
        expect: ['running', 'thinking', 'listening'],
        emits: ['item:user', 'user:away→listening', 'speech:generate_reply', 'agent:listening→thinking'],
      },
      // The timer armed by the user's turn runs out while the agent thinks: refused by its guard.
      advance(5_000, ['user.away'], ['running', 'thinking', 'listening']),
      {
        do: 'the LLM answers',
        act: (w) => w.llm.release(),
        events: ['speech.speaking'],
        expect: ['running', 'speaking', 'listening'],
        emits: ['agent:thinking→speaking'],
      },
      advance(5_000, [], ['running', 'speaking', 'listening']),
      {
        do: 'the output finishes playing: the agent listens again and the timer re-arms',
        act: (w) => w.out.finish(),
        events: ['speech.idle'],
        expect: ['running', 'listening', 'listening'],
        emits: ['agent:speaking→listening', 'item:assistant'],
      },
      advance(999, [], ['running', 'listening', 'listening']),
      advance(1, ['user.away'], ['running', 'listening', 'away'], ['user:listening→away']),
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
        events: ['speech.generating', 'speech.speaking'],
        expect: ['running', 'speaking', 'listening'],
        emits: ['speech:say', 'agent:listening→speaking'],
      },
      // The timer runs out while the agent speaks: refused by its guard.
      advance(1_000, ['user.away'], ['running', 'speaking', 'listening']),
      {
        do: 'the output finishes playing: the timer re-arms',
        act: (w) => w.out.finish(),
        events: ['speech.idle'],
        expect: ['running', 'listening', 'listening'],
        emits: ['agent:speaking→listening', 'item:assistant'],
      },
      advance(999, [], ['running', 'listening', 'listening']),
      advance(1, ['user.away'], ['running', 'listening', 'away'], ['user:listening→away']),
      acloseFromRunning('listening'),
    ],
  },
  {
    name: 'userAwayTimeout: null never marks the user away',
    options: { userAwayTimeout: null },
    steps: [
      // No timer is set at all: an idle session holds nothing that would keep the process alive.
      start({
        check: (w) => {
          expect(w.agent.enters).toBe(1);
          expect(vi.getTimerCount()).toBe(0);
        },
      }),
      advance(2 ** 31, [], ['running', 'listening', 'listening']),
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
        events: ['user.active', 'speech.generating', 'speech.speaking', 'speech.idle'],
        expect: ['running', 'listening', 'listening'],
        emits: [
          'item:user',
          'speech:generate_reply',
          'agent:listening→thinking',
          'agent:thinking→speaking',
          'agent:speaking→listening',
          'item:assistant',
        ],
        check: (w) => expect(w.member!.received.map((r) => [r.topic, r.text])).toEqual([['lk.transcription', 'Hi from the agent.']]),
      },
      {
        do: 'the member leaves the room',
        act: (w) => w.member!.leave(),
        events: ['close', 'done.exitAgent', 'done.awaitSpeech', 'done.releaseResources'],
        expect: ['closed', 'idle', 'listening'],
        emits: ['agent:listening→idle', 'close:participant_disconnected'],
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
        expect: ['closed', 'idle', 'listening'],
        emits: ['error:VoxstateError', 'agent:initializing→idle', 'close:error'],
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
        expect: ['closed', 'idle', 'listening'],
        emits: ['agent:initializing→idle', 'close:user_initiated'],
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
        expect: ['closed', 'idle', 'listening'],
        emits: ['agent:initializing→idle', 'close:user_initiated'],
        check: async (w) => {
          await expect(w.session.start({ agent: w.agent })).rejects.toBeInstanceOf(ClosedError);
          expect(w.agent.enters).toBe(0);
        },
      },
    ],
  },
  {
    name: 'drain(): onExit says goodbye, the session waits drained; the user still talks; a close with drain ends it',
    options: { userAwayTimeout: 1 },
    onExit: async (agent) => {
      await agent.session.say('Goodbye!');
    },
    steps: [
      start(),
      advance(1_000, ['user.away'], ['running', 'listening', 'away'], ['user:listening→away']),
      {
        do: 'drain(): onExit says goodbye',
        act: (w) => background(w, 'drain', w.session.drain()),
        events: ['drain', 'speech.generating', 'speech.speaking'],
        expect: ['draining', 'speaking', 'away'],
        emits: ['speech:say', 'agent:listening→speaking'],
        check: async (w) => {
          expect(w.session.actor.getSnapshot().matches({ open: { lifecycle: { draining: 'exitingAgent' } } })).toBe(true);
          expect(await outcome(w, 'drain')).toBe('pending');
        },
      },
      {
        do: 'the goodbye finishes playing',
        act: (w) => w.out.finish(),
        events: ['speech.idle', 'done.exitAgent', 'done.awaitSpeech'],
        expect: ['draining', 'listening', 'away'],
        emits: ['agent:speaking→listening', 'item:assistant'],
        check: async (w) => {
          expect(w.session.actor.getSnapshot().matches({ open: { lifecycle: { draining: 'drained' } } })).toBe(true);
          expect(await outcome(w, 'drain')).toMatchObject({ ok: true });
          expect(lastMessage(w)).toMatchObject({ role: 'assistant', content: 'Goodbye!' });
          expect(() => w.session.say('one more thing')).toThrow(ClosedError);
          expect(w.agent.exits).toBe(1);
        },
      },
      {
        do: 'the user types while the session waits drained: kept, and the user is back',
        act: (w) => w.session.input.text('wait!'),
        events: ['user.active'],
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
        expect: ['closed', 'idle', 'listening'],
        emits: ['agent:listening→idle', 'close:user_initiated'],
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
        events: ['speech.generating', 'speech.speaking'],
        expect: ['running', 'speaking', 'listening'],
        emits: ['speech:say', 'agent:listening→speaking'],
      },
      {
        do: 'drain(): onExit, then waiting for the story',
        act: (w) => background(w, 'drain', w.session.drain()),
        events: ['drain', 'done.exitAgent'],
        expect: ['draining', 'speaking', 'listening'],
        emits: [],
        check: (w) => expect(w.session.actor.getSnapshot().matches({ open: { lifecycle: { draining: 'awaitingSpeech' } } })).toBe(true),
      },
      {
        do: 'aclose()',
        act: (w) => background(w, 'aclose', w.session.aclose()),
        events: ['close', 'speech.idle', 'done.awaitSpeech', 'done.releaseResources'],
        expect: ['closed', 'idle', 'listening'],
        emits: ['agent:speaking→listening', 'item:assistant', 'agent:listening→idle', 'close:user_initiated'],
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
        expect: ['closed', 'idle', 'listening'],
        emits: ['agent:listening→idle', 'close:user_initiated'],
        check: (w) => expect(w.agent.exits).toBe(1),
      },
    ],
  },
  {
    name: 'a close with drain lets the reply being thought out play first and its tool run (the agent thinks and speaks while draining)',
    llm: [{ text: 'One moment.', toolCalls: [{ name: 'lookup' }], hold: true }],
    steps: [
      start(),
      heldReply(),
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
        events: ['speech.speaking'],
        expect: ['draining', 'speaking', 'listening'],
        emits: ['agent:thinking→speaking'],
      },
      {
        do: 'the output finishes playing; the tool runs',
        act: (w) => w.out.finish(),
        events: ['speech.toolsPending'],
        expect: ['draining', 'thinking', 'listening'],
        emits: ['agent:speaking→thinking', 'item:assistant'],
        check: (w) => expect(w.out.played).toEqual([expect.objectContaining({ text: 'One moment.', interrupted: false })]),
      },
      toolReturnsNothing({ events: ['speech.idle', 'done.awaitSpeech', 'done.releaseResources'], expect: ['closed', 'idle', 'listening'], emits: ['tools:lookup', 'agent:thinking→listening', 'agent:listening→idle', 'close:user_initiated'] }),
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
        // The reply releases the output before its failure is reported.
        events: ['speech.generating', 'speech.idle', 'error.reported'],
        expect: ['running', 'listening', 'listening'],
        emits: ['speech:generate_reply', 'agent:listening→thinking', 'agent:thinking→listening', 'error:VoxstateError'],
        check: (w) => {
          expect(w.errors).toHaveLength(1);
          expect(w.errors[0]).toMatchObject({ source: 'llm' });
          expect(w.errors[0]!.error.message).toContain('llm down');
        },
      },
      {
        do: 'generateReply() (the tool it calls throws; the reply goes on with the error)',
        act: (w) => void w.session.generateReply(),
        // The tool call is the whole answer: the agent thinks about it until the tool response is played.
        events: ['speech.generating', 'speech.toolsPending', 'error.reported', 'speech.generating', 'speech.idle'],
        expect: ['running', 'listening', 'listening'],
        emits: ['speech:generate_reply', 'agent:listening→thinking', 'error:HookError', 'tools:broken', 'speech:tool_response', 'agent:thinking→listening'],
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
        expect: ['closed', 'idle', 'listening'],
        emits: ['error:HookError', 'agent:listening→idle', 'close:user_initiated'],
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
        expect: ['closed', 'idle', 'listening'],
        emits: ['error:VoxstateError', 'agent:listening→idle', 'close:user_initiated'],
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
        events: ['speech.generating', 'speech.speaking'],
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
        events: ['after.speechDrainTimeout', 'speech.idle', 'done.releaseResources'],
        expect: ['closed', 'idle', 'listening'],
        emits: ['error:TimeoutError', 'agent:speaking→listening', 'item:assistant', 'agent:listening→idle', 'close:user_initiated'],
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
        expect: ['closed', 'idle', 'listening'],
        emits: ['error:VoxstateError', 'agent:listening→idle', 'close:user_initiated'],
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
        expect: ['closed', 'idle', 'listening'],
        emits: ['error:TimeoutError', 'agent:listening→idle', 'close:user_initiated'],
        check: async (w) => {
          expect(w.errors[0]!.error).toMatchObject({ timeoutMs: 1_000 });
          expect(w.errors[0]!.error.message).toBe('closing the session did not finish within 1000 ms');
          expect(await outcome(w, 'aclose')).toMatchObject({ ok: true });
        },
      },
    ],
  },
  {
    name: 'user speech over the agent pauses its speech (the agent listens); without words it resumes after falseInterruptionTimeout',
    options: { vad: vadOfTheTable },
    steps: [
      start(),
      listen(),
      sayStory(),
      userVoice('start_of_speech', 0, { events: ['user.speechStarted'], expect: ['running', 'speaking', 'speaking'], emits: ['user:listening→speaking'] }),
      userVoice('inference_done', 300, { events: [], expect: ['running', 'speaking', 'speaking'], emits: [], check: (w) => expect(w.out.paused).toBe(false) }),
      userVoice('inference_done', 600, {
        events: ['user.speakingOver'],
        expect: ['running', 'listening', 'speaking'],
        emits: ['agent:speaking→listening'],
        check: (w) => {
          expect(w.session.actor.getSnapshot().matches({ open: { agent: { listening: { holding: 'speech' } } } })).toBe(true);
          expect(w.out.paused).toBe(true);
        },
      }),
      userVoice('end_of_speech', 700, { events: ['user.speechEnded'], expect: ['running', 'listening', 'listening'], emits: ['user:speaking→listening'] }),
      advance(1_999, [], ['running', 'listening', 'listening']),
      {
        do: '1 ms more: a false interruption',
        act: () => vi.advanceTimersByTimeAsync(1),
        events: ['after.falseInterruptionTimeout'],
        expect: ['running', 'speaking', 'listening'],
        emits: ['agent:listening→speaking', 'false interruption'],
        check: (w) => expect(w.out.paused).toBe(false),
      },
      outputFinishes('listening', { check: (w) => expect(lastMessage(w)).toMatchObject({ content: 'A long story.', interrupted: false }) }),
      acloseFromRunning('listening'),
    ],
  },
  {
    name: "the user's words while the speech is paused interrupt it",
    options: { vad: vadOfTheTable, stt: sttOfTheTable },
    steps: [
      start(),
      listen(),
      sayStory(),
      userVoice('inference_done', 600, { events: ['user.speakingOver'], expect: ['running', 'listening', 'listening'], emits: ['agent:speaking→listening'] }),
      {
        do: 'the STT hears "", then "wait"',
        act: () => {
          sttOfTheTable.hear({ type: 'interim_transcript', alternatives: [{ text: ' ', language: 'en' }] });
          sttOfTheTable.hear({ type: 'interim_transcript', alternatives: [{ text: 'wait', language: 'en' }] });
        },
        events: ['user.transcribed', 'user.transcribed', 'speech.idle'],
        expect: ['running', 'listening', 'listening'],
        emits: ['transcript: …', 'transcript:wait…', 'item:assistant'],
        check: (w) => {
          expect(w.session.actor.getSnapshot().matches({ open: { agent: { listening: 'attentive' } } })).toBe(true);
          expect(lastMessage(w)).toMatchObject({ content: 'A long story.', interrupted: true });
        },
      },
      // The hold is over: its timer does not fire.
      advance(5_000, [], ['running', 'listening', 'listening']),
      acloseFromRunning('listening'),
    ],
  },
  {
    name: 'paused while thinking: the reply that comes meanwhile waits; after the timeout the agent speaks it, or thinks on',
    options: { vad: vadOfTheTable },
    llm: [{ text: 'Here it is.', hold: true }, { toolCalls: [{ name: 'lookup' }], hold: true }],
    steps: [
      start(),
      listen(),
      heldReply(),
      userVoice('inference_done', 600, {
        events: ['user.speakingOver'],
        expect: ['running', 'listening', 'listening'],
        emits: ['agent:thinking→listening'],
        check: (w) => expect(w.session.actor.getSnapshot().matches({ open: { agent: { listening: { holding: 'reply' } } } })).toBe(true),
      }),
      {
        do: 'the LLM answers: its audio waits in the paused output',
        act: (w) => w.llm.release(),
        events: ['speech.speaking'],
        expect: ['running', 'listening', 'listening'],
        emits: [],
        check: (w) => expect(w.session.actor.getSnapshot().matches({ open: { agent: { listening: { holding: 'speech' } } } })).toBe(true),
      },
      advance(2_000, ['after.falseInterruptionTimeout'], ['running', 'speaking', 'listening'], ['agent:listening→speaking', 'false interruption']),
      outputFinishes(),
      heldReply('generateReply() (held) again'),
      userVoice('inference_done', 600, { events: ['user.speakingOver'], expect: ['running', 'listening', 'listening'], emits: ['agent:thinking→listening'] }),
      {
        do: 'the LLM answers with a tool call only: the agent, paused, would think about it',
        act: (w) => w.llm.release(),
        events: ['speech.toolsPending'],
        expect: ['running', 'listening', 'listening'],
        emits: [],
        check: (w) => expect(w.session.actor.getSnapshot().matches({ open: { agent: { listening: { holding: 'reply' } } } })).toBe(true),
      },
      advance(2_000, ['after.falseInterruptionTimeout'], ['running', 'thinking', 'listening'], ['agent:listening→thinking', 'false interruption']),
      toolReturnsNothing(),
      acloseFromRunning('listening'),
    ],
  },
  {
    name: 'a paused speech interrupted otherwise ends the hold; an output that cannot pause is interrupted by user speech at once',
    options: { vad: vadOfTheTable },
    llm: [{ text: 'Never heard.', hold: true }],
    steps: [
      start(),
      listen(),
      sayStory(),
      userVoice('inference_done', 600, { events: ['user.speakingOver'], expect: ['running', 'listening', 'listening'], emits: ['agent:speaking→listening'] }),
      {
        do: 'session.interrupt()',
        act: (w) => void w.session.interrupt(),
        events: ['speech.idle'],
        expect: ['running', 'listening', 'listening'],
        emits: ['item:assistant'],
        check: (w) => expect(w.session.actor.getSnapshot().matches({ open: { agent: { listening: 'attentive' } } })).toBe(true),
      },
      {
        do: 'the output can no longer pause; say("Another story.")',
        act: (w) => {
          w.out.pausable = false;
          void w.session.say('Another story.');
        },
        events: ['speech.generating', 'speech.speaking'],
        expect: ['running', 'speaking', 'listening'],
        emits: ['speech:say', 'agent:listening→speaking'],
      },
      userVoice('inference_done', 600, {
        events: ['user.speakingOver', 'speech.idle'],
        expect: ['running', 'listening', 'listening'],
        emits: ['agent:speaking→listening', 'item:assistant'],
        check: (w) => expect(lastMessage(w)).toMatchObject({ content: 'Another story.', interrupted: true }),
      }),
      heldReply(),
      userVoice('inference_done', 600, {
        events: ['user.speakingOver', 'speech.idle'],
        expect: ['running', 'listening', 'listening'],
        emits: ['agent:thinking→listening'],
        check: (w) => expect(w.llm.requests.at(-1)!.signal.aborted).toBe(true),
      }),
      acloseFromRunning('listening'),
    ],
  },
  {
    name: "a finished user turn interrupts the speech holding the output, whatever the agent is doing, and is answered",
    llm: [{ text: '', hold: true }, { text: 'Sure.' }, { text: 'Yes?' }],
    steps: [
      start(),
      {
        do: 'a say() waits for its text (the agent listens)',
        act: (w) => void (w.pending.text = heldSay(w).promise),
        events: ['speech.generating'],
        expect: ['running', 'listening', 'listening'],
        emits: ['speech:say'],
      },
      {
        do: 'input.text("stop")',
        act: (w) => w.session.input.text('stop'),
        events: ['user.active', 'user.turnCompleted', 'speech.idle', 'speech.generating'],
        expect: ['running', 'thinking', 'listening'],
        emits: ['item:user', 'speech:generate_reply', 'agent:listening→thinking'],
      },
      {
        do: 'input.text("wait") while the agent thinks',
        act: (w) => w.session.input.text('wait'),
        events: ['user.active', 'user.turnCompleted', 'speech.idle', 'speech.generating', 'speech.speaking'],
        expect: ['running', 'speaking', 'listening'],
        emits: ['item:user', 'agent:thinking→listening', 'speech:generate_reply', 'agent:listening→thinking', 'agent:thinking→speaking'],
      },
      {
        do: 'input.text("hey") while the agent speaks',
        act: (w) => w.session.input.text('hey'),
        // What was heard of the interrupted speech is committed once its output has stopped: after the reply is scheduled.
        events: ['user.active', 'user.turnCompleted', 'speech.idle', 'speech.generating', 'speech.speaking'],
        expect: ['running', 'speaking', 'listening'],
        emits: ['item:user', 'agent:speaking→listening', 'speech:generate_reply', 'agent:listening→thinking', 'item:assistant', 'agent:thinking→speaking'],
        check: (w) =>
          expect(w.session.history.messages().map((m) => `${m.role}: ${m.content}${m.interrupted ? ' (interrupted)' : ''}`)).toEqual([
            'user: stop',
            'user: wait',
            'assistant: Sure. (interrupted)',
            'user: hey',
          ]),
      },
      outputFinishes(),
      acloseFromRunning('listening'),
    ],
  },
  {
    name: 'interruptions disabled while thinking (per-state policy): user speech and turns leave the reply alone; while speaking they pause it',
    options: { vad: vadOfTheTable, turnHandling: { interruption: { whileThinking: { enabled: false }, whileSpeaking: { minDuration: 1_000 } } } },
    llm: [{ text: 'The answer.', hold: true }],
    steps: [
      start(),
      listen(),
      heldReply(),
      userVoice('inference_done', 5_000, { events: [], expect: ['running', 'thinking', 'listening'], emits: [], check: (w) => expect(w.out.paused).toBe(false) }),
      {
        do: 'input.text("and another thing")',
        act: (w) => w.session.input.text('and another thing'),
        events: ['user.active', 'user.turnCompleted'],
        expect: ['running', 'thinking', 'listening'],
        emits: ['item:user'],
        check: (w) => expect(w.llm.requests).toHaveLength(1),
      },
      {
        do: 'the LLM answers',
        act: (w) => w.llm.release(),
        events: ['speech.speaking'],
        expect: ['running', 'speaking', 'listening'],
        emits: ['agent:thinking→speaking'],
      },
      userVoice('inference_done', 900, { events: [], expect: ['running', 'speaking', 'listening'], emits: [] }),
      userVoice('inference_done', 1_000, { events: ['user.speakingOver'], expect: ['running', 'listening', 'listening'], emits: ['agent:speaking→listening'] }),
      advance(2_000, ['after.falseInterruptionTimeout'], ['running', 'speaking', 'listening'], ['agent:listening→speaking', 'false interruption']),
      outputFinishes('listening', { check: (w) => expect(w.session.history.messages().map((m) => m.content)).toEqual(['and another thing', 'The answer.']) }),
      acloseFromRunning('listening'),
    ],
  },
  {
    name: 'the agent thinks while tools run, also while a say() waits behind them; once they return, that say() is not thought about',
    llm: [{ text: 'Checking.', toolCalls: [{ name: 'lookup' }] }],
    steps: [
      start(),
      replyThenTool(),
      {
        do: 'a say() waits for its text',
        act: (w) => void (w.pending.text = heldSay(w).promise),
        events: [],
        expect: ['running', 'thinking', 'listening'],
        emits: ['speech:say'],
      },
      toolReturnsNothing({ events: ['speech.generating'], expect: ['running', 'listening', 'listening'], emits: ['tools:lookup', 'agent:thinking→listening'] }),
      {
        do: 'await aclose(): the say() is cut off',
        act: (w) => w.session.aclose(),
        events: ['close', 'speech.idle', 'done.exitAgent', 'done.awaitSpeech', 'done.releaseResources'],
        expect: ['closed', 'idle', 'listening'],
        emits: ['agent:listening→idle', 'close:user_initiated'],
      },
    ],
  },
  {
    name: "a say() heard while a reply's tool runs: the agent speaks it, listens once it is over, then thinks on about the tool",
    llm: [{ text: 'Checking.', toolCalls: [{ name: 'lookup' }] }],
    steps: [
      start(),
      replyThenTool(),
      {
        do: 'say("Still looking.")',
        act: (w) => void w.session.say('Still looking.'),
        events: ['speech.speaking'],
        expect: ['running', 'speaking', 'listening'],
        emits: ['speech:say', 'agent:thinking→speaking'],
      },
      {
        do: 'the output finishes playing it',
        act: (w) => w.out.finish(),
        events: ['speech.idle', 'speech.toolsPending'],
        expect: ['running', 'thinking', 'listening'],
        emits: ['agent:speaking→listening', 'item:assistant', 'agent:listening→thinking'],
      },
      toolReturnsNothing(),
      acloseFromRunning('listening'),
    ],
  },
  {
    name: 'a handoff is announced as a conversation item; the old agent exits, the new one enters',
    steps: [
      start(),
      {
        do: 'updateAgent(other)',
        act: (w) => w.session.updateAgent(new Agent({ instructions: 'the other agent', id: 'other_agent' })),
        events: [],
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
        expect: ['closed', 'idle', 'listening'],
        emits: ['agent:listening→idle', 'close:user_initiated'],
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
          events: ['speech.generating', 'speech.speaking', 'speech.toolsPending'],
          expect: ['running', 'thinking', 'listening'],
          emits: ['speech:generate_reply', 'agent:listening→thinking', 'agent:thinking→speaking', 'agent:speaking→thinking', 'item:assistant'],
        },
        {
          do: 'aclose()',
          act: (w) => background(w, 'aclose', w.session.aclose()),
          events: ['close', 'speech.idle', 'done.exitAgent', 'done.awaitSpeech', 'done.releaseResources'],
          expect: ['closed', 'idle', 'listening'],
          emits: ['agent:thinking→listening', 'agent:listening→idle', 'close:user_initiated'],
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

// ==== generated paths (xstate/graph) ====
//
// The paths below are not written by hand: xstate/graph explores machines/session.ts (the
// recipe for machines with invoke/after: `new TestModel(machine, …)` with the own event
// descriptors of each state, including the synthetic `xstate.after.*`, `xstate.done.actor.*` and
// `xstate.error.actor.*`; see test/support/model_paths.ts), and each path is replayed on a real
// AgentSession.
//
// The statechart does not record what the real session has in flight (a held LLM answer, a
// playing say() or reply, a running tool), yet that decides what the real world can do next: a
// say() that finishes leaves the agent listening, never thinking; a reply that finishes runs its
// tool and the agent thinks. So the explored model is the machine plus that record (`InFlight`,
// kept beside each snapshot by the model's transition function), and each state offers only the
// events a real action can cause on its own:
// - left out: the announcements `error.reported` and `user.transcribed` except where words end a
//   pause (the real actions cause them as side effects: the STT hearing the user start to speak, an
//   LLM failing);
// - the speech's activity (`speech.*`, relayed by the session's scheduler) only where a real
//   speech causes it (a new speech needs `running` or `draining.exitingAgent`; a tool's follow-up
//   reply needs `running`): a reply asked (generating), its text heard, its tool running, a say()
//   heard, a speech ended; user speech over the agent (the VAD hears 600 ms of it, over an output
//   that can pause or not) while it thinks or speaks, and, while its speech is paused, the
//   user's words, the speech's text coming, the speech interrupted (session.interrupt()), or the
//   false-interruption timer;
// - `done`/`error` of awaitSpeech only once no speech is live (they wait for it); `user.active`
//   (typed text) not in `idle` (input.text() refuses it there); user events only when they change
//   something; the away timer only when its guard lets it fire, and no timer of the session while
//   a paused speech waits (its own timer would fire first);
// - one speech (or its tool) in flight at a time;
// - when a real action makes the session go on by itself (typed text is a finished turn that
//   interrupts the speech holding the output; a close without drain interrupts the speech, so the
//   agent returns to listening; a session closed while starting has no agent to exit), the next
//   event is that one only, and the driver checks the state after it.
// Two transitions need two speeches at once, which this model does not have: thinking →
// listening on a say() being prepared, and listening → thinking on another speech's tools; and a
// paused reply answered by a tool call alone is not among the real actions here. The
// hand-written paths above take those (the last test checks that the generated paths miss exactly
// them).
//
// After each step the real actor must be where the statechart is, and everything a user sees must
// be what SessionContract says, step by step: the session events emitted (agent_state_changed and
// user_state_changed with from → to, agent_false_interruption, speech_created,
// conversation_item_added, function_tools_executed, user_input_transcribed, error, close),
// session.state / agentState / userState, whether the output is paused, the close reason, whether
// start(), drain() and aclose() have resolved, onEnter and onExit.

/** Delays of the generated sessions: short and distinct, so each advance of fake time fires one timer. */
const GEN_DELAYS = { userAwayTimeout: 1_000, speechDrainTimeout: 2_000, closeTimeout: 3_000, falseInterruptionTimeout: 500 } as const;

/** The transitions the generated paths cannot take (see above): the hand-written ones take them. */
const HAND_WRITTEN_ONLY = [
  'session.open.agent.thinking --speech.generating#0--> session.open.agent.listening',
  'session.open.agent.listening --speech.toolsPending#0--> session.open.agent.thinking',
  'session.open.agent.listening.holding --speech.toolsPending#0--> session.open.agent.listening.holding.reply',
];

type ModelSnapshot = SnapshotFrom<typeof sessionMachine>;

/**
 * What the real session has in flight:
 * - none: no speech;
 * - llm: a generate_reply whose LLM answer is held (the agent thinks);
 * - reply: a reply playing (the agent speaks), its answer ending with a call of the held tool;
 * - say: a say() playing (the agent speaks);
 * - tool: a reply's tool running, held (the agent thinks);
 * - stray: a tool still running for a reply that was interrupted with force: the agent no longer
 *   waits for it (it listens), and the speech has ended, so nothing else does.
 */
type Flight = 'none' | 'llm' | 'reply' | 'say' | 'tool' | 'stray';

interface InFlight {
  flight: Flight;
  /** The agent entered (the session reached running), so its onExit runs while draining. */
  entered: boolean;
  /** The room member left (a participant_disconnected close): it can leave once. */
  memberLeft: boolean;
  /** The event the real world takes by itself next, if any. */
  auto: string | null;
}

/** How each relayed activity of the speech changes what is in flight (absent: no real action causes it). */
const AGENT_MOVES: Record<Flight, Partial<Record<string, Flight>>> = {
  none: { 'speech.generating': 'llm', 'speech.speaking': 'say' },
  llm: { 'speech.speaking': 'reply', 'speech.idle': 'none' },
  reply: { 'speech.toolsPending': 'tool', 'speech.idle': 'none' },
  say: { 'speech.idle': 'none' },
  tool: { 'speech.idle': 'none', 'speech.speaking': 'reply' },
  stray: {},
};

/** A speech interrupted with force: what stays in flight, and whether the agent returns to listening by itself. */
function interrupted(flight: Flight): { flight: Flight; auto: string | null } {
  if (flight === 'tool') return { flight: 'stray', auto: 'speech.idle' };
  return isCurrentSpeech(flight) ? { flight: 'none', auto: 'speech.idle' } : { flight, auto: null };
}

/** The speech holds the output (typed text barges into it); a reply's tools run after it released it. */
const isCurrentSpeech = (flight: Flight) => flight === 'llm' || flight === 'reply' || flight === 'say';

const phaseOf = (snapshot: ModelSnapshot): SessionState => {
  if (snapshot.value === 'closed') return 'closed';
  const value = (snapshot.value as { open: { lifecycle: string | Record<string, unknown> } }).open.lifecycle;
  return (typeof value === 'string' ? value : Object.keys(value)[0]) as SessionState;
};
const holding = (snapshot: ModelSnapshot) => snapshot.matches({ open: { agent: { listening: 'holding' } } });
const userStateOf = (snapshot: ModelSnapshot) => (snapshot.value === 'closed' ? 'listening' : (snapshot.value as { open: { user: UserState } }).open.user);

/** The away timer's delayed event, raised by the machine itself when userAwayTimeout has passed. */
const AWAY = 'user.away';
const AFTER_DRAIN = 'xstate.after.speechDrainTimeout.session.open.lifecycle.draining.awaitingSpeech';
const AFTER_CLOSE = 'xstate.after.closeTimeout.session.open.lifecycle.closing';
const AFTER_HOLD = 'xstate.after.falseInterruptionTimeout.session.open.agent.listening.holding';
/** What the user says while the agent is paused: a word. */
const WORDS = { type: 'user.transcribed', transcript: 'wait', isFinal: false, language: 'en' } as EventObject;

const inFlightOf = new WeakMap<object, InFlight>();
const inFlight = (snapshot: ModelSnapshot): InFlight => {
  const found = inFlightOf.get(snapshot);
  if (!found) throw new Error('a snapshot the model did not make');
  return found;
};

/** The close requests a real action can make, by where the session is. */
function closeSamples(snapshot: ModelSnapshot): EventObject[] {
  const samples: EventObject[] = [
    { type: 'close', reason: 'user_initiated', drain: false } as EventObject, // aclose()
    { type: 'close', reason: 'job_shutdown', drain: true } as EventObject, // shutdown({ reason: 'job_shutdown' })
  ];
  // The member leaving the room: the room is connected and the session listens to it.
  const phase = phaseOf(snapshot);
  if ((phase === 'running' || phase === 'draining') && !inFlight(snapshot).memberLeft) {
    samples.push({ type: 'close', reason: 'participant_disconnected', drain: false } as EventObject);
  }
  return samples;
}

/** The events of `snapshot`'s own event descriptors that a real action can cause on its own (see above). */
function offeredEvents(snapshot: ModelSnapshot): EventObject[] {
  const now = inFlight(snapshot);
  if (now.auto) return [{ type: now.auto }];
  const phase = phaseOf(snapshot);
  if (phase === 'closed') return [];
  const held = holding(snapshot);
  const userState = userStateOf(snapshot);
  const offered: EventObject[] = [];
  for (const type of __unsafe_getAllOwnEventDescriptors(snapshot)) {
    switch (type) {
      case 'error.reported':
      case 'user.turnCompleted':
        break;
      case 'user.transcribed':
        if (held) offered.push(WORDS);
        break;
      case 'close':
        offered.push(...closeSamples(snapshot));
        break;
      case 'speech.generating':
      case 'speech.speaking':
      case 'speech.toolsPending':
      case 'speech.idle': {
        const to = AGENT_MOVES[now.flight][type];
        if (to === undefined) break;
        if (held && !(type === 'speech.idle' || (type === 'speech.speaking' && now.flight === 'llm'))) break;
        const newSpeech = now.flight === 'none';
        if (newSpeech && !(phase === 'running' || snapshot.matches({ open: { lifecycle: { draining: 'exitingAgent' } } }))) break;
        if (now.flight === 'tool' && to === 'reply' && phase !== 'running') break; // no follow-up reply once draining
        offered.push(type === 'speech.generating' ? ({ type, source: 'generate_reply' } as EventObject) : { type });
        break;
      }
      case 'user.speakingOver':
        // The microphone is opened while the session runs; the VAD hears the user over the speech holding the output.
        if (phase === 'running' && isCurrentSpeech(now.flight)) {
          for (const pausable of [true, false]) offered.push({ type, speechDurationMs: 600, pausable } as EventObject);
        }
        break;
      case 'user.speechStarted':
        if (userState !== 'speaking') offered.push({ type });
        break;
      case 'user.speechEnded':
        if (userState !== 'listening') offered.push({ type });
        break;
      case 'user.active':
        if (phase !== 'idle' && (userState === 'away' || phase === 'running')) offered.push({ type });
        break;
      case AWAY:
        if (phase === 'running' && snapshot.matches({ open: { agent: { listening: 'attentive' } } })) offered.push({ type });
        break;
      case AFTER_HOLD:
        offered.push({ type });
        break;
      case 'xstate.error.actor.exitAgent':
        if (now.entered) offered.push({ type });
        break;
      case 'xstate.done.actor.awaitSpeech':
      case 'xstate.error.actor.awaitSpeech':
        if (now.flight === 'none' || now.flight === 'stray') offered.push({ type });
        break;
      case AFTER_DRAIN:
      case AFTER_CLOSE:
        if (!held) offered.push({ type });
        break;
      case 'xstate.done.actor.startSession':
        // The agent region takes it too, but it comes only from the start the lifecycle invokes.
        if (phase === 'starting') offered.push({ type });
        break;
      case 'start':
      case 'drain':
      case 'xstate.error.actor.startSession':
      case 'xstate.done.actor.exitAgent':
      case 'xstate.done.actor.releaseResources':
      case 'xstate.error.actor.releaseResources':
        offered.push({ type });
        break;
      default:
        throw new Error(`the generated test has no real-world action for ${type}`);
    }
  }
  return offered;
}

function nextInFlight(now: InFlight, before: ModelSnapshot, event: EventObject, after: ModelSnapshot): InFlight {
  let { flight, entered, memberLeft } = now;
  let auto: string | null = null;
  const phase = phaseOf(before);
  const close = event as { type: string; reason?: CloseReason; drain?: boolean };
  const over = event as { type: string; pausable?: boolean };
  if (now.auto !== null && event.type !== 'user.turnCompleted') return { ...now, auto: null };
  if (event.type === 'xstate.done.actor.startSession') {
    if (phaseOf(after) === 'running') entered = true;
    else auto = 'xstate.done.actor.exitAgent'; // closed while starting: no agent to exit
  } else if (event.type === 'user.active' && phase === 'running' && isCurrentSpeech(flight)) {
    auto = 'user.turnCompleted'; // typed text is a finished turn while a speech holds the output
  } else if (AGENT_MOVES[flight][event.type] !== undefined) {
    flight = AGENT_MOVES[flight][event.type]!;
  } else if (
    (event.type === 'close' && close.drain === false && (phase === 'running' || phase === 'draining')) ||
    event.type === AFTER_DRAIN ||
    event.type === 'user.turnCompleted' ||
    (event.type === 'user.speakingOver' && !over.pausable) ||
    event.type === 'user.transcribed'
  ) {
    // interruptAllSpeech, a turn or user speech that interrupts, words while paused.
    ({ flight, auto } = interrupted(flight));
  }
  if (event.type === 'close' && close.reason === 'participant_disconnected') memberLeft = true;
  return { flight, entered, memberLeft, auto };
}

/** sessionMachine, with what is in flight kept beside each snapshot it makes. */
const sessionModel = Object.assign(Object.create(sessionMachine) as typeof sessionMachine, {
  getInitialSnapshot(...args: Parameters<typeof sessionMachine.getInitialSnapshot>) {
    const snapshot = sessionMachine.getInitialSnapshot(...args);
    inFlightOf.set(snapshot, { flight: 'none', entered: false, memberLeft: false, auto: null });
    return snapshot;
  },
  transition(...args: Parameters<typeof sessionMachine.transition>) {
    const [before, event] = args;
    const made = sessionMachine.transition(...args);
    // A transition that changes nothing (the away timer re-armed) returns the same object: copy it.
    const after = made === before ? ({ ...made } as typeof made) : made;
    inFlightOf.set(after, nextInFlight(inFlight(before), before, event as EventObject, after));
    return after;
  },
});

const modelKey = (snapshot: ModelSnapshot) => JSON.stringify([snapshot.value, closeRequested(snapshot.context), inFlight(snapshot)]);

/**
 * What a step must be seen doing at least once: each transition of the machine it takes, and the
 * real-world action that performs it (what it does to the speech in flight, in which state outside running).
 */
function coverageKeys(before: ModelSnapshot, event: EventObject, after: ModelSnapshot): string[] {
  const where = phaseOf(before) === 'running' ? `running ${JSON.stringify((before.value as { open: { agent: unknown } }).open.agent)}` : JSON.stringify(before.value);
  const action = `${where}: ${JSON.stringify(event)} ${inFlight(before).flight}→${inFlight(after).flight}`;
  return [...transitionsTaken(sessionMachine, before, event), action];
}

function generatePaths() {
  return modelPaths<typeof sessionModel, ModelSnapshot>(sessionModel, {
    input: machineInput({ ...GEN_DELAYS, userAwayTimeout: GEN_DELAYS.userAwayTimeout / 1000 }),
    events: offeredEvents,
    key: modelKey,
    coverageKeys,
    auto: (snapshot) => inFlight(snapshot).auto !== null,
  });
}

// ---- the real world of a generated path ----

const SAY_TEXT = 'Hello there.';
const REPLY_TEXT = 'Here is what I found.';
const FOLLOW_UP_TEXT = 'The lookup says 42.';
const USER_TEXT = 'Are you still there?';

/** A TestOutput whose flush (awaitSpeech) and close (releaseResources) wait for the test. */
class GatedOutput extends TestOutput {
  readonly flushGate = deferred();
  readonly closeGate = deferred();
  override async flush(): Promise<void> {
    await this.flushGate.promise;
    return super.flush();
  }
  override async close(): Promise<void> {
    await this.closeGate.promise;
    return super.close();
  }
}

/** Typed text only makes the user active: the agent lets the turn pass without a reply. */
class QuietAgent extends ScenarioAgent {
  override async onUserTurnCompleted(): Promise<void> {
    throw new StopResponse();
  }
}

/**
 * What a user of the session must see, by the README's rules for its lifecycle, written out here
 * independently of the machine: idle → starting → running → draining (the agent exits, queued
 * speech plays out) → closing → closed; the first close request decides the reason (a start that
 * fails closes with `error`); `drain()` stops once drained until a close is requested; the agent
 * is initializing until the session runs, then listening, thinking or speaking as its speech goes,
 * and idle once the session has closed; user speech over the agent's speech pauses it (the agent
 * listens) until the user's words interrupt it or the false-interruption timeout resumes it (the
 * agent thinks or speaks again, and says it was a false interruption);
 * the user is listening, speaking, or away after a silence while the agent listens, and typing
 * brings them back. Each method applies one thing that happened and returns the session events it
 * must emit (as describeEvent writes them) for the state changes; the driver adds those of the
 * speech, history and tools around them.
 */
class SessionContract {
  phase: SessionState = 'idle';
  draining: 'exitingAgent' | 'awaitingSpeech' | 'drained' = 'exitingAgent';
  agent: AgentState = 'initializing';
  user: UserState = 'listening';
  closeRequested = false;
  closeReason: CloseReason | undefined;
  /** While the agent's speech is paused: what it resumes to. */
  held: 'thinking' | 'speaking' | undefined;

  agentTo(state: AgentState): string[] {
    if (this.agent === state) return [];
    const line = `agent:${this.agent}→${state}`;
    this.agent = state;
    return [line];
  }

  userTo(state: UserState): string[] {
    if (this.user === state) return [];
    const line = `user:${this.user}→${state}`;
    this.user = state;
    return [line];
  }

  start(): string[] {
    this.phase = 'starting';
    return [];
  }

  /** The session has started: it runs, unless a close came meanwhile (then no agent entered, none exits). */
  started(): string[] {
    if (this.closeRequested) {
      [this.phase, this.draining] = ['draining', 'awaitingSpeech'];
      return [];
    }
    // The user goes on as they were: one who started speaking meanwhile is still speaking.
    this.phase = 'running';
    return this.agentTo('listening');
  }

  startFailed(): string[] {
    this.phase = 'closing';
    this.closeReason ??= 'error';
    return ['error:VoxstateError'];
  }

  close(reason: CloseReason): string[] {
    this.closeReason ??= reason;
    this.closeRequested = true;
    if (this.phase === 'idle') return this.closed();
    if (this.phase === 'running') [this.phase, this.draining] = ['draining', 'exitingAgent'];
    else if (this.phase === 'draining' && this.draining === 'drained') this.phase = 'closing';
    return [];
  }

  drain(): string[] {
    [this.phase, this.draining] = ['draining', 'exitingAgent'];
    return [];
  }

  agentExited(error?: string): string[] {
    this.draining = 'awaitingSpeech';
    return error ? [`error:${error}`] : [];
  }

  /** Queued speech has played out (or the wait for it failed, or timed out). */
  speechAwaited(error?: string): string[] {
    this.draining = 'drained';
    if (this.closeRequested) this.phase = 'closing';
    return error ? [`error:${error}`] : [];
  }

  /** The session's resources are released (or that failed, or timed out): it is closed. */
  released(error?: string): string[] {
    return [...(error ? [`error:${error}`] : []), ...this.closed()];
  }

  /** The agent's speech ended, or its activity changed (relayed by the scheduler): it thinks, speaks or listens. */
  speechNow(state: AgentState): string[] {
    if (this.held) {
      // Paused: the agent listens; a speech that ended ends the pause, one that goes on changes what it resumes to.
      if (state === 'listening') this.held = undefined;
      else this.held = state as 'thinking' | 'speaking';
      return [];
    }
    return this.agentTo(state);
  }

  /** User speech over the agent's speech: paused (the agent listens), where the output can pause. */
  hold(): string[] {
    this.held = this.agent as 'thinking' | 'speaking';
    return this.agentTo('listening');
  }

  /** No words came: a false interruption; the speech goes on. */
  resume(): string[] {
    const to = this.held!;
    this.held = undefined;
    return [...this.agentTo(to), 'false interruption'];
  }

  speechStarted(): string[] {
    return this.userTo('speaking');
  }

  speechEnded(): string[] {
    return this.userTo('listening');
  }

  /** The user typed: back from away. */
  userActive(): string[] {
    return this.user === 'away' ? this.userTo('listening') : [];
  }

  away(): string[] {
    return this.userTo('away');
  }

  /** Closed: the agent is idle for good, then the close is announced. */
  closed(): string[] {
    this.phase = 'closed';
    // The user is no longer heard: listening again, without an event (as LiveKit resets it).
    this.user = 'listening';
    return [...this.agentTo('idle'), `close:${this.closeReason}`];
  }
}

/** A call the driver did not wait for, and how it ended. */
interface Tracked {
  state: 'pending' | 'ok' | 'failed';
  error?: unknown;
}

function tracked(promise: Promise<unknown>): Tracked {
  const t: Tracked = { state: 'pending' };
  promise.then(
    () => (t.state = 'ok'),
    (error: unknown) => Object.assign(t, { state: 'failed', error }),
  );
  return t;
}

interface GeneratedWorld {
  session: AgentSession;
  llm: ScriptedLLM;
  out: GatedOutput;
  agent: QuietAgent;
  /** A LocalRoom whose connect() waits for room.gate (rejected: the connection fails). */
  room: HeldRoom;
  member: LocalRoomMember;
  /** The session's STT and VAD, heard through session.listen(). */
  stt: HearingSTT;
  vad: HearingVAD;
  listening: Tracked | undefined;
  transcripts: UserInputTranscribedEvent[];
  toolCalls: Array<Deferred<unknown>>;
  exitGate: Deferred;
  /** The LLM answer being held: ScriptedLLM reads a reply after its hold, so the driver decides it on release. */
  heldReply: ScriptedReply | undefined;
  errors: ErrorEvent[];
  closes: CloseEvent[];
  /** "source:ErrorClass" of every error the session must have reported so far. */
  expectedErrors: string[];
  startFailed: boolean;
  start: Tracked | undefined;
  acloses: Tracked[];
  drains: Tracked[];
  typed: Tracked[];
  contract: SessionContract;
  /** The session's events since the step began, as describeEvent writes them. */
  emitted: string[];
}

/** A fresh session for `events`: scanned first, so that the phases that fail on the path fail for real. */
function buildGeneratedWorld(events: EventObject[]): GeneratedWorld {
  const has = (type: string) => events.some((event) => event.type === type);
  const toolCalls: Array<Deferred<unknown>> = [];
  const llm = new ScriptedLLM();
  const stt = new HearingSTT();
  const vad = new HearingVAD();
  const session = new AgentSession({ llm, stt, vad, ...GEN_DELAYS, userAwayTimeout: GEN_DELAYS.userAwayTimeout / 1000 });
  const out = new GatedOutput();
  if (has('xstate.error.actor.awaitSpeech')) out.flushError = new Error('flush failed');
  if (has('xstate.error.actor.releaseResources')) out.closeError = new Error('close failed');
  session.output = out;
  const exitGate = deferred();
  const onExitThrows = has('xstate.error.actor.exitAgent');
  const agent = new QuietAgent(
    async () => {
      await exitGate.promise;
      if (onExitThrows) throw new Error('onExit exploded');
    },
    { toolCalls },
  );
  const room = new HeldRoom();
  const member = room.join({ identity: 'user' });
  const w: GeneratedWorld = {
    session,
    llm,
    out,
    agent,
    room,
    member,
    stt,
    vad,
    listening: undefined,
    transcripts: [],
    toolCalls,
    exitGate,
    heldReply: undefined,
    errors: [],
    closes: [],
    expectedErrors: [],
    startFailed: false,
    start: undefined,
    acloses: [],
    drains: [],
    typed: [],
    contract: new SessionContract(),
    emitted: [],
  };
  for (const type of ['agent_state_changed', 'user_state_changed', 'agent_false_interruption', 'speech_created', 'conversation_item_added', 'user_input_transcribed', 'function_tools_executed', 'error', 'close'] as const) {
    const listener = (event: Record<string, unknown>) => void w.emitted.push(describeEvent(type, event));
    session.on(type, listener as never);
  }
  session.on('error', (event) => w.errors.push(event));
  session.on('close', (event) => w.closes.push(event));
  session.on('user_input_transcribed', (event) => w.transcripts.push(event));
  return w;
}

/** Audio that never ends (the hearing STT and VAD ignore it): it only keeps session.listen() open. */
async function* openMicrophone(): AsyncIterable<AudioFrame> {
  await never();
}

const lastItem = (w: GeneratedWorld) => w.session.history.items.at(-1);

/** What the actor receives when the speech in flight is interrupted with force. */
function interruptionEvents(flight: Flight): string[] {
  if (flight === 'llm' || flight === 'tool') return ['speech.idle'];
  if (flight === 'reply' || flight === 'say') return ['speech.idle'];
  return [];
}

/** What the session emits when the speech in flight is interrupted with force: the agent listens; what was played is kept. */
function interruptionEmits(w: GeneratedWorld, flight: Flight): string[] {
  if (flight === 'llm' || flight === 'tool') return w.contract.speechNow('listening');
  if (flight === 'reply' || flight === 'say') return [...w.contract.speechNow('listening'), 'item:assistant'];
  return [];
}

interface Performed {
  /** The events the session's actor must receive, short names, the automatic ones that follow included. */
  expect: string[];
  /** The session events a user must see meanwhile, by SessionContract and the action's own effects. */
  emits: string[];
  /** Effects to check once the step has settled. */
  check?: () => void;
}

/** Opens the microphone once (the session runs): the hearing STT and VAD are heard from then on. */
function listening(w: GeneratedWorld): void {
  w.listening ??= tracked(w.session.listen(openMicrophone()));
}

/** Performs `event` of a path on the real world, from the model state `before`. */
async function perform(w: GeneratedWorld, event: EventObject, before: ModelSnapshot): Promise<Performed> {
  const { flight, entered } = inFlight(before);
  const phase = phaseOf(before);
  const { contract } = w;
  switch (event.type) {
    case 'start':
      w.start = tracked(w.session.start({ agent: w.agent, room: w.room }));
      return { expect: ['start'], emits: contract.start() };
    case 'xstate.done.actor.startSession':
      w.room.gate.resolve();
      return { expect: ['done.startSession', ...(closeRequested(before.context) ? ['done.exitAgent'] : [])], emits: contract.started() };
    case 'xstate.error.actor.startSession':
      w.room.gate.reject(new Error('connection refused'));
      w.startFailed = true;
      w.expectedErrors.push('session:VoxstateError');
      return {
        expect: ['error.startSession'],
        emits: contract.startFailed(),
        check: () => expect((w.errors.at(-1)!.error.cause as Error).message).toBe('connection refused'),
      };
    case 'close': {
      const { reason, drain } = event as { type: 'close'; reason: CloseReason; drain: boolean };
      if (reason === 'participant_disconnected') w.member.leave();
      else if (drain) w.session.shutdown({ reason });
      else w.acloses.push(tracked(w.session.aclose()));
      const interrupts = !drain && (phase === 'running' || phase === 'draining');
      const emits = contract.close(reason);
      return { expect: ['close', ...(interrupts ? interruptionEvents(flight) : [])], emits: [...emits, ...(interrupts ? interruptionEmits(w, flight) : [])] };
    }
    case 'drain':
      w.drains.push(tracked(w.session.drain()));
      return { expect: ['drain'], emits: contract.drain() };
    case 'speech.generating':
    case 'speech.speaking':
    case 'speech.toolsPending':
    case 'speech.idle':
      return holding(before) ? performHeld(w, event.type, flight) : performAgent(w, event.type, flight);
    case 'user.speakingOver': {
      const { pausable } = event as { type: string; pausable: boolean };
      listening(w);
      w.out.pausable = pausable;
      w.vad.hear('inference_done', 600);
      if (pausable) return { expect: ['user.speakingOver'], emits: contract.hold(), check: () => expect(w.out.paused).toBe(true) };
      return { expect: ['user.speakingOver', ...interruptionEvents(flight)], emits: interruptionEmits(w, flight), check: () => expect(w.out.paused).toBe(false) };
    }
    case 'user.transcribed':
      // Words while the speech is paused: an interruption.
      w.stt.hear({ type: 'interim_transcript', alternatives: [{ text: 'wait', language: 'en' }] });
      return { expect: ['user.transcribed', ...interruptionEvents(flight)], emits: ['transcript:wait…', ...interruptionEmits(w, flight)] };
    case AFTER_HOLD:
      await vi.advanceTimersByTimeAsync(GEN_DELAYS.falseInterruptionTimeout);
      return { expect: ['after.falseInterruptionTimeout'], emits: contract.resume(), check: () => expect(w.out.paused).toBe(false) };
    case 'user.speechStarted': {
      w.session.input.speechStarted();
      const emits = contract.speechStarted();
      // (Words while the agent's speech is paused would interrupt it: that is another action.)
      if (phase !== 'running' || holding(before)) return { expect: [event.type], emits };
      // While running the session also listens to the user's audio: its STT hears a first word.
      listening(w);
      const heard = w.transcripts.length;
      w.stt.hear({ type: 'interim_transcript', alternatives: [{ text: 'Hello', language: 'en' }] });
      return {
        expect: [event.type, 'user.transcribed'],
        emits: [...emits, 'transcript:Hello…'],
        check: () => expect(w.transcripts.slice(heard)).toEqual([expect.objectContaining({ transcript: 'Hello', isFinal: false, language: 'en' })]),
      };
    }
    case 'user.speechEnded':
      w.session.input.speechEnded();
      return { expect: [event.type], emits: contract.speechEnded() };
    case 'user.active': {
      const llmRequests = w.llm.requests.length;
      const said = () => w.session.history.messages().filter((m) => m.role === 'user' && m.content === USER_TEXT).length;
      const before = said();
      w.typed.push(tracked(w.session.input.text(USER_TEXT)));
      // A finished turn: it interrupts the speech holding the output.
      const interrupts = phase === 'running' && isCurrentSpeech(flight);
      return {
        expect: ['user.active', ...(interrupts ? ['user.turnCompleted', ...interruptionEvents(flight)] : [])],
        emits: ['item:user', ...contract.userActive(), ...(interrupts ? interruptionEmits(w, flight) : [])],
        check: () => {
          // Kept in the history whatever the phase; the agent is not asked to reply (StopResponse).
          expect(said()).toBe(before + 1);
          expect(w.llm.requests).toHaveLength(llmRequests);
        },
      };
    }
    case AWAY:
      await vi.advanceTimersByTimeAsync(GEN_DELAYS.userAwayTimeout);
      return { expect: ['user.away'], emits: contract.away() };
    case 'xstate.done.actor.exitAgent':
    case 'xstate.error.actor.exitAgent': {
      if (!entered) throw new Error('exitAgent of an agent that never entered finishes by itself');
      w.exitGate.resolve();
      const failed = event.type === 'xstate.error.actor.exitAgent';
      if (failed) w.expectedErrors.push('session:HookError');
      return { expect: [shortEventName(event.type)], emits: contract.agentExited(failed ? 'HookError' : undefined) };
    }
    case 'xstate.done.actor.awaitSpeech':
    case 'xstate.error.actor.awaitSpeech': {
      w.out.flushGate.resolve();
      const failed = event.type === 'xstate.error.actor.awaitSpeech';
      if (failed) w.expectedErrors.push('session:VoxstateError');
      return { expect: [shortEventName(event.type)], emits: contract.speechAwaited(failed ? 'VoxstateError' : undefined) };
    }
    case AFTER_DRAIN:
      await vi.advanceTimersByTimeAsync(GEN_DELAYS.speechDrainTimeout);
      w.expectedErrors.push('session:TimeoutError');
      return {
        expect: ['after.speechDrainTimeout', ...interruptionEvents(flight)],
        emits: [...contract.speechAwaited('TimeoutError'), ...interruptionEmits(w, flight)],
      };
    case 'xstate.done.actor.releaseResources':
    case 'xstate.error.actor.releaseResources': {
      w.out.closeGate.resolve();
      const failed = event.type === 'xstate.error.actor.releaseResources';
      if (failed) w.expectedErrors.push('session:VoxstateError');
      return { expect: [shortEventName(event.type)], emits: contract.released(failed ? 'VoxstateError' : undefined) };
    }
    case AFTER_CLOSE:
      await vi.advanceTimersByTimeAsync(GEN_DELAYS.closeTimeout);
      w.expectedErrors.push('session:TimeoutError');
      return { expect: ['after.closeTimeout'], emits: contract.released('TimeoutError') };
    default:
      throw new Error(`no real-world action for ${event.type}`);
  }
}

/** The relayed activity `type` through real speech, given what is in flight. */
async function performAgent(w: GeneratedWorld, type: string, flight: Flight): Promise<Performed> {
  const to = AGENT_MOVES[flight][type];
  const { contract } = w;
  switch (`${flight}→${to}`) {
    case 'none→llm':
      w.heldReply = { hold: true };
      w.llm.push(w.heldReply);
      w.session.generateReply();
      return {
        expect: ['speech.generating'],
        emits: ['speech:generate_reply', ...contract.speechNow('thinking')],
        check: () => expect(w.llm.heldCount).toBe(1),
      };
    case 'none→say':
      w.session.say(SAY_TEXT);
      return {
        // A say() being prepared is relayed too, but the agent does not think about it.
        expect: ['speech.generating', 'speech.speaking'],
        emits: ['speech:say', ...contract.speechNow('speaking')],
        check: () => expect(w.out.playing.map((p) => p.text)).toEqual([SAY_TEXT]),
      };
    case 'llm→reply':
      // The answer arrives: text, then a call of the tool (held once it runs).
      Object.assign(w.heldReply!, { text: REPLY_TEXT, toolCalls: [{ name: 'lookup' }] });
      w.llm.release();
      return {
        expect: ['speech.speaking'],
        emits: contract.speechNow('speaking'),
        check: () => expect(w.out.playing.map((p) => p.text)).toEqual([REPLY_TEXT]),
      };
    case 'llm→none':
      w.heldReply!.error = new Error('llm down');
      w.llm.release();
      w.expectedErrors.push('llm:VoxstateError');
      // The reply releases the output before its failure is reported.
      return { expect: ['speech.idle', 'error.reported'], emits: [...contract.speechNow('listening'), 'error:VoxstateError'] };
    case 'reply→tool': {
      await w.out.finish();
      return {
        expect: ['speech.toolsPending'],
        emits: [...contract.speechNow('thinking'), 'item:assistant'],
        check: () => {
          expect(w.toolCalls.filter((call) => !call.settled)).toHaveLength(1);
          expect(w.session.history.items.slice(-2)).toMatchObject([
            { type: 'message', role: 'assistant', interrupted: false },
            { type: 'function_call', name: 'lookup' },
          ]);
        },
      };
    }
    case 'reply→none':
      void w.session.interrupt();
      return {
        expect: ['speech.idle'],
        emits: [...contract.speechNow('listening'), 'item:assistant'],
        check: () => expect(lastItem(w)).toMatchObject({ role: 'assistant', interrupted: true }),
      };
    case 'say→none':
      await w.out.finish();
      return {
        expect: ['speech.idle'],
        emits: [...contract.speechNow('listening'), 'item:assistant'],
        check: () => expect(lastItem(w)).toMatchObject({ role: 'assistant', content: SAY_TEXT, interrupted: false }),
      };
    case 'tool→none':
      w.toolCalls.find((call) => !call.settled)!.resolve(null);
      return {
        expect: ['speech.idle'],
        emits: ['tools:lookup', ...contract.speechNow('listening')],
        check: () => expect(lastItem(w)).toMatchObject({ type: 'function_call_output', name: 'lookup', output: '' }),
      };
    case 'tool→reply':
      // The tool's result needs a follow-up reply, which speaks (and calls the tool again).
      w.llm.push({ text: FOLLOW_UP_TEXT, toolCalls: [{ name: 'lookup' }] });
      w.toolCalls.find((call) => !call.settled)!.resolve('42');
      return {
        expect: ['speech.generating', 'speech.speaking'],
        emits: ['tools:lookup', 'speech:tool_response', ...contract.speechNow('speaking')],
        check: () => expect(w.out.playing.map((p) => p.text)).toEqual([FOLLOW_UP_TEXT]),
      };
    default:
      throw new Error(`no real speech makes ${type} from ${flight}`);
  }
}

/** The relayed activity `type` while the speech is paused: its text comes (it stays paused), or it is interrupted otherwise. */
function performHeld(w: GeneratedWorld, type: string, flight: Flight): Performed {
  const { contract } = w;
  if (type === 'speech.speaking') {
    Object.assign(w.heldReply!, { text: REPLY_TEXT, toolCalls: [{ name: 'lookup' }] });
    w.llm.release();
    return { expect: ['speech.speaking'], emits: contract.speechNow('speaking'), check: () => expect(w.out.paused).toBe(true) };
  }
  void w.session.interrupt();
  return { expect: interruptionEvents(flight), emits: interruptionEmits(w, flight) };
}

/**
 * The real session after a step: its actor against the model state `state`; what a user observes
 * (state, agentState, userState, the paused output, the close event, how its calls ended, onEnter
 * / onExit) against SessionContract.
 */
function checkGenerated(w: GeneratedWorld, state: ModelSnapshot, where: string): void {
  const real = w.session.actor.getSnapshot();
  const { contract } = w;
  const phase = contract.phase;
  expect(real.value, `${where}: state value`).toEqual(state.value);
  expect(closeRequested(real.context), `${where}: context`).toEqual(closeRequested(state.context));
  // A closed session's actor is done: it takes no more events.
  expect(real.status, `${where}: status`).toBe(phase === 'closed' ? 'done' : 'active');
  expect([w.session.state, w.session.agentState, w.session.userState], `${where}: state, agentState, userState`).toEqual([
    phase,
    contract.agent,
    contract.user,
  ]);
  expect(w.out.paused, `${where}: the output is paused`).toBe(contract.held !== undefined);
  expect(w.errors.map((event) => `${event.source}:${event.error.name}`), `${where}: error events`).toEqual(w.expectedErrors);
  if (phase === 'closed') {
    expect(w.closes, `${where}: close event`).toEqual([
      expect.objectContaining({ reason: contract.closeReason, error: w.startFailed ? expect.any(VoxstateError) : null }),
    ]);
  } else {
    expect(w.closes, `${where}: no close event yet`).toEqual([]);
  }
  const { entered } = inFlight(state);
  if (w.start) {
    const startState = phase === 'starting' ? 'pending' : w.startFailed ? 'failed' : 'ok';
    expect(w.start.state, `${where}: start()`).toBe(startState);
  }
  for (const close of w.acloses) expect(close.state, `${where}: aclose()`).toBe(phase === 'closed' ? 'ok' : 'pending');
  const drained = phase !== 'draining' || contract.draining === 'drained';
  for (const drain of w.drains) expect(drain.state, `${where}: drain()`).toBe(drained ? 'ok' : 'pending');
  for (const typed of w.typed) expect(typed.state, `${where}: input.text()`).not.toBe('failed');
  expect(w.listening?.state, `${where}: listen()`).not.toBe('failed');
  // onEnter once the session runs, onExit once it drains (never for an agent that did not enter).
  expect([w.agent.enters, w.agent.exits], `${where}: onEnter, onExit calls`).toEqual([
    entered ? 1 : 0,
    entered && phase !== 'running' ? 1 : 0,
  ]);
}

const shortGenerated = (event: EventObject) => {
  if (event.type === 'close') {
    const { reason, drain } = event as { type: 'close'; reason: CloseReason; drain: boolean };
    return `close(${reason}${drain ? ', drain' : ''})`;
  }
  if (event.type === 'user.speakingOver') return `user.speakingOver(${(event as unknown as { pausable: boolean }).pausable ? 'pausable' : 'not pausable'})`;
  return shortEventName(event.type);
};

async function runGeneratedPath(path: ModelPath<ModelSnapshot>): Promise<void> {
  const w = buildGeneratedWorld(path.map((step) => step.event));
  received.take(w.session.actor);
  checkGenerated(w, path[0]!.state, 'at first');
  for (let i = 1; i < path.length; ) {
    const where = `step ${i} (${shortGenerated(path[i]!.event)})`;
    w.emitted.length = 0;
    const performed = await perform(w, path[i]!.event, path[i - 1]!.state);
    // The events the real world takes by itself right after this one are not performed: checked after them.
    let last = i;
    while (last + 1 < path.length && inFlight(path[last]!.state).auto === path[last + 1]!.event.type) last += 1;
    await settle();
    expect(received.take(w.session.actor).map((event) => shortEventName(event.type)), `${where}: events received`).toEqual(performed.expect);
    expect(w.emitted, `${where}: session events`).toEqual(performed.emits);
    checkGenerated(w, path[last]!.state, where);
    performed.check?.();
    i = last + 1;
  }
}

describe('generated paths (xstate/graph)', () => {
  let generated: ReturnType<typeof generatePaths>;
  try {
    generated = generatePaths();
  } catch (error) {
    // E.g. the machine gained an event this driver has no real-world action for: fail here, not the whole file.
    it('generates the paths of the session machine', () => {
      throw error;
    });
    return;
  }
  const { paths, states } = generated;
  let tracker: CoverageTracker;
  beforeAll(() => {
    tracker = new CoverageTracker(sessionMachine);
  });
  afterAll(() => {
    const steps = paths.reduce((n, path) => n + path.length - 1, 0);
    console.log(`session machine generated paths: ${paths.length} (${steps} steps, ${states} model states)`);
    console.log(`generated paths only: ${tracker.report()}`);
    tracker.stop();
  });

  for (const [i, path] of paths.entries()) {
    it(`#${i + 1} ${path.slice(1).map((step) => shortGenerated(step.event)).join(' → ')}`, async () => {
      await runGeneratedPath(path);
    });
  }

  it('the generated paths alone take every state and transition of the session machine but those the hand-written ones take', () => {
    const { states: reached, transitions } = tracker.coverage();
    expect(reached.missing).toEqual([]);
    expect(transitions.missing.sort()).toEqual([...HAND_WRITTEN_ONLY].sort());
  });
});
