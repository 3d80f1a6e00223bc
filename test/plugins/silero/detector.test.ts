/**
 * The decision logic alone, driven by scripted probabilities: thresholds with hysteresis, minimum
 * speech and silence, durations, prefix padding, the buffered speech limit. Windows are 512
 * samples at 16 kHz (32 ms); window i is filled with the value i, so the frames tell which windows
 * they hold. Probabilities are smoothed (0.35 × previous + 0.65 × new): scripts use 0.95 and 0,
 * which cross both default thresholds within one window.
 */
import { describe, expect, it } from 'vitest';
import { SpeechDetector } from '../../../src/plugins/silero/detector.js';
import { resolveOptions } from '../../../src/plugins/silero/options.js';
import type { VADEvent, VADOptions } from '../../../src/vad/vad.js';

const W = 512;
const SPEECH = 0.95;
const SILENCE = 0;

function run(probabilities: number[], changes: Partial<VADOptions> = {}) {
  const options = resolveOptions(changes);
  const detector = new SpeechDetector(16000);
  const events: VADEvent[] = [];
  probabilities.forEach((p, i) => events.push(...detector.step(new Int16Array(W).fill(i), p, 0.25, options)));
  return { events, edges: events.filter((e) => e.type !== 'inference_done'), detector, options };
}

const repeat = (p: number, n: number) => Array<number>(n).fill(p);
/** Which windows a frame holds (by their fill values), in order. */
function windowsIn(event: VADEvent): number[] {
  const data = event.frames[0]!.data;
  const windows: number[] = [];
  for (let i = 0; i < data.length; i += W) windows.push(data[i]!);
  return windows;
}
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('SpeechDetector', () => {
  it('starts after minSpeechDuration of speech and reports an inference for every window first', () => {
    // 50 ms needs two 32 ms windows.
    const { events, edges } = run([...repeat(SILENCE, 20), ...repeat(SPEECH, 2)]);
    expect(events.filter((e) => e.type === 'inference_done')).toHaveLength(22);
    expect(edges).toHaveLength(1);
    const start = edges[0]!;
    expect(start).toMatchObject({ type: 'start_of_speech', timestampMs: 22 * 32, speechDurationMs: 64, silenceDurationMs: 0, speaking: true });
    expect(events.at(-2)).toMatchObject({ type: 'inference_done', timestampMs: 22 * 32, speaking: true });
    expect(start.probability).toBeCloseTo(0.35 * 0.6175 + 0.65 * 0.95);
    expect(start.inferenceDurationMs).toBe(0.25);
  });

  it('a single speech window does not start an utterance, and a gap resets the run', () => {
    const { edges } = run([...repeat(SILENCE, 5), SPEECH, SILENCE, SPEECH, SILENCE, SPEECH, SILENCE]);
    expect(edges).toEqual([]);
  });

  it('minSpeechDurationMs 100 needs four windows', () => {
    expect(run([...repeat(SILENCE, 3), ...repeat(SPEECH, 3)], { minSpeechDurationMs: 100 }).edges).toEqual([]);
    expect(run([...repeat(SILENCE, 3), ...repeat(SPEECH, 4)], { minSpeechDurationMs: 100 }).edges[0]).toMatchObject({
      type: 'start_of_speech',
      speechDurationMs: 128,
    });
  });

  it('a probability between the thresholds neither starts speech nor ends it (hysteresis)', () => {
    const between = 0.45; // deactivation 0.35 < 0.45 < activation 0.5
    expect(run([...repeat(SILENCE, 3), ...repeat(between, 40)]).edges).toEqual([]);
    const { edges } = run([...repeat(SILENCE, 3), ...repeat(SPEECH, 3), ...repeat(between, 60)]);
    expect(edges.map((e) => e.type)).toEqual(['start_of_speech']);
    // Without hysteresis (deactivation = activation) the same script ends after 550 ms.
    const flat = run([...repeat(SILENCE, 3), ...repeat(SPEECH, 3), ...repeat(between, 60)], { deactivationThreshold: 0.5 });
    expect(flat.edges.map((e) => e.type)).toEqual(['start_of_speech', 'end_of_speech']);
    // Smoothed, the first two 'between' windows are still above 0.5 (0.625, 0.511): speech is
    // windows 3..7, then 18 windows (576 ms ≥ 550) below 0.5.
    expect(flat.edges[1]).toMatchObject({ timestampMs: (8 + 18) * 32, silenceDurationMs: 576, speechDurationMs: 5 * 32 });
  });

  it('ends after minSilenceDuration of silence; shorter pauses stay inside the utterance', () => {
    const { edges } = run([...repeat(SILENCE, 20), ...repeat(SPEECH, 10), ...repeat(SILENCE, 17), ...repeat(SPEECH, 10), ...repeat(SILENCE, 18)]);
    expect(edges.map((e) => e.type)).toEqual(['start_of_speech', 'end_of_speech']);
    const end = edges[1]!;
    // Speech from window 20 to window 57 (exclusive); 18 silent windows = 576 ms.
    expect(end).toMatchObject({
      type: 'end_of_speech',
      timestampMs: 75 * 32,
      silenceDurationMs: 576,
      speechDurationMs: (57 - 20) * 32,
      speaking: false,
    });
  });

  it('reports the speech so far while speaking and the silence since outside speech', () => {
    const { events } = run([...repeat(SILENCE, 4), ...repeat(SPEECH, 6), ...repeat(SILENCE, 3), ...repeat(SPEECH, 2), ...repeat(SILENCE, 25)]);
    const done = events.filter((e) => e.type === 'inference_done');
    expect(done.slice(0, 4).map((e) => [e.speechDurationMs, e.silenceDurationMs])).toEqual([[0, 32], [0, 64], [0, 96], [0, 128]]);
    // Window 5 starts the utterance at window 4.
    expect(done[5]).toMatchObject({ speaking: true, speechDurationMs: 64, silenceDurationMs: 0 });
    expect(done[9]).toMatchObject({ speechDurationMs: 6 * 32, silenceDurationMs: 0 });
    // The pause: speech stays at its last speech window, silence counts up.
    expect(done.slice(10, 13).map((e) => [e.speechDurationMs, e.silenceDurationMs])).toEqual([[192, 32], [192, 64], [192, 96]]);
    expect(done[14]).toMatchObject({ speechDurationMs: 11 * 32, silenceDurationMs: 0 });
    // After the end (window 32): 0 speech, silence since window 15.
    const end = events.find((e) => e.type === 'end_of_speech')!;
    expect(end).toMatchObject({ timestampMs: 33 * 32, speechDurationMs: 11 * 32, silenceDurationMs: 18 * 32 });
    expect(done.at(-1)).toMatchObject({ speaking: false, speechDurationMs: 0, silenceDurationMs: (40 - 15) * 32 });
  });

  it('start of speech carries the prefix padding and the speech run; end of speech the whole utterance', () => {
    const { edges } = run([...repeat(SILENCE, 30), ...repeat(SPEECH, 12), ...repeat(SILENCE, 18)]);
    const [start, end] = edges;
    // 500 ms = 8000 samples = 15.625 windows before window 30: from the middle of window 14.
    expect(start!.frames).toHaveLength(1);
    expect(start!.frames[0]).toMatchObject({ sampleRate: 16000, channels: 1, samplesPerChannel: 8000 + 2 * W });
    expect(start!.frames[0]!.data[0]).toBe(14);
    expect(start!.frames[0]!.data[8000 - 1]).toBe(29);
    expect(start!.frames[0]!.data[8000]).toBe(30);
    expect(start!.frames[0]!.data.at(-1)).toBe(31);
    // End: the same padding, the utterance, and the silence that ended it (windows 30..59).
    expect(end!.frames[0]!.samplesPerChannel).toBe(8000 + 30 * W);
    expect(end!.frames[0]!.data[0]).toBe(14);
    expect(windowsIn({ ...end!, frames: [{ ...end!.frames[0]!, data: end!.frames[0]!.data.subarray(8000) }] })).toEqual(range(30, 60));
  });

  it('has less padding when the stream has not run that long, and none with prefixPaddingDurationMs 0', () => {
    const short = run([SILENCE, SILENCE, SPEECH, SPEECH]).edges[0]!;
    expect(windowsIn(short)).toEqual([0, 1, 2, 3]);
    const none = run([...repeat(SILENCE, 30), SPEECH, SPEECH], { prefixPaddingDurationMs: 0 }).edges[0]!;
    expect(windowsIn(none)).toEqual([30, 31]);
  });

  it('keeps the silence after an utterance as the padding of the next', () => {
    const { edges } = run([...repeat(SILENCE, 20), ...repeat(SPEECH, 5), ...repeat(SILENCE, 18), ...repeat(SPEECH, 2)]);
    expect(edges.map((e) => e.type)).toEqual(['start_of_speech', 'end_of_speech', 'start_of_speech']);
    const next = edges[2]!;
    expect(next.frames[0]!.samplesPerChannel).toBe(8000 + 2 * W);
    // The padding is the end of the previous silence (window 27.4 on), right up to the new speech.
    expect(next.frames[0]!.data[0]).toBe(27);
    expect(next.frames[0]!.data.at(-1)).toBe(44);
  });

  it('keeps at most maxBufferedSpeechMs of an utterance (its beginning) and still counts all of it', () => {
    const { edges } = run([...repeat(SILENCE, 20), ...repeat(SPEECH, 100), ...repeat(SILENCE, 18)], { maxBufferedSpeechMs: 1000 });
    const end = edges[1]!;
    expect(end.speechDurationMs).toBe(100 * 32);
    expect(end.frames[0]!.samplesPerChannel).toBe(8000 + 16000);
    expect(end.frames[0]!.data[8000]).toBe(20);
    expect(end.frames[0]!.data.at(-1)).toBe(20 + Math.floor(16000 / W));
  });

  it('after a truncated utterance the next padding is still the audio just before the new speech', () => {
    const { edges } = run([...repeat(SILENCE, 20), ...repeat(SPEECH, 100), ...repeat(SILENCE, 18), ...repeat(SPEECH, 2)], {
      maxBufferedSpeechMs: 1000,
    });
    const next = edges[2]!;
    expect(next.type).toBe('start_of_speech');
    expect(next.frames[0]!.samplesPerChannel).toBe(8000 + 2 * W);
    expect(next.frames[0]!.data[0]).toBe(122);
    expect(next.frames[0]!.data.at(-1)).toBe(139);
  });

  it('finish() ends an utterance in progress at the end of the input, and nothing otherwise', () => {
    const { detector, options, edges } = run([...repeat(SILENCE, 20), ...repeat(SPEECH, 10), ...repeat(SILENCE, 5)]);
    expect(edges).toHaveLength(1);
    expect(detector.finish(options)).toMatchObject({
      type: 'end_of_speech',
      timestampMs: 35 * 32,
      speechDurationMs: 10 * 32,
      silenceDurationMs: 5 * 32,
      speaking: false,
    });
    expect(detector.speaking).toBe(false);
    expect(detector.finish(options)).toBeUndefined();
  });

  it('runs at 8 kHz with 256-sample windows (32 ms)', () => {
    const detector = new SpeechDetector(8000);
    const options = resolveOptions({ sampleRate: 8000 });
    const events = [SILENCE, SPEECH, SPEECH].flatMap((p) => detector.step(new Int16Array(256), p, 0, options));
    expect(events.at(-1)).toMatchObject({ type: 'start_of_speech', timestampMs: 96, speechDurationMs: 64 });
    expect(events.at(-1)!.frames[0]).toMatchObject({ sampleRate: 8000, samplesPerChannel: 768 });
  });
});

describe('options', () => {
  it("LiveKit's defaults, deactivation following activation", () => {
    expect(resolveOptions({})).toEqual({
      minSpeechDurationMs: 50,
      minSilenceDurationMs: 550,
      prefixPaddingDurationMs: 500,
      activationThreshold: 0.5,
      deactivationThreshold: 0.5 - 0.15,
      maxBufferedSpeechMs: 60_000,
      sampleRate: 16000,
    });
    expect(resolveOptions({ activationThreshold: 0.8 }).deactivationThreshold).toBeCloseTo(0.65);
    expect(resolveOptions({ activationThreshold: 0.1 }).deactivationThreshold).toBe(0.01);
    const explicit = resolveOptions({ deactivationThreshold: 0.2 });
    expect(resolveOptions({ minSilenceDurationMs: 100 }, explicit).deactivationThreshold).toBe(0.2);
    expect(resolveOptions({ activationThreshold: 0.7 }, explicit).deactivationThreshold).toBeCloseTo(0.55);
  });

  it('rejects impossible values with a message naming the option', () => {
    expect(() => resolveOptions({ activationThreshold: 1.5 })).toThrow(/activationThreshold/);
    expect(() => resolveOptions({ deactivationThreshold: 0.6 })).toThrow(/deactivationThreshold \(0.6\) must not be above/);
    expect(() => resolveOptions({ minSilenceDurationMs: -1 })).toThrow(/minSilenceDurationMs/);
    expect(() => resolveOptions({ sampleRate: 44100 as 16000 })).toThrow(/16000 or 8000/);
  });
});
