/**
 * playSynthesized: audio that is already made (a realtime model's) played on a paced output in
 * virtual time, with its transcript; what the user heard when it plays out, when it is interrupted
 * half-way (also with both streams still open), and when its transcript breaks off.
 */
import { expect, it, vi } from 'vitest';
import { audioFrame, type AudioFrame } from '../../src/audio/audio_frame.js';
import { PacedAudioOutput } from '../../src/audio/audio_output.js';
import type { Playout, TranscriptOutput } from '../../src/speech/speech_output.js';
import { playSynthesized } from '../../src/speech/synthesized_output.js';
import { EventChannel } from '../../src/streams/event_channel.js';
import { settle, useFakeTime } from '../support/fake_time.js';

useFakeTime();

const RATE = 24_000;
/** 100 ms of audio. */
const frame = (): AudioFrame => audioFrame(new Int16Array(RATE / 10).fill(7), RATE);

function harness() {
  const played: AudioFrame[] = [];
  const output = new PacedAudioOutput((f) => played.push(f), 0);
  const abort = new AbortController();
  const log: string[] = [];
  const playout: Playout = {
    speechId: 'speech_1',
    signal: abort.signal,
    started: () => log.push('started'),
    played: (text) => log.push(`played: ${text}`),
  };
  const shown: string[] = [];
  const transcript: TranscriptOutput = {
    open: () => ({
      write: (text) => void shown.push(text),
      end: async (text) => void shown.push(`end: ${text}`),
    }),
  };
  const audio = new EventChannel<AudioFrame>();
  const text = new EventChannel<string>();
  return { played, output, abort, log, playout, shown, transcript, audio, text };
}

it('plays every frame, then says the whole transcript was heard', async () => {
  const h = harness();
  const done = playSynthesized(h.output, h.audio, h.text, h.playout, h.transcript);
  h.text.push('One two ');
  h.text.push('three four.');
  h.text.end();
  for (let i = 0; i < 4; i++) h.audio.push(frame());
  h.audio.end();
  await vi.advanceTimersByTimeAsync(400);
  expect(await done).toEqual({ heard: 'One two three four.', playedMs: 400, playedOut: true });
  expect(h.played).toHaveLength(4);
  expect(h.log).toEqual(['started', 'played: One two three four.']);
  expect(h.shown.at(-1)).toBe('end: One two three four.');
});

it('interrupted half-way with both streams still open: stops at once, the queue dropped, half the words heard', async () => {
  const h = harness();
  const done = playSynthesized(h.output, h.audio, h.text, h.playout, h.transcript);
  h.text.push('one two three four five six seven eight');
  for (let i = 0; i < 8; i++) h.audio.push(frame());
  await vi.advanceTimersByTimeAsync(400);
  h.abort.abort();
  await settle();
  const result = await done;
  expect(result).toEqual({ heard: 'one two three four', playedMs: 400, playedOut: false });
  await vi.advanceTimersByTimeAsync(1_000);
  // The frame in flight when it stopped ends; the three queued behind it never play.
  expect(h.played).toHaveLength(5);
  expect(h.log).toEqual(['started', 'played: one two three four']);
  expect(h.shown.at(-1)).toBe('end: one two three four');
});

it('a transcript that breaks off: the audio still plays, then its failure is thrown', async () => {
  const h = harness();
  const done = playSynthesized(h.output, h.audio, h.text, h.playout);
  const failed = expect(done).rejects.toThrow('the connection dropped');
  h.text.push('partial');
  h.text.fail(new Error('the connection dropped'));
  h.audio.push(frame());
  h.audio.end();
  await vi.advanceTimersByTimeAsync(100);
  await failed;
  expect(h.played).toHaveLength(1);
});

it('nothing played when interrupted before the first frame', async () => {
  const h = harness();
  h.abort.abort();
  const result = await playSynthesized(h.output, h.audio, h.text, h.playout);
  expect(result).toEqual({ heard: '', playedMs: 0, playedOut: false });
  expect(h.log).toEqual([]);
});
