/**
 * Model-based test of machines/user_turn.ts: paths generated with xstate/graph drive a real
 * AudioRecognition, whose VAD and STT streams the test feeds (speech edges and final transcripts),
 * on fake time; after every step the recognizer's turn actor must be where the path is, and the
 * turns it completed must be the ones the path completed.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { SimulatedClock, createActor, type EventObject, type SnapshotFrom } from 'xstate';
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
      // The statechart itself, on simulated time, fed the same events: what should have completed.
      const clock = new SimulatedClock();
      const oracle = createActor(userTurnMachine, { input: { minEndpointingDelay: MIN, maxEndpointingDelay: MAX }, clock });
      const expected: string[] = [];
      oracle.on('turn_completed', (event) => expected.push(event.transcript));
      let recognition!: AudioRecognition;
      const vadEvent = (type: 'start_of_speech' | 'end_of_speech') =>
        user.vad.streams.push({ type, timestampMs: 0, speechDurationMs: 0, silenceDurationMs: 0, probability: 1, speaking: type === 'start_of_speech', inferenceDurationMs: 0, frames: [] });
      const both = async (event: EventObject, act: () => unknown) => {
        oracle.send(event as never);
        act();
        await vi.advanceTimersByTimeAsync(0);
      };
      const wait = async (ms: number) => {
        clock.increment(ms);
        await vi.advanceTimersByTimeAsync(ms);
      };
      try {
        await path.test({
          events: {
            'xstate.init': () => {
              oracle.start();
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
            'vad.speechStarted': ({ event }) => both(event, () => vadEvent('start_of_speech')),
            'vad.speechEnded': ({ event }) => both(event, () => vadEvent('end_of_speech')),
            'stt.final': ({ event }) =>
              both(event, () => user.stt.streams.push({ type: 'final_transcript', alternatives: [{ text: (event as unknown as { text: string }).text }] })),
            'xstate.after.minEndpointingDelay.userTurn.endpointing.waiting': () => wait(MIN),
            'xstate.after.remainingEndpointingDelay.userTurn.endpointing.awaitingTranscript': () => wait(MAX - MIN),
          },
          states: {
            '*': (snapshot: Snapshot) => {
              const real = recognition.turn.getSnapshot();
              expect(real.value).toEqual(snapshot.value);
              expect(real.context.transcript).toBe(snapshot.context.transcript);
              expect(completed).toEqual(expected);
            },
          },
        });
      } finally {
        oracle.stop();
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
