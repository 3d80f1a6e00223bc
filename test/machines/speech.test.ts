/**
 * Model-based test of machines/speech.ts against real SpeechHandles of a real AgentSession.
 *
 * Each path of the speech machine (shortest paths with transition coverage, for a speech that
 * starts with interruptions allowed and one that starts without) is replayed on a fresh running
 * session whose output is a ScriptedOutput. The speech under test is said while another speech
 * holds the output, so it waits in the queue (`scheduled`); `play` is that other speech finishing,
 * so that the scheduler hands the output to the speech under test; `finish` is the ScriptedOutput
 * finishing its playout; `interrupt` is handle.interrupt({ force }); `allowInterruptions.set` is the
 * handle's setter. After every step the handle's actor snapshot is checked against the path's
 * state; what a user of the handle observes — its getters, whether awaiting it has resolved, its
 * signal, whether interrupt() throws, what the output played and the session history — is checked
 * against SpeechContract, the README's rules for a speech written out here independently of the
 * machine, so that a bug in the machine that the implementation follows faithfully still fails.
 * An unforced interruption is also tried wherever the contract refuses one: it must throw
 * InterruptionRefusedError and change nothing. (The speech ahead always plays out normally,
 * scheduled → playing → done, so every other transition CoverageTracker sees is the speech under
 * test's.) */
import { afterAll, describe, expect, it } from 'vitest';
import type { SnapshotFrom } from 'xstate';
import { createTestModel } from 'xstate/graph';
import { speechMachine, type SpeechEvent } from '../../machines/speech.js';
import {
  Agent,
  AgentSession,
  InterruptionRefusedError,
  VoxstateError,
  functionTool,
  type ChatMessage,
  type ErrorEvent,
  type SpeechHandle,
} from '../../src/index.js';
import { CoverageTracker } from '../support/model_coverage.js';
import { ScriptedLLM } from '../support/scripted_llm.js';
import { ScriptedOutput } from '../support/scripted_output.js';
import { flush, useFakeTime } from '../support/fake_time.js';

const TEXT = 'Hello there, how can I help?';
const BLOCKER = 'One moment.';

type ModelSnapshot = SnapshotFrom<typeof speechMachine>;

const tracker = new CoverageTracker(speechMachine);

useFakeTime();
afterAll(() => {
  console.log(tracker.report());
  tracker.stop();
});

type Phase = 'scheduled' | 'playing' | 'done' | 'interrupted';

/**
 * What a user of a SpeechHandle must see, by the README's rules and nothing else: a speech waits
 * (scheduled), plays, and ends done or interrupted; an interruption is refused while
 * allowInterruptions is false unless forced; the setter works until the speech has ended; an
 * ended speech ignores interruptions.
 */
class SpeechContract {
  phase: Phase = 'scheduled';
  constructor(public allow: boolean) {}

  get ended(): boolean {
    return this.phase === 'done' || this.phase === 'interrupted';
  }

  /** Whether interrupt({ force }) must throw InterruptionRefusedError now. */
  refuses(force: boolean): boolean {
    return !this.ended && !this.allow && !force;
  }

  apply(event: SpeechEvent): void {
    if (this.ended) return;
    switch (event.type) {
      case 'play':
        if (this.phase === 'scheduled') this.phase = 'playing';
        return;
      case 'finish':
        if (this.phase === 'playing') this.phase = 'done';
        return;
      case 'interrupt':
        if (!this.refuses(event.force === true)) this.phase = 'interrupted';
        return;
      case 'allowInterruptions.set':
        this.allow = event.allow;
        return;
    }
  }
}

/** One real speech in a real session, driven by the steps of a path. */
class SpeechUnderTest {
  readonly output = new ScriptedOutput();
  readonly session = new AgentSession({ userAwayTimeout: null });
  readonly errors: ErrorEvent[] = [];
  /** The speech ahead of it in the queue: it holds the output until the test finishes it. */
  blocker!: SpeechHandle;
  handle!: SpeechHandle;
  /** Whether awaiting the handle has resolved. */
  awaited = false;
  /** Whether the handle ever held the output. */
  played = false;
  contract!: SpeechContract;

  static async create(allowInterruptions: boolean): Promise<SpeechUnderTest> {
    const sut = new SpeechUnderTest();
    sut.contract = new SpeechContract(allowInterruptions);
    sut.session.on('error', (event) => sut.errors.push(event));
    sut.session.output = sut.output;
    await sut.session.start({ agent: new Agent({ instructions: 'test' }) });
    sut.blocker = sut.session.say(BLOCKER);
    sut.handle = sut.session.say(TEXT, { allowInterruptions });
    void (async () => {
      await sut.handle;
      sut.awaited = true;
    })();
    await flush();
    expect(sut.blocker.state).toBe('playing');
    return sut;
  }

  /** The messages this speech put in the history. */
  messages(): ChatMessage[] {
    return this.session.history.messages().filter((m) => m.content === TEXT);
  }

  /** What the output played of this speech. */
  playedOut() {
    return this.output.played.filter((p) => p.speechId === this.handle.id);
  }

  async close(): Promise<void> {
    // The blocker plays out normally, so only the speech under test ever takes the other transitions.
    if (!this.blocker.done) await this.output.finish();
    await flush();
    const closing = this.session.aclose();
    await flush();
    await closing;
  }
}

/** Checks the real speech after a step: its actor against the model, what users see against the contract. */
async function checkState(sut: SpeechUnderTest, model: ModelSnapshot): Promise<void> {
  await flush();
  const { handle, contract } = sut;
  // The actor is where the statechart says.
  const real = handle.actor.getSnapshot();
  expect(real.value).toBe(model.value);
  expect(real.context).toEqual({ ...model.context, id: handle.id });

  // What a user observes is what the contract says, whatever the statechart says.
  const phase = contract.phase;
  expect(handle.state).toBe(phase);
  expect(handle.done).toBe(contract.ended);
  expect(handle.interrupted).toBe(phase === 'interrupted');
  expect(handle.signal.aborted).toBe(phase === 'interrupted');
  expect(sut.awaited).toBe(contract.ended);
  if (!contract.ended) expect(handle.allowInterruptions).toBe(contract.allow);

  switch (phase) {
    case 'scheduled':
      expect(sut.session.currentSpeech).toBe(sut.blocker);
      expect(sut.output.playing.map((p) => p.speechId)).toEqual([sut.blocker.id]);
      expect(handle.speaking).toBe(false);
      expect(sut.messages()).toEqual([]);
      break;
    case 'playing':
      sut.played = true;
      expect(sut.session.currentSpeech).toBe(handle);
      expect(handle.speaking).toBe(true);
      expect(sut.session.agentState).toBe('speaking');
      expect(sut.output.playing.map((p) => [p.speechId, p.text])).toEqual([[handle.id, TEXT]]);
      expect(sut.messages()).toEqual([]);
      break;
    case 'done':
      expect(sut.playedOut()).toEqual([{ speechId: handle.id, text: TEXT, interrupted: false }]);
      expect(sut.messages()).toEqual([expect.objectContaining({ content: TEXT, interrupted: false })]);
      expect(handle.chatItems).toEqual(sut.messages());
      expect(sut.session.agentState).toBe('listening');
      break;
    case 'interrupted':
      if (sut.played) {
        // Cut off while playing: what was played is in the history, marked interrupted.
        expect(sut.playedOut()).toEqual([{ speechId: handle.id, text: TEXT, interrupted: true }]);
        expect(sut.messages()).toEqual([expect.objectContaining({ content: TEXT, interrupted: true })]);
        expect(handle.chatItems).toEqual(sut.messages());
        expect(sut.session.agentState).toBe('listening');
      } else {
        // Never played: nothing went out and nothing entered the history; the speech ahead plays on.
        expect(sut.playedOut()).toEqual([]);
        expect(sut.messages()).toEqual([]);
        expect(handle.chatItems).toEqual([]);
        expect(sut.output.playing.map((p) => p.speechId)).toEqual([sut.blocker.id]);
      }
      break;
  }

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
  expect(sut.errors).toEqual([]);
}

function pathsFor(allowInterruptions: boolean) {
  const model = createTestModel(speechMachine, {
    input: { id: 'speech', source: 'say', allowInterruptions },
    events: [
      { type: 'interrupt', force: false },
      { type: 'interrupt', force: true },
      { type: 'allowInterruptions.set', allow: true },
      { type: 'allowInterruptions.set', allow: false },
    ],
    // A finished actor takes no more events (the root's allowInterruptions.set included).
    filterEvents: (snapshot: ModelSnapshot) => snapshot.status === 'active',
  } as never);
  return model.getShortestPaths();
}

for (const allowInterruptions of [true, false]) {
  describe(`speech machine paths, allowInterruptions ${allowInterruptions} at first`, () => {
    const paths = pathsFor(allowInterruptions);

    it('take every transition of the machine', () => {
      const taken = new Set(
        paths.flatMap((path) => path.steps.slice(1).map((step, i) => `${String(path.steps[i]!.state.value)} ${step.event.type}`)),
      );
      for (const transition of [
        'scheduled play',
        'scheduled interrupt',
        'scheduled allowInterruptions.set',
        'playing finish',
        'playing interrupt',
        'playing allowInterruptions.set',
      ]) {
        expect(taken).toContain(transition);
      }
    });

    for (const path of paths) {
      it(path.description, async () => {
        let sut: SpeechUnderTest | undefined;
        const check = (snapshot: ModelSnapshot) => checkState(sut!, snapshot);
        const step = (fn: (event: SpeechEvent) => Promise<void> | void) => async ({ event }: { event: unknown }) => {
          await fn(event as SpeechEvent);
          if ((event as { type: string }).type !== 'xstate.init') sut!.contract.apply(event as SpeechEvent);
        };
        try {
          await path.test({
            // 'xstate.init' is not one of the machine's own events, hence the cast.
            events: {
              'xstate.init': step(async () => {
                sut = await SpeechUnderTest.create(allowInterruptions);
              }),
              play: step(async () => {
                // The speech ahead of it finishes: the scheduler hands it the output.
                expect(sut!.output.playing.map((p) => p.speechId)).toEqual([sut!.blocker.id]);
                await sut!.output.finish();
              }),
              finish: step(async () => {
                expect(sut!.output.playing.map((p) => p.speechId)).toEqual([sut!.handle.id]);
                await sut!.output.finish();
              }),
              interrupt: step((event) => {
                if (event.type !== 'interrupt') throw new Error('not an interrupt');
                const force = event.force === true;
                if (sut!.contract.refuses(force)) expect(() => sut!.handle.interrupt({ force })).toThrow(InterruptionRefusedError);
                else expect(sut!.handle.interrupt({ force })).toBe(sut!.handle);
              }),
              'allowInterruptions.set': step((event) => {
                if (event.type !== 'allowInterruptions.set') throw new Error('not allowInterruptions.set');
                sut!.handle.allowInterruptions = event.allow;
              }),
            } as never,
            states: { scheduled: check, playing: check, done: check, interrupted: check },
          });
        } finally {
          await sut?.close();
        }
        // Closing the session ends whatever was left, and nothing was reported along the way.
        expect(sut!.handle.done).toBe(true);
        expect(sut!.session.state).toBe('closed');
        expect(sut!.errors).toEqual([]);
      });
    }
  });
}

describe('awaiting a speech', () => {
  it('resolves only after the speech has ended', async () => {
    const sut = await SpeechUnderTest.create(true);
    await sut.output.finish();
    let resolved = false;
    const waiting = sut.handle.waitForPlayout().then(() => (resolved = true));
    await flush();
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

describe('coverage', () => {
  it('the real speeches went through every state and transition of the speech machine', () => {
    const { states, transitions } = tracker.coverage();
    expect(states.missing).toEqual([]);
    expect(transitions.missing).toEqual([]);
    expect(states.covered).toBe(5);
    expect(transitions.covered).toBe(5);
  });
});
