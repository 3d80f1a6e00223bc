/**
 * Model-based test of machines/speech.ts against real SpeechHandles of a real AgentSession.
 *
 * The paths are generated from the statechart (test/support/model_paths.ts), for a reply that
 * starts with interruptions allowed and one that starts without, and each is replayed on a fresh
 * running session whose output is a ScriptedOutput and whose LLM the test streams chunk by chunk
 * (SteppedLLM). The speech under test is a generateReply() made while a say() holds the output,
 * so it waits in the queue (`scheduled`). Each event of a path is a real-world action:
 * - `play`: the say() ahead finishes, so the scheduler hands the output to the reply;
 * - `speak`: the LLM streams the reply's text, which the output starts playing;
 * - `release`: the LLM's reply ends and the output finishes playing it (or has nothing to play);
 *   with `toolCalls: 1`, the LLM streams a call of the agent's `lookup` tool first (it runs until
 *   the test resolves it);
 * - `tools.settled`: the tool returns;
 * - `finish`: nothing: the reply's task ends by itself once its output is played and its tools
 *   have run (the test checks the state after it);
 * - `interrupt`: handle.interrupt({ force }); `allowInterruptions.set`: the handle's setter.
 * After every step the handle's actor is checked against the path's state, and what a user
 * observes — the handle's getters, whether awaiting it has resolved, its signal, whether
 * interrupt() throws, what the output played, the history and the session's events, what the
 * session says the agent is doing — against SpeechContract, the README's rules for a speech
 * written out here independently of the machine, so that a bug in the machine that the
 * implementation follows faithfully still fails. CoverageTracker measures, from the real actors,
 * that together the paths took every state and transition of the machine.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { EventObject, SnapshotFrom } from 'xstate';
import { speechMachine, type SpeechMachineEvent } from '../../machines/speech.js';
import {
  Agent,
  AgentSession,
  InterruptionRefusedError,
  VoxstateError,
  functionTool,
  type ChatItem,
  type ErrorEvent,
  type SpeechHandle,
} from '../../src/index.js';
import { deferred, type Deferred } from '../support/deferred.js';
import { CoverageTracker, machineInventory } from '../support/model_coverage.js';
import { modelPaths, transitionsTaken, type ModelPath } from '../support/model_paths.js';
import { ScriptedLLM } from '../support/scripted_llm.js';
import { ScriptedOutput } from '../support/scripted_output.js';
import { SteppedLLM } from '../support/stepped_llm.js';
import { flush, settle, useFakeTime } from '../support/fake_time.js';

const TEXT = 'Let me look that up.';
const BLOCKER = 'One moment.';

type ModelSnapshot = SnapshotFrom<typeof speechMachine>;

const tracker = new CoverageTracker(speechMachine);

useFakeTime();
afterAll(() => {
  console.log(tracker.report());
  tracker.stop();
});

/**
 * What a user of a reply's SpeechHandle must see, by the README's rules and nothing else: a speech
 * waits (scheduled), plays, and ends done or interrupted; while it plays its text is generated,
 * then heard, then played out, and the tools the LLM asked for run once it has played; it is done
 * when its tools have returned; an interruption is refused while allowInterruptions is false
 * unless forced; an ended speech ignores everything. The agent thinks while a reply is generated
 * or its tools run, speaks while it is heard, and listens otherwise.
 */
class SpeechContract {
  phase: 'scheduled' | 'playing' | 'done' | 'interrupted' = 'scheduled';
  output: 'generating' | 'speaking' | 'played' = 'generating';
  tools: 'none' | 'pending' | 'settled' = 'none';
  /** Its text went out. */
  spoke = false;
  /** It was interrupted while its text was heard. */
  cutOff = false;
  constructor(public allow: boolean) {}

  get ended(): boolean {
    return this.phase === 'done' || this.phase === 'interrupted';
  }

  /** Whether interrupt({ force }) must throw InterruptionRefusedError now. */
  refuses(force: boolean): boolean {
    return !this.ended && !this.allow && !force;
  }

  /** The tools ran: the LLM asked for them and the output was played before any interruption. */
  get toolsRan(): boolean {
    return this.tools !== 'none' && this.output === 'played';
  }

  apply(event: SpeechMachineEvent): void {
    if (this.ended) return;
    switch (event.type) {
      case 'play':
        this.phase = 'playing';
        return;
      case 'speak':
        [this.output, this.spoke] = ['speaking', true];
        return;
      case 'release':
        this.output = 'played';
        if (event.toolCalls > 0) this.tools = 'pending';
        return;
      case 'tools.settled':
        this.tools = 'settled';
        return;
      case 'finish':
        this.phase = 'done';
        return;
      case 'interrupt':
        if (this.refuses(event.force === true)) return;
        this.cutOff = this.phase === 'playing' && this.output === 'speaking';
        this.phase = 'interrupted';
        return;
      case 'allowInterruptions.set':
        this.allow = event.allow;
        return;
    }
  }

  /** What the session says its agent is doing. */
  get agentState(): string {
    // Before the reply plays, the say() ahead of it is heard (also when the reply is interrupted while it waits).
    if (this.phase === 'scheduled' || (this.phase === 'interrupted' && !this.played)) return 'speaking';
    if (this.phase !== 'playing') return 'listening';
    if (this.output === 'speaking') return 'speaking';
    return this.output === 'generating' || this.tools === 'pending' ? 'thinking' : 'listening';
  }

  /** It held the output at some point. */
  played = false;
}

/** One real reply in a real session, driven by the steps of a path. */
class SpeechUnderTest {
  readonly llm = new SteppedLLM();
  readonly output = new ScriptedOutput();
  readonly session = new AgentSession({ llm: this.llm, userAwayTimeout: null });
  readonly errors: ErrorEvent[] = [];
  readonly toolCalls: Array<Deferred<unknown>> = [];
  readonly toolsExecuted: string[][] = [];
  /** The speech ahead of it in the queue: it holds the output until the test finishes it. */
  blocker!: SpeechHandle;
  handle!: SpeechHandle;
  /** Whether awaiting the handle has resolved. */
  awaited = false;
  contract!: SpeechContract;

  static async create(allowInterruptions: boolean): Promise<SpeechUnderTest> {
    const sut = new SpeechUnderTest();
    sut.contract = new SpeechContract(allowInterruptions);
    sut.session.on('error', (event) => sut.errors.push(event));
    sut.session.on('function_tools_executed', (event) => sut.toolsExecuted.push(event.functionCalls.map((call) => call.name)));
    sut.session.output = sut.output;
    const agent = new Agent({
      instructions: 'test',
      tools: {
        lookup: functionTool({
          description: 'Looks something up; takes as long as the test wants.',
          execute: () => {
            const call = deferred<unknown>();
            sut.toolCalls.push(call);
            return call.promise;
          },
        }),
      },
    });
    await sut.session.start({ agent });
    sut.blocker = sut.session.say(BLOCKER);
    sut.handle = sut.session.generateReply({ allowInterruptions });
    void (async () => {
      await sut.handle;
      sut.awaited = true;
    })();
    await flush();
    expect(sut.blocker.state).toBe('playing');
    return sut;
  }

  /** The items this speech put in the history, as "type" or "role: content (interrupted)". */
  items(): string[] {
    return this.session.history.items.filter((item) => !(item.type === 'message' && item.content === BLOCKER)).map(describeItem);
  }

  /** What the output played of this speech. */
  playedOut() {
    return this.output.played.filter((p) => p.speechId === this.handle.id);
  }

  async close(): Promise<void> {
    for (const call of this.toolCalls) if (!call.settled) call.resolve(null);
    if (!this.blocker.done) await this.output.finish();
    await settle();
    await this.session.aclose();
  }
}

function describeItem(item: ChatItem): string {
  if (item.type !== 'message') return item.type;
  return `${item.role}: ${item.content}${item.interrupted ? ' (interrupted)' : ''}`;
}

/** Checks the real speech after a step: its actor against the model, what users see against the contract. */
async function checkState(sut: SpeechUnderTest, model: ModelSnapshot, where: string): Promise<void> {
  const { handle, contract } = sut;
  // The actor is where the statechart says.
  const real = handle.actor.getSnapshot();
  expect(real.value, `${where}: state`).toEqual(model.value);
  expect(real.context, `${where}: context`).toEqual({ ...model.context, id: handle.id });
  expect(real.status, `${where}: status`).toBe(model.status);

  // What a user observes is what the contract says, whatever the statechart says.
  const { phase } = contract;
  expect(handle.state, `${where}: handle.state`).toBe(phase);
  expect([handle.done, handle.interrupted, handle.signal.aborted, sut.awaited], `${where}: done, interrupted, aborted, awaited`).toEqual([
    contract.ended,
    phase === 'interrupted',
    phase === 'interrupted',
    contract.ended,
  ]);
  expect(handle.speaking, `${where}: speaking`).toBe(phase === 'playing' && contract.output === 'speaking');
  if (!contract.ended) expect(handle.allowInterruptions, `${where}: allowInterruptions`).toBe(contract.allow);
  expect(handle.error, `${where}: error`).toBeUndefined();
  expect(sut.session.agentState, `${where}: the session's agent state`).toBe(contract.agentState);
  expect(sut.session.currentSpeech, `${where}: the speech holding the output`).toBe(
    phase === 'scheduled' || (phase === 'interrupted' && !contract.played) ? sut.blocker : phase === 'playing' && contract.output !== 'played' ? handle : undefined,
  );

  // The output and the history: what was heard of it, and what its tools did.
  const heard = contract.spoke && (contract.output === 'played' || phase === 'interrupted');
  const playedOut = contract.output === 'played' || (phase === 'interrupted' && contract.played);
  expect(sut.playedOut(), `${where}: played`).toEqual(
    playedOut ? [{ speechId: handle.id, text: contract.spoke ? TEXT : '', interrupted: phase === 'interrupted' && contract.output !== 'played' }] : [],
  );
  const items = [
    ...(heard ? [`assistant: ${TEXT}${contract.cutOff ? ' (interrupted)' : ''}`] : []),
    ...(contract.toolsRan ? ['function_call'] : []),
    ...(contract.tools === 'settled' ? ['function_call_output'] : []),
  ];
  expect(sut.items(), `${where}: history`).toEqual(items);
  expect(handle.chatItems.map(describeItem), `${where}: the speech's chat items`).toEqual(items);
  expect(sut.toolsExecuted, `${where}: function_tools_executed`).toEqual(contract.tools === 'settled' ? [['lookup']] : []);
  expect(sut.toolCalls.length, `${where}: tool calls`).toBe(contract.toolsRan ? 1 : 0);

  // An unforced interruption is refused exactly when the contract refuses it, and changes nothing.
  if (contract.refuses(false)) {
    expect(() => handle.interrupt()).toThrow(InterruptionRefusedError);
    expect(() => handle.interrupt({ force: false })).toThrow(`speech ${handle.id} does not allow interruptions`);
    await flush();
    expect(handle.state).toBe(phase);
    expect(handle.signal.aborted).toBe(false);
  }
  // Interrupting an ended speech does nothing.
  if (contract.ended) {
    expect(handle.interrupt()).toBe(handle);
    expect(handle.interrupt({ force: true })).toBe(handle);
    expect(handle.state).toBe(phase);
  }
  expect(sut.errors, `${where}: errors`).toEqual([]);
}

/** The real world takes `finish` by itself once the output is played and no tool runs. */
const finishes = (snapshot: ModelSnapshot) => snapshot.status === 'active' && snapshot.matches({ playing: 'settled' });

/** The events a real action can cause in `snapshot` (see the header). */
function offered(snapshot: ModelSnapshot): EventObject[] {
  if (snapshot.status !== 'active') return [];
  if (finishes(snapshot)) return [{ type: 'finish' }];
  const events: EventObject[] = [
    { type: 'interrupt', force: false } as EventObject,
    { type: 'interrupt', force: true } as EventObject,
    { type: 'allowInterruptions.set', allow: true } as EventObject,
    { type: 'allowInterruptions.set', allow: false } as EventObject,
  ];
  if (snapshot.matches('scheduled')) return [...events, { type: 'play' }];
  if (snapshot.matches({ playing: 'generating' })) events.push({ type: 'speak' });
  // The LLM asks for tools (or not) while its reply streams; they run once the output is released.
  if (snapshot.matches({ playing: 'generating' }) || snapshot.matches({ playing: 'speaking' })) {
    events.push({ type: 'release', toolCalls: 0 } as EventObject, { type: 'release', toolCalls: 1 } as EventObject);
  }
  if (snapshot.matches({ playing: 'runningTools' })) events.push({ type: 'tools.settled' });
  return events;
}

function pathsFor(allowInterruptions: boolean): Array<ModelPath<ModelSnapshot>> {
  return modelPaths(speechMachine, {
    input: { id: 'speech', source: 'generate_reply', allowInterruptions },
    events: offered,
    key: (snapshot) => JSON.stringify([snapshot.value, snapshot.context.allowInterruptions, snapshot.status]),
    coverageKeys: (before, event) => [...transitionsTaken(speechMachine, before, event), `${JSON.stringify(before.value)} ${JSON.stringify(event)}`],
    auto: finishes,
  }).paths;
}

/** Performs `event` of a path on the real speech, from the model state `before`. */
async function perform(sut: SpeechUnderTest, event: SpeechMachineEvent, before: ModelSnapshot): Promise<void> {
  switch (event.type) {
    case 'play':
      // The say() ahead finishes: the scheduler hands the output to the reply, which asks the LLM.
      expect(sut.output.playing.map((p) => p.speechId)).toEqual([sut.blocker.id]);
      await sut.output.finish();
      await settle();
      expect(sut.llm.requests).toHaveLength(1);
      return;
    case 'speak':
      sut.llm.text(TEXT);
      return;
    case 'release':
      if (event.toolCalls > 0) sut.llm.toolCall('lookup');
      sut.llm.reply.end();
      if (before.matches({ playing: 'speaking' })) {
        await settle();
        expect(sut.output.playing.map((p) => [p.speechId, p.text])).toEqual([[sut.handle.id, TEXT]]);
        await sut.output.finish();
      }
      return;
    case 'tools.settled':
      sut.toolCalls.at(-1)!.resolve(null);
      return;
    case 'finish':
      return; // by itself
    case 'interrupt': {
      const force = event.force === true;
      if (sut.contract.refuses(force)) expect(() => sut.handle.interrupt({ force })).toThrow(InterruptionRefusedError);
      else expect(sut.handle.interrupt({ force })).toBe(sut.handle);
      return;
    }
    case 'allowInterruptions.set':
      sut.handle.allowInterruptions = event.allow;
      return;
  }
}

async function replay(path: ModelPath<ModelSnapshot>, allowInterruptions: boolean): Promise<void> {
  const sut = await SpeechUnderTest.create(allowInterruptions);
  try {
    await checkState(sut, path[0]!.state, 'at first');
    for (let i = 1; i < path.length; i++) {
      const event = path[i]!.event as SpeechMachineEvent;
      await perform(sut, event, path[i - 1]!.state);
      if (event.type === 'play') sut.contract.played = true;
      sut.contract.apply(event);
      // The automatic `finish` has happened too: checked after it.
      if (i + 1 < path.length && path[i + 1]!.event.type === 'finish') continue;
      await settle();
      await checkState(sut, path[i]!.state, `step ${i} (${JSON.stringify(event)})`);
    }
  } finally {
    await sut.close();
  }
  // Closing the session ends whatever was left, and nothing was reported along the way.
  expect(sut.handle.done).toBe(true);
  expect(sut.session.state).toBe('closed');
  expect(sut.errors).toEqual([]);
}

const describeStep = (event: EventObject) =>
  event.type === 'interrupt'
    ? `interrupt(${(event as unknown as { force?: boolean }).force ? 'force' : ''})`
    : event.type === 'allowInterruptions.set'
      ? `allow=${(event as unknown as { allow: boolean }).allow}`
      : event.type === 'release'
        ? `release(${(event as unknown as { toolCalls: number }).toolCalls} tool calls)`
        : event.type;

for (const allowInterruptions of [true, false]) {
  describe(`speech machine paths, allowInterruptions ${allowInterruptions} at first`, () => {
    for (const path of pathsFor(allowInterruptions)) {
      it(path.slice(1).map((step) => describeStep(step.event)).join(' → '), async () => {
        await replay(path, allowInterruptions);
      });
    }
  });
}

describe('awaiting a speech', () => {
  it('resolves only after the speech has ended', async () => {
    const sut = await SpeechUnderTest.create(true);
    await sut.output.finish();
    await settle();
    let resolved = false;
    const waiting = sut.handle.waitForPlayout().then(() => (resolved = true));
    sut.llm.text(TEXT);
    sut.llm.reply.end();
    await settle();
    expect(sut.handle.state).toBe('playing');
    expect(resolved).toBe(false);
    await sut.output.finish();
    await waiting;
    expect(resolved).toBe(true);
    expect(sut.handle.state).toBe('done');
    // Awaiting again after the end resolves at once.
    await expect(sut.handle.waitForPlayout()).resolves.toBeUndefined();
    await sut.close();
  });

  it('an interrupted speech resolves its waiters too', async () => {
    const sut = await SpeechUnderTest.create(false);
    await sut.output.finish();
    const waiting = sut.handle.waitForPlayout();
    await flush();
    sut.handle.interrupt({ force: true });
    await expect(waiting).resolves.toBeUndefined();
    expect(sut.handle.interrupted).toBe(true);
    await sut.close();
  });

  it("a speech's own tool cannot wait for it: circular wait is refused, the speech still ends", async () => {
    const llm = new ScriptedLLM([{ text: 'Let me check.', toolCalls: [{ name: 'wait_for_me' }] }]);
    const session = new AgentSession({ llm, userAwayTimeout: null });
    const output = new ScriptedOutput();
    session.output = output;
    const errors: ErrorEvent[] = [];
    session.on('error', (event) => errors.push(event));
    let own: SpeechHandle | undefined;
    const waits: Array<{ how: string; error: unknown }> = [];
    const agent = new Agent({
      instructions: 'test',
      tools: {
        wait_for_me: functionTool({
          description: 'waits for the speech that called it',
          execute: async () => {
            for (const [how, wait] of [
              ['waitForPlayout', () => own!.waitForPlayout()],
              ['await', async () => await own!],
            ] as const) {
              try {
                await wait();
                waits.push({ how, error: undefined });
              } catch (error) {
                waits.push({ how, error });
              }
            }
            // Anything awaiting it from outside the tool is still fine.
            return undefined;
          },
        }),
      },
    });
    await session.start({ agent });
    own = session.generateReply();
    let outsideResolved = false;
    void own.waitForPlayout().then(() => (outsideResolved = true));
    await output.finish();
    await flush();
    expect(waits.map((w) => w.how)).toEqual(['waitForPlayout', 'await']);
    for (const { error } of waits) {
      expect(error).toBeInstanceOf(VoxstateError);
      expect((error as VoxstateError).code).toBe('circular_wait');
      expect((error as Error).message).toBe(
        `speech ${own.id} cannot be awaited from its own tool or hook: it ends after they return`,
      );
    }
    expect(own.state).toBe('done');
    expect(outsideResolved).toBe(true);
    expect(session.history.items.map((item) => item.type)).toEqual(['message', 'function_call', 'function_call_output']);
    expect(errors).toEqual([]);
    await session.aclose();
  });
});

describe('what the agent does while a speech plays', () => {
  it('a say() waiting for its first audio is not thought about: the agent listens until it speaks', async () => {
    const session = new AgentSession({ userAwayTimeout: null });
    const output = new ScriptedOutput();
    session.output = output;
    await session.start({ agent: new Agent({ instructions: 'test' }) });
    const text = deferred<string>();
    const states: string[] = [];
    session.on('agent_state_changed', (event) => states.push(event.newState));
    const speech = session.say((async function* () {
      yield await text.promise;
    })());
    await settle();
    expect(speech.actor.getSnapshot().value).toEqual({ playing: 'generating' });
    expect(session.agentState).toBe('listening');
    text.resolve('Hello.');
    await settle();
    expect(session.agentState).toBe('speaking');
    await output.finish();
    await settle();
    expect(states).toEqual(['speaking', 'listening']);
    await session.aclose();
  });

  it('a reply whose LLM fails ends done with the error, reported; the agent thinks, then listens', async () => {
    const llm = new SteppedLLM();
    const session = new AgentSession({ llm, userAwayTimeout: null });
    session.output = new ScriptedOutput();
    const errors: ErrorEvent[] = [];
    session.on('error', (event) => errors.push(event));
    await session.start({ agent: new Agent({ instructions: 'test' }) });
    const speech = session.generateReply();
    await settle();
    expect(session.agentState).toBe('thinking');
    const failure = new Error('llm down');
    llm.reply.fail(failure);
    await settle();
    expect([speech.state, speech.error]).toEqual(['done', failure]);
    expect(errors.map((event) => event.source)).toEqual(['llm']);
    expect(session.agentState).toBe('listening');
    await session.aclose();
  });
});

describe('coverage', () => {
  it('the real speeches went through every state and transition of the speech machine', () => {
    const { states, transitions } = tracker.coverage();
    expect(states.missing).toEqual([]);
    expect(transitions.missing).toEqual([]);
    expect(states.covered).toBe(machineInventory(speechMachine).states.size);
    expect(transitions.covered).toBe(machineInventory(speechMachine).transitions.size);
  });
});
