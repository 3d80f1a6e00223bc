/**
 * Model-based test of machines/user_turn.ts: paths generated with xstate/graph drive a real
 * AudioRecognition, whose VAD and STT streams the test feeds (speech edges and final transcripts),
 * on fake time; after every step the recognizer's turn actor must be where the path is, and the
 * turns it reported completed (what the session hears) must be the ones EndpointingContract
 * completes: the README's end-of-turn rules written out here in terms of time, independently of
 * the machine, so that a bug in the machine that the recognizer follows faithfully still fails.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { EventObject, SnapshotFrom } from 'xstate';
import { TestModel } from 'xstate/graph';
import { userTurnMachine } from '../../machines/user_turn.js';
import { AudioRecognition } from '../../src/turn/audio_recognition.js';
import { FakeUser } from '../../src/testing/fake_user.js';
import { CoverageTracker } from '../support/model_coverage.js';
import { useFakeTime } from '../support/fake_time.js';

type Snapshot = SnapshotFrom<typeof userTurnMachine>;
const MIN = 500;
const MAX = 3_000;

const coverage = new CoverageTracker(userTurnMachine);

/**
 * When the user has finished, by the README's rules: the turn ends minEndpointingDelay after the
 * end of speech if a final transcript is there, else when one arrives, at most maxEndpointingDelay
 * after the end of speech; speech starting again cancels the wait; a final transcript outside any
 * speech ends a turn at once. A turn that ends with words is completed with all its final
 * transcripts; one without words is dropped, and its wait with it.
 */
class EndpointingContract {
  readonly completed: string[] = [];
  #now = 0;
  #speaking = false;
  #words: string[] = [];
  /** When the wait for the end of the turn began (the end of speech), if waiting. */
  #endedAt: number | undefined;

  speechStarted(): void {
    this.#speaking = true;
    this.#endedAt = undefined;
  }

  speechEnded(): void {
    if (!this.#speaking) return;
    this.#speaking = false;
    this.#endedAt = this.#now;
    this.#settle();
  }

  final(text: string): void {
    if (text.trim() !== '') this.#words.push(text.trim());
    // Outside speech, the turn is over as far as the voice goes: it ends as soon as it has words.
    if (!this.#speaking && this.#endedAt === undefined) this.#endedAt = this.#now - MIN;
    this.#settle();
  }

  advance(ms: number): void {
    this.#now += ms;
    this.#settle();
  }

  #settle(): void {
    if (this.#speaking || this.#endedAt === undefined) return;
    const waited = this.#now - this.#endedAt;
    if (waited >= MIN && this.#words.length > 0) this.completed.push(this.#words.join(' '));
    else if (waited < MAX) return;
    this.#words = [];
    this.#endedAt = undefined;
  }
}

const model = new TestModel<Snapshot, EventObject, unknown>(userTurnMachine as never, {
  input: { minEndpointingDelay: MIN, maxEndpointingDelay: MAX },
  // Words arrive once per turn (so the transcript stays finite); a blank transcript may come any time.
  events: (snapshot: Snapshot) => {
    const own = [...snapshot._nodes.flatMap((node) => [...node.transitions.keys()])];
    return [...new Set(own)].flatMap((type): Array<EventObject & { text?: string }> => {
      if (type !== 'stt.final') return [{ type }];
      return snapshot.context.transcript === '' ? [{ type, text: 'hello' }, { type, text: ' ' }] : [{ type, text: ' ' }];
    });
  },
  // The state, its transcript, and the incoming event: one path per transition.
  serializeState: (snapshot: Snapshot, event: EventObject | undefined) =>
    `${JSON.stringify(snapshot.value)} ${JSON.stringify(snapshot.context.transcript)} via ${event?.type ?? '-'}${(event as { text?: string })?.text === ' ' ? ' (blank)' : ''}`,
  stateMatcher: (snapshot: Snapshot, key: string) => snapshot.matches(key as never),
});
const paths = model.getShortestPaths();

useFakeTime();

describe('user turn machine, generated paths through a real AudioRecognition', () => {
  for (const path of paths) {
    it(path.description, async () => {
      const user = new FakeUser();
      const completed: string[] = [];
      const contract = new EndpointingContract();
      let recognition!: AudioRecognition;
      const vadEvent = (type: 'start_of_speech' | 'end_of_speech') =>
        user.vad.streams.push({ type, timestampMs: 0, speechDurationMs: 0, silenceDurationMs: 0, probability: 1, speaking: type === 'start_of_speech', inferenceDurationMs: 0, frames: [] });
      const both = async (record: () => void, act: () => unknown) => {
        record();
        act();
        await vi.advanceTimersByTimeAsync(0);
      };
      const wait = async (ms: number) => {
        contract.advance(ms);
        await vi.advanceTimersByTimeAsync(ms);
      };
      try {
        await path.test({
          events: {
            'xstate.init': () => {
              recognition = new AudioRecognition(
                {
                  speechStarted: () => {},
                  speechEnded: () => {},
                  speaking: () => {},
                  transcribed: () => {},
                  turnCompleted: (transcript) => completed.push(transcript),
                  error: (error) => {
                    throw error;
                  },
                },
                { vad: user.vad, stt: user.stt, minEndpointingDelay: MIN, maxEndpointingDelay: MAX },
              );
            },
            'vad.speechStarted': () => both(() => contract.speechStarted(), () => vadEvent('start_of_speech')),
            'vad.speechEnded': () => both(() => contract.speechEnded(), () => vadEvent('end_of_speech')),
            'stt.final': ({ event }) => {
              const text = (event as unknown as { text: string }).text;
              return both(() => contract.final(text), () => user.stt.streams.push({ type: 'final_transcript', alternatives: [{ text }] }));
            },
            'xstate.after.minEndpointingDelay.userTurn.endpointing.waiting': () => wait(MIN),
            'xstate.after.remainingEndpointingDelay.userTurn.endpointing.awaitingTranscript': () => wait(MAX - MIN),
          },
          states: {
            '*': (snapshot: Snapshot) => {
              // The actor is where the statechart says; the turns the session heard of are the contract's.
              const real = recognition.turn.getSnapshot();
              expect(real.value).toEqual(snapshot.value);
              expect(real.context.transcript).toBe(snapshot.context.transcript);
              expect(completed).toEqual(contract.completed);
            },
          },
        });
      } finally {
        await recognition?.close();
      }
    });
  }

  afterAll(() => {
    coverage.stop();
  });

  it('covers every state and transition', () => {
    console.log(`${paths.length} generated paths\n${coverage.report()}`);
    const { states, transitions } = coverage.coverage();
    expect(states.missing).toEqual([]);
    expect(transitions.missing).toEqual([]);
  });
});
