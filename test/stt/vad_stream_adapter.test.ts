/**
 * VADStreamAdapter: a non-streaming STT (the real DeepgramSTT.recognize against the fake Deepgram's
 * REST endpoint) plus a scripted VAD make a speech stream.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AudioFrame } from '../../src/audio/audio_frame.js';
import { frameDurationMs } from '../../src/audio/audio_frame.js';
import { decodeWav } from '../../src/audio/wav.js';
import { ClosedError } from '../../src/errors.js';
import { DeepgramSTT } from '../../src/plugins/deepgram/stt.js';
import { Model } from '../../src/provider/model.js';
import { ProviderError } from '../../src/provider/provider_error.js';
import { resolveOptions } from '../../src/plugins/silero/options.js';
import { EventChannel } from '../../src/streams/event_channel.js';
import { VADStreamAdapter } from '../../src/stt/vad_stream_adapter.js';
import type { VAD, VADEvent, VADEventType, VADOptions, VADStream } from '../../src/vad/vad.js';
import { FakeDeepgram, TRANSCRIPT_RESPONSE } from '../plugins/deepgram/fake_deepgram.js';
import { frame, observe, Reader, texts } from '../plugins/deepgram/helpers.js';

/** A VAD stream whose speech edges the test decides: start() and end() report the frames pushed. */
class ScriptedVADStream implements VADStream {
  readonly pushed: AudioFrame[] = [];
  flushes = 0;
  inputEnded = false;
  closed = false;
  readonly #events = new EventChannel<VADEvent>();
  #speechFrom = 0;

  pushFrame(frame: AudioFrame): void {
    this.pushed.push(frame);
  }

  flush(): void {
    this.flushes += 1;
  }

  endInput(): void {
    this.inputEnded = true;
    this.#events.end();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.#events.close();
  }

  start(): void {
    this.#speechFrom = this.pushed.length - 1;
    this.#emit('start_of_speech', this.pushed.slice(this.#speechFrom));
  }

  end(): void {
    this.#emit('end_of_speech', this.pushed.slice(this.#speechFrom));
  }

  fail(error: unknown): void {
    this.#events.fail(error);
  }

  #emit(type: VADEventType, frames: AudioFrame[]): void {
    const ms = frames.reduce((sum, f) => sum + frameDurationMs(f), 0);
    this.#events.push({
      type,
      timestampMs: 0,
      speechDurationMs: ms,
      silenceDurationMs: 0,
      probability: 0.9,
      speaking: type === 'start_of_speech',
      inferenceDurationMs: 0,
      frames,
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<VADEvent> {
    return this.#events[Symbol.asyncIterator]();
  }
}

class ScriptedVAD extends Model implements VAD {
  readonly label = 'scripted-vad';
  readonly options: Readonly<VADOptions> = resolveOptions({});
  readonly streams: ScriptedVADStream[] = [];

  stream(): ScriptedVADStream {
    const stream = new ScriptedVADStream();
    this.streams.push(stream);
    return stream;
  }
}

let fake: FakeDeepgram;

beforeEach(async () => {
  fake = await FakeDeepgram.start();
});

afterEach(async () => {
  await fake.close();
});

function adapter(): { stt: VADStreamAdapter; vad: ScriptedVAD } {
  const vad = new ScriptedVAD();
  const deepgram = new DeepgramSTT({ apiKey: 'test-key', baseUrl: fake.url, conn: { maxRetry: 1, retryIntervalMs: 0, timeoutMs: 2_000 } });
  return { stt: new VADStreamAdapter(deepgram, vad), vad };
}

describe('VADStreamAdapter', () => {
  it('VAD start → start_of_speech; VAD end → the speech frames recognized → final_transcript, end_of_speech, usage', async () => {
    const { stt, vad } = adapter();
    expect(stt.capabilities).toEqual({ streaming: true, interimResults: false });
    expect(stt.label).toBe('deepgram/nova-3');
    const seen = observe(stt);
    const stream = stt.stream({ language: 'fr' });
    const reader = new Reader(stream);
    const vadStream = vad.streams[0]!;

    stream.pushFrame(frame(100, 16000, 1)); // silence before
    stream.pushFrame(frame(100, 16000, 2));
    vadStream.start();
    expect(await reader.next()).toEqual({ type: 'start_of_speech' });
    stream.pushFrame(frame(200, 16000, 3));
    vadStream.end();
    const events = await reader.take(3);
    expect(texts(events)).toEqual(['final_transcript:hello from rest', 'end_of_speech', 'usage:300']);
    expect(events[0]).toEqual({
      type: 'final_transcript',
      alternatives: [{ text: 'hello from rest', language: 'fr', confidence: 0.97, startTimeMs: 100, endTimeMs: 500 }],
    });

    // What Deepgram got: the utterance's frames (2 then 3), not the silence before.
    const request = fake.requests[0]!;
    expect(request.query.get('language')).toBe('fr');
    const wav = decodeWav(request.body);
    expect(wav.samplesPerChannel).toBe(4800);
    expect([wav.data[0], wav.data[1600]]).toEqual([2, 3]);
    expect(vadStream.pushed).toHaveLength(3);
    expect(seen.metrics).toEqual([expect.objectContaining({ type: 'stt_metrics', streamed: false, audioDurationMs: 300 })]);

    stream.flush();
    expect(vadStream.flushes).toBe(1);
    stream.endInput();
    expect(vadStream.inputEnded).toBe(true);
    expect(() => stream.pushFrame(frame(10))).toThrow(ClosedError);
    expect(await reader.rest()).toEqual([]);
  });

  it('an utterance in which nothing was recognized gives end_of_speech without a transcript', async () => {
    const empty = structuredClone(TRANSCRIPT_RESPONSE) as unknown as { results: { channels: { alternatives: Record<string, unknown>[] }[] } };
    empty.results.channels[0]!.alternatives[0] = { transcript: '', confidence: 0, words: [] };
    fake.scriptRest({ status: 200, body: empty });
    const { stt, vad } = adapter();
    const stream = stt.stream();
    const reader = new Reader(stream);
    stream.pushFrame(frame(100));
    vad.streams[0]!.start();
    vad.streams[0]!.end();
    expect(texts(await reader.take(3))).toEqual(['start_of_speech', 'end_of_speech', 'usage:100']);
    await stream.close();
  });

  it('a recognition that fails after its retries ends the stream with the error, forwarded by the adapter', async () => {
    fake.scriptRest({ status: 500 }, { status: 500 });
    const { stt, vad } = adapter();
    const seen = observe(stt);
    const stream = stt.stream();
    const reader = new Reader(stream);
    stream.pushFrame(frame(100));
    vad.streams[0]!.start();
    vad.streams[0]!.end();
    expect(await reader.next()).toEqual({ type: 'start_of_speech' });
    const error = (await reader.failure()) as ProviderError;
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ recoverable: false, status: 500 });
    expect(seen.errors.map((e) => e.recoverable)).toEqual([true, false]);
    expect(vad.streams[0]!.closed).toBe(true);
  });

  it('a VAD failure ends the stream with it', async () => {
    const { stt, vad } = adapter();
    const reader = new Reader(stt.stream());
    const failure = new Error('vad broke');
    vad.streams[0]!.fail(failure);
    expect(await reader.failure()).toBe(failure);
  });

  it('close() cancels a recognition under way and closes the VAD stream', async () => {
    fake.scriptRest('hang');
    const { stt, vad } = adapter();
    const seen = observe(stt);
    const stream = stt.stream();
    const reader = new Reader(stream);
    stream.pushFrame(frame(100));
    vad.streams[0]!.start();
    vad.streams[0]!.end();
    expect(await reader.next()).toEqual({ type: 'start_of_speech' });
    await fake.untilRequests(1);
    await stream.close();
    expect(await reader.rest()).toEqual([]);
    expect(vad.streams[0]!.closed).toBe(true);
    expect(seen.errors).toEqual([]);
  });

  it("the caller's signal ends the stream with its reason", async () => {
    const { stt, vad } = adapter();
    const controller = new AbortController();
    const reader = new Reader(stt.stream({ signal: controller.signal }));
    const reason = new Error('gone');
    controller.abort(reason);
    expect(await reader.failure()).toBe(reason);
    expect(vad.streams[0]!.closed).toBe(true);
  });

  it('recognize() is the wrapped STT’s', async () => {
    const { stt } = adapter();
    expect((await stt.recognize([frame(100)])).text).toBe('hello from rest');
  });
});
