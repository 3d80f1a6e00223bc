/**
 * Model-based test of machines/speech.ts against real SpeechHandles of a real AgentSession.
 *
 * Each path of the speech machine (shortest paths with transition coverage, for a speech that
 * starts with interruptions allowed and one that starts without) is replayed on a fresh running
 * session whose output is a ScriptedOutput. The speech under test is said while another speech
 * holds the output, so it waits in the queue (`scheduled`); `play` is that other speech finishing,
 * so that the scheduler hands the output to the speech under test; `finish` is the ScriptedOutput
 * finishing its playout; `interrupt` is handle.interrupt({ force }); `allowInterruptions.set` is the
 * handle's setter. After every step the handle's actor snapshot, its getters, whether awaiting it
 * has resolved, what the output played and the session history are checked against the path's
 * state, and an unforced interruption is tried wherever the machine's guard refuses one: it must
 * throw InterruptionRefusedError and change nothing. (The speech ahead always plays out normally,
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

  static async create(allowInterruptions: boolean): Promise<SpeechUnderTest> {
    const sut = new SpeechUnderTest();
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

/** Checks the real speech against the model's state after a step. */
async function checkState(sut: SpeechUnderTest, model: ModelSnapshot): Promise<void> {
  await flush();
  const { handle } = sut;
  const real = handle.actor.getSnapshot();
  expect(real.value).toBe(model.value);
  expect(real.context).toEqual({ ...model.context, id: handle.id });
  expect(handle.state).toBe(model.value);
  expect(handle.interrupted).toBe(model.context.interrupted);
  expect(handle.done).toBe(model.status === 'done');
  expect(handle.signal.aborted).toBe(model.context.interrupted);
  expect(sut.awaited).toBe(model.status === 'done');
  if (model.status === 'active') expect(handle.allowInterruptions).toBe(model.context.allowInterruptions);

  switch (model.value) {
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
      } else {
        // Never played: nothing went out and nothing entered the history.
        expect(sut.playedOut()).toEqual([]);
        expect(sut.messages()).toEqual([]);
        expect(handle.chatItems).toEqual([]);
      }
      break;
  }

  // An unforced interruption is refused exactly when the machine's guard refuses it.
  const unforced = { type: 'interrupt', force: false } as const;
  if (model.status === 'active' && !model.can(unforced)) {
    expect(() => handle.interrupt()).toThrow(InterruptionRefusedError);
    expect(() => handle.interrupt({ force: false })).toThrow(`speech ${handle.id} does not allow interruptions`);
    await flush();
    expect(handle.state).toBe(model.value);
    expect(handle.signal.aborted).toBe(false);
  }
  // Interrupting an ended speech does nothing.
  if (model.status === 'done') {
    expect(handle.interrupt()).toBe(handle);
    expect(handle.interrupt({ force: true })).toBe(handle);
    expect(handle.state).toBe(model.value);
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
        // The model state before the current step.
        let before: ModelSnapshot | undefined;
        const step = (fn: (event: SpeechEvent) => Promise<void> | void) => async ({ event, state }: { event: unknown; state: unknown }) => {
          await fn(event as SpeechEvent);
          before = state as ModelSnapshot;
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
                if (before!.can(event)) expect(sut!.handle.interrupt({ force })).toBe(sut!.handle);
                else expect(() => sut!.handle.interrupt({ force })).toThrow(InterruptionRefusedError);
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
