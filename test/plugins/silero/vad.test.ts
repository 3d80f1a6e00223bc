/**
 * The Silero VAD on the real model (v6.2 on onnxruntime-node), fed real speech: the fixture made by
 * test/fixtures/make_speech_16k.sh (1 s silence, a sentence, 1 s silence, a sentence, 1 s silence;
 * its JSON gives where the speech is, to the sample). No clock is involved: the VAD works on audio
 * time, and every test awaits the stream's own events.
 */
import ort from 'onnxruntime-node';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { audioFrame } from '../../../src/audio/audio_frame.js';
import { mixdown, resample, toInt16 } from '../../../src/audio/resample.js';
import { ClosedError } from '../../../src/errors.js';
import type { VADMetrics } from '../../../src/provider/metrics.js';
import { ProviderError } from '../../../src/provider/provider_error.js';
import { asRequester, currentRequester } from '../../../src/provider/requester.js';
import { ModelChecksumError, SILERO_V6_2_SHA256, VAD, defaultModelPath } from '../../../src/plugins/silero/index.js';
import type { VADEvent } from '../../../src/vad/vad.js';
import { edges, fixturePath, framesOf, layout, runThrough, segmentsOf, speech, tone, whiteNoise, type Segment } from './fixture.js';

const TOLERANCE_MS = 150;

let vad: VAD;
beforeAll(async () => {
  vad = await VAD.load();
});

afterEach(() => {
  vi.restoreAllMocks();
});

function expectSegmentsAtTheSpeech(found: Segment[]): void {
  expect(found, JSON.stringify(found)).toHaveLength(layout.speech.length);
  found.forEach((segment, i) => {
    const truth = layout.speech[i]!;
    expect(Math.abs(segment.startMs - truth.startMs), `start of "${truth.text}" at ${segment.startMs} ms, truly ${truth.startMs}`).toBeLessThanOrEqual(TOLERANCE_MS);
    expect(Math.abs(segment.endMs - truth.endMs), `end of "${truth.text}" at ${segment.endMs} ms, truly ${truth.endMs}`).toBeLessThanOrEqual(TOLERANCE_MS);
  });
}

const pcmOf = (samples: Float32Array) => toInt16(samples);
const speechFloat = mixdown(speech.data, 1);
const inferences = (events: VADEvent[]) => events.filter((e) => e.type === 'inference_done');
const windowsOf = (samples: number, windowSize: number) => Math.ceil(samples / windowSize);

describe('Silero VAD on real speech', () => {
  it('the fixture is what its layout says', () => {
    expect(speech).toMatchObject({ sampleRate: 16000, channels: 1, samplesPerChannel: layout.samples });
    // Silence around the sentences, sound inside them.
    const rms = (from: number, to: number) => {
      let sum = 0;
      for (let i = from; i < to; i++) sum += speech.data[i]! ** 2;
      return Math.sqrt(sum / (to - from));
    };
    expect(rms(0, 16000)).toBe(0);
    const [a, b] = layout.speech;
    expect(rms((a!.startMs * 16) | 0, (a!.endMs * 16) | 0)).toBeGreaterThan(1000);
    expect(rms((b!.endMs * 16 + 1) | 0, layout.samples)).toBe(0);
  });

  it('finds the two sentences where they are, and nothing else (16 kHz, 10 ms frames)', async () => {
    const events = await runThrough(vad, framesOf(speech.data, 16000));
    expect(edges(events).map((e) => e.type)).toEqual(['start_of_speech', 'end_of_speech', 'start_of_speech', 'end_of_speech']);
    expectSegmentsAtTheSpeech(segmentsOf(events));
    // One inference per 32 ms window, the last one padded with silence.
    expect(inferences(events)).toHaveLength(windowsOf(layout.samples, 512));
  });

  it("its probabilities are the model's: a bare ORT loop carrying state and 64 samples of context, smoothed", async () => {
    // The official wrapper's method, written out: [1, 64 + 512] input, state [2, 1, 128] carried.
    const session = vad.model.session;
    const sr = new ort.Tensor('int64', BigInt64Array.from([16000n]), []);
    let state = new ort.Tensor('float32', new Float32Array(256), [2, 1, 128]);
    let context = new Float32Array(64);
    const raw: number[] = [];
    for (let at = 0; at < 16000 * 4; at += 512) {
      const input = new Float32Array(576);
      input.set(context);
      input.set(speechFloat.subarray(at, at + 512), 64);
      context = input.slice(512);
      const out = await session.run({ input: new ort.Tensor('float32', input, [1, 576]), state, sr });
      state = out.stateN as typeof state;
      raw.push((out.output!.data as Float32Array)[0]!);
    }
    const smoothed: number[] = [];
    for (const p of raw) smoothed.push(smoothed.length === 0 ? p : 0.35 * smoothed.at(-1)! + 0.65 * p);
    const events = await runThrough(vad, framesOf(speech.data.slice(0, 16000 * 4), 16000));
    const ours = inferences(events).map((e) => e.probability);
    expect(ours).toHaveLength(smoothed.length);
    ours.forEach((p, i) => expect(Math.abs(p - smoothed[i]!), `window ${i}`).toBeLessThan(1e-6));
    // And the speech is there: the raw model is sure of it inside the first sentence.
    expect(Math.max(...raw)).toBeGreaterThan(0.95);
  });

  it('gives the same answer whatever the frame size', async () => {
    const tenMs = segmentsOf(await runThrough(vad, framesOf(speech.data, 16000)));
    const whole = segmentsOf(await runThrough(vad, [speech]));
    const odd = segmentsOf(await runThrough(vad, framesOf(speech.data, 16000, 1, 7.3125)));
    expect(whole).toEqual(tenMs);
    expect(odd).toEqual(tenMs);
  });

  it.each([
    ['silence', new Int16Array(16000 * 3)],
    ['a 440 Hz tone', tone(440, 16000, 3, 0.5)],
    ['white noise', whiteNoise(16000, 3, 0.3)],
    ['loud white noise', whiteNoise(16000, 3, 0.9, 7)],
  ])('finds no speech in %s', async (_name, signal) => {
    const events = await runThrough(vad, framesOf(signal, 16000));
    expect(edges(events)).toEqual([]);
    const probabilities = inferences(events).map((e) => e.probability);
    expect(probabilities).toHaveLength(windowsOf(signal.length, 512));
    expect(Math.max(...probabilities)).toBeLessThan(vad.options.deactivationThreshold);
    expect(inferences(events).every((e) => !e.speaking && e.speechDurationMs === 0)).toBe(true);
  });

  it('8 kHz input: upsampled for the 16 kHz model, or run natively by an 8 kHz VAD (256 + 32 windows)', async () => {
    const at8k = pcmOf(resample(speechFloat, 16000, 8000));
    expectSegmentsAtTheSpeech(segmentsOf(await runThrough(vad, framesOf(at8k, 8000))));

    const vad8 = await VAD.load({ sampleRate: 8000 });
    expect(vad8.model).toBe(vad.model);
    expect(vad8.windowDurationMs).toBe(32);
    const events = await runThrough(vad8, framesOf(at8k, 8000));
    expectSegmentsAtTheSpeech(segmentsOf(events));
    expect(inferences(events)).toHaveLength(windowsOf(at8k.length, 256));
    expect(edges(events)[0]!.frames[0]!.sampleRate).toBe(8000);
  });

  it('48 kHz input is resampled to 16 kHz', async () => {
    const at48k = pcmOf(resample(speechFloat, 16000, 48000));
    expect(at48k.length).toBe(layout.samples * 3);
    const events = await runThrough(vad, framesOf(at48k, 48000));
    expectSegmentsAtTheSpeech(segmentsOf(events));
    // Frames come out at the model's rate, and as many windows as the 16 kHz original.
    expect(inferences(events)).toHaveLength(windowsOf(layout.samples, 512));
    expect(events.every((e) => e.frames.every((f) => f.sampleRate === 16000 && f.channels === 1))).toBe(true);
  });

  it('stereo input is mixed down: speech on both channels, and speech on the left only', async () => {
    const both = new Int16Array(layout.samples * 2);
    const left = new Int16Array(layout.samples * 2);
    speech.data.forEach((v, i) => {
      both[2 * i] = both[2 * i + 1] = v;
      left[2 * i] = v;
    });
    const fromBoth = await runThrough(vad, framesOf(both, 16000, 2));
    expectSegmentsAtTheSpeech(segmentsOf(fromBoth));
    // Identical channels mix down to the mono signal exactly.
    expect(segmentsOf(fromBoth)).toEqual(segmentsOf(await runThrough(vad, framesOf(speech.data, 16000))));
    expectSegmentsAtTheSpeech(segmentsOf(await runThrough(vad, framesOf(left, 16000, 2))));
  });

  it('event fields: timestamps, durations, probabilities, and frames with their prefix padding', async () => {
    const events = await runThrough(vad, framesOf(speech.data, 16000));
    const done = inferences(events);
    expect(done.map((e) => e.timestampMs)).toEqual(done.map((_, i) => (i + 1) * 32));
    for (const event of done) {
      expect(event.probability).toBeGreaterThanOrEqual(0);
      expect(event.probability).toBeLessThanOrEqual(1);
      expect(event.inferenceDurationMs).toBeGreaterThan(0);
      expect(event.frames[0]!.samplesPerChannel).toBe(512);
    }
    // Each inference carries its window of the input, exactly (16 kHz mono passes through as is).
    expect(done[40]!.frames[0]!.data).toEqual(speech.data.slice(40 * 512, 41 * 512));
    // Before the first speech the silence is the whole stream so far.
    expect(done[10]).toMatchObject({ speaking: false, speechDurationMs: 0, silenceDurationMs: 11 * 32 });

    const [start, end] = edges(events);
    const startIndex = events.indexOf(start!);
    // The inference of the deciding window comes first, at the same time, and already speaking.
    expect(events[startIndex - 1]).toMatchObject({ type: 'inference_done', timestampMs: start!.timestampMs, speaking: true });
    expect(start).toMatchObject({ speaking: true, silenceDurationMs: 0 });
    expect(start!.speechDurationMs).toBeGreaterThanOrEqual(vad.options.minSpeechDurationMs);
    expect(start!.probability).toBeGreaterThanOrEqual(vad.options.activationThreshold);

    // Start frames: 500 ms of padding, then the speech so far: the input samples, exactly.
    const startSample = ((start!.timestampMs - start!.speechDurationMs) * 16) | 0;
    const startFrame = start!.frames[0]!;
    expect(startFrame.samplesPerChannel).toBe(8000 + start!.speechDurationMs * 16);
    expect(startFrame.data).toEqual(speech.data.slice(startSample - 8000, start!.timestampMs * 16));

    // End: the utterance it ends, the silence that ended it, the whole utterance with its padding.
    expect(end).toMatchObject({ speaking: false });
    expect(end!.silenceDurationMs).toBeGreaterThanOrEqual(vad.options.minSilenceDurationMs);
    expect(end!.probability).toBeLessThan(vad.options.deactivationThreshold);
    const endMs = end!.timestampMs - end!.silenceDurationMs;
    expect(end!.speechDurationMs).toBe(endMs - (start!.timestampMs - start!.speechDurationMs));
    expect(end!.frames[0]!.data).toEqual(speech.data.slice(startSample - 8000, end!.timestampMs * 16));

    // While speaking, speech so far grows and silence is the current pause.
    const during = done.filter((e) => e.timestampMs > start!.timestampMs && e.timestampMs < end!.timestampMs);
    expect(during.every((e) => e.speaking)).toBe(true);
    expect(during.at(-1)!.speechDurationMs).toBe(end!.speechDurationMs);
    // After the end, silence counts from the end of the speech.
    const after = done.find((e) => e.timestampMs === end!.timestampMs + 32)!;
    expect(after).toMatchObject({ speaking: false, speechDurationMs: 0, silenceDurationMs: end!.silenceDurationMs + 32 });
  });

  it('hysteresis: the deactivation threshold bridges dips that the activation threshold would split', async () => {
    // With a one-window silence allowance every dip below the deactivation threshold ends speech.
    const quick = { minSilenceDurationMs: 32 };
    const flat = segmentsOf(await runThrough(await VAD.load({ ...quick, deactivationThreshold: 0.49 }), framesOf(speech.data, 16000)));
    const hysteresis = segmentsOf(await runThrough(await VAD.load(quick), framesOf(speech.data, 16000)));
    const deep = segmentsOf(await runThrough(await VAD.load({ ...quick, deactivationThreshold: 0.1 }), framesOf(speech.data, 16000)));
    expect(flat.length).toBeGreaterThan(hysteresis.length);
    expect(hysteresis.length).toBeGreaterThanOrEqual(deep.length);
    // Every segment of a lower deactivation threshold covers segments of the higher one, and the
    // speech starts at the same places.
    for (const [wide, narrow] of [
      [hysteresis, flat],
      [deep, hysteresis],
    ] as const) {
      for (const segment of narrow) {
        expect(wide.some((w) => w.startMs <= segment.startMs && w.endMs >= segment.endMs), JSON.stringify({ wide, narrow })).toBe(true);
      }
      expect(wide.map((s) => s.startMs).every((s) => narrow.some((n) => n.startMs === s))).toBe(true);
    }
  });

  it('maxBufferedSpeechMs: a long utterance keeps its first second, and its durations stay whole', async () => {
    const limited = await VAD.load({ maxBufferedSpeechMs: 1000 });
    const events = await runThrough(limited, framesOf(speech.data, 16000));
    expectSegmentsAtTheSpeech(segmentsOf(events));
    const ends = events.filter((e) => e.type === 'end_of_speech');
    const starts = events.filter((e) => e.type === 'start_of_speech');
    for (const [i, end] of ends.entries()) {
      expect(end.speechDurationMs).toBeGreaterThan(1500);
      expect(end.frames[0]!.samplesPerChannel).toBe(8000 + 16000);
      const startSample = ((starts[i]!.timestampMs - starts[i]!.speechDurationMs) * 16) | 0;
      expect(end.frames[0]!.data).toEqual(speech.data.slice(startSample - 8000, startSample + 16000));
    }
  });

  it('endInput() in the middle of a sentence ends the utterance with the input', async () => {
    const cut = speech.data.slice(0, (2000 * 16) | 0);
    const events = await runThrough(vad, framesOf(cut, 16000));
    const last = events.at(-1)!;
    expect(last).toMatchObject({ type: 'end_of_speech', speaking: false, timestampMs: 2016 });
    // The sentence so far with its padding, then the silence that padded the last window.
    const start = edges(events)[0]!;
    const startSample = ((start.timestampMs - start.speechDurationMs) * 16) | 0;
    expect(last.frames[0]!.data).toEqual(Int16Array.from([...speech.data.slice(startSample - 8000, 32000), ...new Int16Array(256)]));
    expect(last.speechDurationMs + last.silenceDurationMs).toBe(2016 - (start.timestampMs - start.speechDurationMs));
    expect(edges(events).map((e) => e.type)).toEqual(['start_of_speech', 'end_of_speech']);
  });

  it('flush() pads the last window with silence and goes on', async () => {
    const stream = vad.stream();
    stream.pushFrame(audioFrame(speech.data.slice(0, 700), 16000));
    stream.flush();
    stream.pushFrame(audioFrame(speech.data.slice(0, 512), 16000));
    stream.endInput();
    const events: VADEvent[] = [];
    for await (const event of stream) events.push(event);
    expect(events.map((e) => e.timestampMs)).toEqual([32, 64, 96]);
    expect(events[1]!.frames[0]!.data).toEqual(Int16Array.from([...speech.data.slice(512, 700), ...new Int16Array(1024 - 700)]));
    expect(events[2]!.frames[0]!.data).toEqual(speech.data.slice(0, 512));
  });

  it('updateOptions() reaches a live stream at its next window', async () => {
    const own = await VAD.load();
    const stream = own.stream();
    own.updateOptions({ minSpeechDurationMs: 60_000 });
    for (const frame of framesOf(speech.data, 16000)) stream.pushFrame(frame);
    stream.endInput();
    const events: VADEvent[] = [];
    for await (const event of stream) events.push(event);
    expect(edges(events)).toEqual([]);
    expect(() => own.updateOptions({ sampleRate: 8000 } as never)).toThrow(/sample rate of a VAD cannot change/);
  });

  it('reports vad_metrics about once per second of audio, counting every inference', async () => {
    const own = await VAD.load();
    const metrics: VADMetrics[] = [];
    own.on('metrics_collected', (m) => void metrics.push(m as VADMetrics));
    const events = await runThrough(own, framesOf(speech.data, 16000));
    const windows = inferences(events).length;
    expect(metrics.length).toBe(Math.ceil(windows / 32));
    expect(metrics.reduce((sum, m) => sum + m.inferenceCount, 0)).toBe(windows);
    for (const m of metrics) {
      expect(m).toMatchObject({ type: 'vad_metrics', label: 'silero/vad-v6.2' });
      expect(m.inferenceDurationTotalMs).toBeGreaterThan(0);
    }
    const reported = metrics.reduce((sum, m) => sum + m.inferenceDurationTotalMs, 0);
    const measured = inferences(events).reduce((sum, e) => sum + e.inferenceDurationMs, 0);
    expect(reported).toBeCloseTo(measured, 6);
  });
});

describe('thresholds', () => {
  /** The shared model answers every window of every stream with `probability`, whatever the audio. */
  function modelSays(probability: number, eachCall: () => void = () => {}): void {
    vi.spyOn(vad.model.session, 'run').mockImplementation(async (feeds) => {
      eachCall();
      const n = (feeds as Record<string, ort.Tensor>).input!.dims[0]!;
      return {
        output: new ort.Tensor('float32', new Float32Array(n).fill(probability), [n, 1]),
        stateN: new ort.Tensor('float32', new Float32Array(2 * n * 128), [2, n, 128]),
      } as unknown as ort.InferenceSession.ReturnType;
    });
  }
  const second = framesOf(new Int16Array(16000), 16000);

  it('a probability of 0.7 is not speech at activationThreshold 0.9, though it is at the default 0.5', async () => {
    const strict = await VAD.load({ activationThreshold: 0.9 });
    modelSays(0.7);
    const strictEvents = await runThrough(strict, second);
    expect(inferences(strictEvents).map((e) => e.probability)).toEqual(new Array(windowsOf(16000, 512)).fill(expect.closeTo(0.7, 6)));
    expect(edges(strictEvents)).toEqual([]);
    expect(edges(await runThrough(vad, second)).map((e) => e.type)).toEqual(['start_of_speech', 'end_of_speech']);
    modelSays(0.95);
    expect(edges(await runThrough(strict, second)).map((e) => e.type)).toEqual(['start_of_speech', 'end_of_speech']);
  });

  it('vad_metrics: inference time as measured, idle time the rest of the period', async () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    try {
      const own = await VAD.load();
      const metrics: VADMetrics[] = [];
      own.on('metrics_collected', (m) => void metrics.push(m as VADMetrics));
      modelSays(0.1, () => vi.advanceTimersByTime(2));
      const stream = own.stream();
      vi.advanceTimersByTime(300); // the stream waits for audio
      for (const frame of second) stream.pushFrame(frame);
      stream.endInput();
      for await (const _ of stream);
      // One second of audio is 32 windows (the last one padded): one report, at the 32nd.
      expect(metrics).toEqual([expect.objectContaining({ inferenceCount: 32, inferenceDurationTotalMs: 64, idleTimeMs: 300 })]);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('who reported', () => {
  it('two streams of one VAD, their windows in the same batched calls: each stream\'s vad_metrics are reported as a request of the one that opened it', async () => {
    const shared = await VAD.load();
    const byOwner = new Map<object | undefined, number>();
    shared.on('metrics_collected', (m) => {
      const owner = currentRequester();
      byOwner.set(owner, (byOwner.get(owner) ?? 0) + (m as VADMetrics).inferenceCount);
    });
    const alice = {};
    const bob = {};
    const streams = [asRequester(alice, () => shared.stream()), asRequester(bob, () => shared.stream())];
    const second = framesOf(new Int16Array(16000), 16000);
    // Pushed from outside both owners, in step: the batcher answers both streams' windows from one call.
    for (let i = 0; i < second.length; i++) for (const stream of streams) stream.pushFrame(second[i]!);
    for (const stream of streams) stream.endInput();
    await Promise.all(streams.map(async (stream) => {
      for await (const _ of stream);
    }));
    expect([...byOwner.keys()]).toEqual(expect.arrayContaining([alice, bob]));
    expect(byOwner.size).toBe(2);
    expect(byOwner.get(alice)).toBe(byOwner.get(bob));
  });
});

describe('loading', () => {
  it('one model per process: every VAD shares the loaded ORT session', async () => {
    const other = await VAD.load({ activationThreshold: 0.7, batch: 4 });
    expect(other.model).toBe(vad.model);
    expect(other.model.session).toBe(vad.model.session);
    expect(vad.model.path).toBe(defaultModelPath());
    expect(defaultModelPath()).toMatch(/@jjhbw\/silero-vad\/weights\/silero_vad\.onnx$/);
    expect(other.options.deactivationThreshold).toBeCloseTo(0.55);
    expect(other.batch).toBe(4);
  });

  it('a file with another sha256 is a ModelChecksumError (a ProviderError of "silero", not recoverable)', async () => {
    const wrong = defaultModelPath().replace('silero_vad.onnx', 'silero_vad_16k_op15.onnx');
    const error = await VAD.load({ model: { path: wrong } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelChecksumError);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({
      provider: 'silero',
      recoverable: false,
      code: 'provider_failed',
      path: wrong,
      expected: SILERO_V6_2_SHA256,
      actual: '7ed98ddbad84ccac4cd0aeb3099049280713df825c610a8ed34543318f1b2c49',
    });
    expect((error as Error).message).toContain(`has sha256 7ed98ddb`);
    expect((error as Error).message).toContain(`expected ${SILERO_V6_2_SHA256}`);

    // Not an ONNX file at all (the WAV fixture): the checksum stops it before ORT sees it.
    await expect(VAD.load({ model: { path: fixturePath } })).rejects.toBeInstanceOf(ModelChecksumError);
    // The right file with a wrong expectation fails too.
    await expect(VAD.load({ model: { sha256: '0'.repeat(64) } })).rejects.toMatchObject({ actual: SILERO_V6_2_SHA256 });
    // Failures are not cached: the right model still loads.
    expect((await VAD.load()).model).toBe(vad.model);
  });

  it('a missing file is a ProviderError that names it', async () => {
    const error = await VAD.load({ model: { path: '/nonexistent/silero.onnx' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).not.toBeInstanceOf(ModelChecksumError);
    expect(error).toMatchObject({ provider: 'silero', recoverable: false });
    expect((error as Error).message).toMatch(/cannot read the model file \/nonexistent\/silero\.onnx/);
  });

  it('rejects bad options before loading anything', async () => {
    await expect(VAD.load({ sampleRate: 44100 as 16000 })).rejects.toThrow(RangeError);
    await expect(VAD.load({ batch: 0 })).rejects.toThrow(/batch must be a positive integer/);
  });
});

describe('stream lifecycle', () => {
  it('close() mid-stream stops at once: the iteration ends, no more inference, input refused', async () => {
    const own = await VAD.load();
    const run = vi.spyOn(own.model, 'run');
    const stream = own.stream();
    expect(own.openStreams).toBe(1);
    for (const frame of framesOf(speech.data, 16000)) stream.pushFrame(frame);
    const iterator = stream[Symbol.asyncIterator]();
    const seen: VADEvent[] = [];
    for (;;) {
      const next = await iterator.next();
      expect(next.done).toBe(false);
      seen.push(next.value as VADEvent);
      if ((next.value as VADEvent).type === 'start_of_speech') break;
    }
    await stream.close();
    const callsAtClose = run.mock.calls.length;
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
    expect(own.openStreams).toBe(0);
    expect(() => stream.pushFrame(audioFrame(new Int16Array(160), 16000))).toThrow(ClosedError);
    expect(() => stream.flush()).toThrow(ClosedError);
    stream.endInput(); // harmless after close
    await stream.close(); // and so is a second close
    // Let any stray work run: nothing more reaches the model.
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(run.mock.calls.length).toBe(callsAtClose);
    expect(callsAtClose).toBeLessThan(windowsOf(layout.samples, 512));
  });

  it('close() withdraws a window still waiting for a batched call', async () => {
    const own = await VAD.load({ batch: 8 });
    const run = vi.spyOn(own.model, 'run');
    // Another stream's window may still come: this one's waits for it.
    const other = own.stream();
    const stream = own.stream();
    stream.pushFrame(audioFrame(speech.data.slice(16000, 16512), 16000));
    for (let i = 0; i < 20 && own.waitingWindows === 0; i++) await Promise.resolve();
    expect(own.waitingWindows).toBe(1);
    await stream.close();
    expect(own.waitingWindows).toBe(0);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(run).not.toHaveBeenCalled();
    await other.close();
    expect(own.openStreams).toBe(0);
  });

  it('breaking out of the loop closes the stream', async () => {
    const own = await VAD.load();
    const stream = own.stream();
    for (const frame of framesOf(speech.data, 16000)) stream.pushFrame(frame);
    for await (const event of stream) if (event.type === 'inference_done') break;
    await stream.close();
    expect(own.openStreams).toBe(0);
    expect(() => stream.pushFrame(audioFrame(new Int16Array(160), 16000))).toThrow(ClosedError);
  });

  it('endInput() ends the iteration once everything pushed is processed; input after it is refused', async () => {
    const stream = vad.stream();
    stream.pushFrame(audioFrame(speech.data.slice(0, 1600), 16000));
    stream.endInput();
    expect(() => stream.pushFrame(audioFrame(new Int16Array(160), 16000))).toThrow(/endInput\(\) was called/);
    const events: VADEvent[] = [];
    for await (const event of stream) events.push(event);
    expect(events).toHaveLength(4);
    await stream.close();
  });

  it('an inference failure ends the stream with a ProviderError of "silero", also emitted as `error`', async () => {
    const own = await VAD.load();
    const reported: ProviderError[] = [];
    own.on('error', (e) => void reported.push(e));
    const failure = new Error('ORT exploded');
    vi.spyOn(own.model.session, 'run').mockRejectedValueOnce(failure);
    const thrown = await runThrough(own, framesOf(speech.data, 16000)).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(ProviderError);
    expect(thrown).toMatchObject({ provider: 'silero', recoverable: false, cause: failure });
    expect((thrown as Error).message).toBe('silero: inference failed: ORT exploded');
    expect(reported).toEqual([thrown]);
    expect(own.openStreams).toBe(0);
  });

  it('a failing batched call fails every stream in it; the VAD still serves new streams', async () => {
    const own = await VAD.load({ batch: 8 });
    const reported: ProviderError[] = [];
    own.on('error', (e) => void reported.push(e));
    const realRun = own.model.session.run.bind(own.model.session);
    let calls = 0;
    vi.spyOn(own.model.session, 'run').mockImplementation(((feeds: ort.InferenceSession.FeedsType) => {
      calls++;
      // The third call (two streams in it) throws synchronously, as ORT does on bad input.
      if (calls === 3) throw new Error('bad input');
      return realRun(feeds);
    }) as typeof own.model.session.run);
    const [a, b] = [own.stream(), own.stream()];
    for (const frame of framesOf(speech.data.slice(0, 16000), 16000)) {
      a.pushFrame(frame);
      b.pushFrame(frame);
    }
    a.endInput();
    b.endInput();
    const results = await Promise.allSettled([a, b].map(async (s) => {
      let n = 0;
      for await (const _ of s) n++;
      return n;
    }));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(reported).toHaveLength(2);
    expect(reported.every((e) => e.message === 'silero: inference failed: bad input')).toBe(true);
    expect(own.openStreams).toBe(0);
    // The VAD still works for new streams.
    vi.restoreAllMocks();
    expectSegmentsAtTheSpeech(segmentsOf(await runThrough(own, framesOf(speech.data, 16000))));
  });

  it('closed streams are released: nothing of a stream stays reachable from the VAD', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const own = await VAD.load({ batch: 4 });
    const refs: WeakRef<object>[] = [];
    await (async () => {
      const streams = Array.from({ length: 40 }, () => own.stream());
      streams.forEach((s) => refs.push(new WeakRef(s)));
      for (const s of streams) s.pushFrame(audioFrame(speech.data.slice(16000, 16000 + 5 * 512), 16000));
      // Half end normally (read to the end), half are closed mid-way.
      await Promise.all(
        streams.map(async (s, i) => {
          if (i % 2 === 0) {
            s.endInput();
            for await (const _ of s);
          } else {
            const it = s[Symbol.asyncIterator]();
            await it.next();
            await s.close();
          }
        }),
      );
    })();
    expect(own.openStreams).toBe(0);
    expect(own.waitingWindows).toBe(0);
    // A window of a stream closed mid-way may still be in an ORT call, which answers it anyway.
    await own.settled();
    gc();
    expect(refs.filter((r) => r.deref() !== undefined)).toHaveLength(0);
  });
});

describe('batching', () => {
  it('concurrent streams share ORT calls and get the same probabilities as alone', async () => {
    const batched = await VAD.load({ batch: 8 });
    const run = vi.spyOn(batched.model, 'run');
    const delayed = new Int16Array(layout.samples);
    delayed.set(speech.data.subarray(0, layout.samples - 4800), 4800);
    const signals = [speech.data, delayed, whiteNoise(16000, layout.samples / 16000, 0.2, 3)];

    const together = await Promise.all(signals.map((signal) => runThrough(batched, framesOf(signal, 16000))));
    const sizes = run.mock.calls.map(([, batch]) => batch.n);
    run.mockRestore();
    const alone: VADEvent[][] = [];
    for (const signal of signals) alone.push(await runThrough(vad, framesOf(signal, 16000)));

    // Three streams fed together: every call but the warm-up carries all three windows.
    expect(Math.max(...sizes)).toBe(3);
    expect(sizes.filter((n) => n === 3).length).toBeGreaterThan(windowsOf(layout.samples, 512) - 5);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(3 * windowsOf(layout.samples, 512));
    together.forEach((events, s) => {
      const p = inferences(events).map((e) => e.probability);
      const q = inferences(alone[s]!).map((e) => e.probability);
      expect(p).toHaveLength(q.length);
      p.forEach((value, i) => expect(Math.abs(value - q[i]!)).toBeLessThan(1e-4));
      expect(segmentsOf(events)).toEqual(segmentsOf(alone[s]!));
    });
    expectSegmentsAtTheSpeech(segmentsOf(together[0]!));
    expect(edges(together[2]!)).toEqual([]);
  });

  it('settled() resolves once the ORT call under way has answered', async () => {
    const own = await VAD.load({ batch: 4 });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inCall = new Promise<void>((resolve) => (entered = resolve));
    const run = own.model.run.bind(own.model);
    const spy = vi.spyOn(own.model, 'run').mockImplementation(async (...args) => {
      entered();
      await held;
      return run(...args);
    });
    await own.settled(); // nothing under way
    const stream = own.stream();
    stream.pushFrame(audioFrame(speech.data.slice(0, 512), 16000));
    await inCall;
    let settled = false;
    const done = own.settled().then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    release();
    await done;
    expect(settled).toBe(true);
    spy.mockRestore();
    await stream.close();
  });

  it('batch 1 runs each window in its own call', async () => {
    const alone = await VAD.load({ batch: 1 });
    const run = vi.spyOn(alone.model, 'run');
    await Promise.all([runThrough(alone, framesOf(speech.data.slice(0, 5120), 16000)), runThrough(alone, framesOf(speech.data.slice(0, 5120), 16000))]);
    expect(run.mock.calls.map(([, batch]) => batch.n)).toEqual(Array(20).fill(1));
  });
});

describe('batching across streams fed in real time', () => {
  // Each test has its own limits, hence its own batcher: windows of other tests never join its calls.
  let wait = 5;
  const nextLimits = () => ({ batch: 8, batchWaitMs: ++wait });
  const oneWindow = () => audioFrame(speech.data.slice(16000, 16512), 16000);

  /** The next inference_done of a stream. */
  async function nextInference(stream: AsyncIterable<VADEvent>): Promise<VADEvent & { type: 'inference_done' }> {
    for await (const event of stream) if (event.type === 'inference_done') return event as VADEvent & { type: 'inference_done' };
    throw new Error('the stream ended');
  }

  /** Lets real I/O and immediates run, `turns` times (no timer moves). */
  async function turns(count = 5): Promise<void> {
    for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
  }

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a window waits for the other open streams, and goes in one call with theirs once they are all there', async () => {
    const own = await VAD.load(nextLimits());
    const run = vi.spyOn(own.model, 'run');
    const [a, b] = [own.stream(), own.stream()];
    a.pushFrame(oneWindow());
    await turns();
    vi.advanceTimersByTime(own.batchWaitMs - 1);
    await turns();
    expect([run.mock.calls.length, own.waitingWindows]).toEqual([0, 1]);
    b.pushFrame(oneWindow());
    await Promise.all([nextInference(a), nextInference(b)]);
    expect(run.mock.calls.map(([, batch]) => batch.n)).toEqual([2]);
    await Promise.all([a.close(), b.close()]);
  });

  it('waits batchWaitMs at the most: then the windows there go without the rest', async () => {
    const own = await VAD.load(nextLimits());
    const run = vi.spyOn(own.model, 'run');
    const streams = [own.stream(), own.stream(), own.stream()];
    streams[0]!.pushFrame(oneWindow());
    streams[1]!.pushFrame(oneWindow());
    await turns();
    vi.advanceTimersByTime(own.batchWaitMs - 1);
    await turns();
    expect(run).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    await Promise.all([nextInference(streams[0]!), nextInference(streams[1]!)]);
    expect(run.mock.calls.map(([, batch]) => batch.n)).toEqual([2]);
    await Promise.all(streams.map((stream) => stream.close()));
  });

  it('a stream that ends is no longer waited for', async () => {
    const own = await VAD.load(nextLimits());
    const run = vi.spyOn(own.model, 'run');
    const [a, b] = [own.stream(), own.stream()];
    a.pushFrame(oneWindow());
    await turns();
    await b.close();
    // No timer moves: the window goes as soon as nobody else is expected.
    await nextInference(a);
    expect(run.mock.calls.map(([, batch]) => batch.n)).toEqual([1]);
    await a.close();
  });

  it("a window nobody else's can join goes into a call in the turn it is ready", async () => {
    const own = await VAD.load(nextLimits());
    const run = vi.spyOn(own.model, 'run');
    const [a, b] = [own.stream(), own.stream()];
    a.pushFrame(oneWindow());
    expect(run).not.toHaveBeenCalled(); // b's window may still come
    b.pushFrame(oneWindow());
    // Both are ready: no timer, no turn of the event loop before the call.
    expect(run.mock.calls.map(([, batch]) => batch.n)).toEqual([2]);
    await Promise.all([nextInference(a), nextInference(b)]);
  });

  it('with batchWaitMs 0, the windows ready in one turn of the event loop share a call at its end, without waiting for the rest', async () => {
    // batch 7: a batcher of this test's own.
    const own = await VAD.load({ batch: 7, batchWaitMs: 0 });
    const run = vi.spyOn(own.model, 'run');
    const streams = [own.stream(), own.stream(), own.stream()];
    streams[0]!.pushFrame(oneWindow());
    streams[1]!.pushFrame(oneWindow());
    expect(run).not.toHaveBeenCalled(); // the end of this turn, not now
    await Promise.all([nextInference(streams[0]!), nextInference(streams[1]!)]);
    // No timer moved: the third stream's window was not waited for.
    expect(run.mock.calls.map(([, batch]) => batch.n)).toEqual([2]);
    await Promise.all(streams.map((stream) => stream.close()));
  });

  it('a stream alone never waits: a file runs flat out, with no timer moving', async () => {
    const own = await VAD.load(nextLimits());
    const events = await runThrough(own, framesOf(speech.data, 16000));
    expectSegmentsAtTheSpeech(segmentsOf(events));
    expect(vi.getTimerCount()).toBe(0);
  });

  it('VADs loaded apart with the same batching share calls: the sessions of a process batch together', async () => {
    const limits = nextLimits();
    const [first, second] = [await VAD.load(limits), await VAD.load(limits)];
    expect(first).not.toBe(second);
    const run = vi.spyOn(first.model, 'run');
    const [a, b] = [first.stream(), second.stream()];
    a.pushFrame(oneWindow());
    b.pushFrame(oneWindow());
    const [fromA, fromB] = await Promise.all([nextInference(a), nextInference(b)]);
    expect(run.mock.calls.map(([, batch]) => batch.n)).toEqual([2]);
    // Each stream gets its own answer: the same audio, the same probability.
    expect(fromA.probability).toBeCloseTo(fromB.probability, 5);
    await Promise.all([a.close(), b.close()]);
  });

  it('refuses a wait longer than a window, or a bad batch, before loading anything', async () => {
    await expect(VAD.load({ batchWaitMs: 40 })).rejects.toThrow('batchWaitMs must be a number of ms from 0 to 32 (one window), got 40');
    await expect(VAD.load({ batchWaitMs: -1 })).rejects.toThrow(RangeError);
    await expect(VAD.load({ batch: 2.5 })).rejects.toThrow('batch must be a positive integer, got 2.5');
  });
});
