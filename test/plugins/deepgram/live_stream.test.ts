/**
 * DeepgramSTT.stream() with the real @deepgram/sdk against a fake Deepgram on 127.0.0.1 (see
 * fake_deepgram.ts): what goes over the wire (query, key, audio, control messages) and what comes
 * out of the stream and the model (events, errors, metrics), through retries, drops and garbage.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { audioFrame } from '../../../src/audio/audio_frame.js';
import { ClosedError } from '../../../src/errors.js';
import { DeepgramSTT } from '../../../src/plugins/deepgram/stt.js';
import { MAX_MALFORMED_IN_A_ROW } from '../../../src/plugins/deepgram/live_stream.js';
import type { DeepgramSTTOptions } from '../../../src/plugins/deepgram/options.js';
import { ProviderError } from '../../../src/provider/provider_error.js';
import { type FakeConnection, FakeDeepgram } from './fake_deepgram.js';
import { deepgramAt, frame, observe, Reader, settleUntil, texts, tone } from './helpers.js';

let fake: FakeDeepgram;

beforeEach(async () => {
  fake = await FakeDeepgram.start();
});

afterEach(async () => {
  vi.useRealTimers();
  await fake.close();
});

const deepgram = (options: Partial<DeepgramSTTOptions> = {}) => deepgramAt(fake, options);

describe('DeepgramSTT.stream: the request', () => {
  it('connects to /v1/listen with the key and the default parameters', async () => {
    const stream = deepgram().stream();
    const conn = await fake.connection();
    expect(fake.upgrades[0]).toMatchObject({ path: '/v1/listen', authorization: 'Token test-key' });
    expect(Object.fromEntries(conn.query)).toEqual({
      model: 'nova-3',
      language: 'en-US',
      encoding: 'linear16',
      sample_rate: '16000',
      channels: '1',
      interim_results: 'true',
      punctuate: 'true',
      smart_format: 'false',
      vad_events: 'true',
      endpointing: '25',
    });
    await stream.close();
  });

  it('sends model, language, keyterms, endpointing, interim results, formatting and the sample rate asked for', async () => {
    const stt = deepgram({
      model: 'nova-3-general',
      keyterms: ['Voxstate', 'XState v5'],
      endpointingMs: 300,
      interimResults: false,
      smartFormat: true,
      punctuate: false,
      utteranceEndMs: 1000,
      sampleRate: 24000,
    });
    expect(stt.label).toBe('deepgram/nova-3-general');
    expect(stt.capabilities).toEqual({ streaming: true, interimResults: false });
    const stream = stt.stream({ language: 'fr' });
    const conn = await fake.connection();
    expect(conn.query.get('model')).toBe('nova-3-general');
    expect(conn.query.get('language')).toBe('fr');
    expect(conn.query.getAll('keyterm')).toEqual(['Voxstate', 'XState v5']);
    expect(conn.query.get('endpointing')).toBe('300');
    expect(conn.query.get('interim_results')).toBe('false');
    expect(conn.query.get('smart_format')).toBe('true');
    expect(conn.query.get('punctuate')).toBe('false');
    expect(conn.query.get('utterance_end_ms')).toBe('1000');
    expect(conn.query.get('sample_rate')).toBe('24000');
    await stream.close();
  });

  it('turns endpointing off with endpointing=false', async () => {
    const stream = deepgram({ endpointingMs: false }).stream();
    expect((await fake.connection()).query.get('endpointing')).toBe('false');
    await stream.close();
  });

  it('refuses keyterms for a model that is not nova-3, and a missing key, before connecting', () => {
    expect(() => deepgram({ model: 'nova-2', keyterms: ['x'] })).toThrow(/keyterms need a nova-3 model/);
    vi.stubEnv('DEEPGRAM_API_KEY', '');
    try {
      expect(() => new DeepgramSTT({ baseUrl: fake.url })).toThrow(ProviderError);
    } finally {
      vi.unstubAllEnvs();
    }
    expect(fake.upgrades).toHaveLength(0);
  });

  it('takes the key from DEEPGRAM_API_KEY', async () => {
    vi.stubEnv('DEEPGRAM_API_KEY', 'test-key');
    try {
      const stream = new DeepgramSTT({ baseUrl: fake.url }).stream();
      await fake.connection();
      expect(fake.upgrades[0]!.authorization).toBe('Token test-key');
      await stream.close();
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('DeepgramSTT.stream: audio out', () => {
  it('sends 16 kHz mono audio in 50 ms messages (as agents-js), frames pushed before the socket opened included; flush() sends the rest', async () => {
    const stream = deepgram().stream();
    stream.pushFrame(frame(20, 16000, 100, true));
    const conn = await fake.connection();
    stream.pushFrame(frame(20, 16000, 5000, true));
    stream.pushFrame(frame(20, 16000, 9000, true));
    await conn.untilAudioBytes(1600);
    // 60 ms pushed: one message of 50 ms; the last 10 ms wait for the next frames.
    expect(conn.audio.map((message) => message.length)).toEqual([1600]);
    stream.flush();
    await conn.untilControl('Finalize');
    expect(conn.audio.map((message) => message.length)).toEqual([1600, 320]);
    const samples = conn.samples();
    expect(samples.length).toBe(960);
    expect(Array.from(samples.subarray(0, 3))).toEqual([100, 101, 102]);
    expect(Array.from(samples.subarray(320, 323))).toEqual([5000, 5001, 5002]);
    expect(Array.from(samples.subarray(640, 643))).toEqual([9000, 9001, 9002]);
    await stream.close();
  });

  it('endInput() sends the audio that waited for its 50 ms before CloseStream', async () => {
    const stream = deepgram().stream();
    const conn = await fake.connection();
    stream.pushFrame(frame(30, 16000, 7));
    stream.endInput();
    await conn.untilControl('CloseStream');
    expect(conn.audio.map((message) => [message.length, message.readInt16LE(0)])).toEqual([[960, 7]]);
    await stream.close();
  });

  it('mixes stereo down to mono', async () => {
    const stream = deepgram().stream();
    const conn = await fake.connection();
    stream.pushFrame(audioFrame(Int16Array.from([1000, 3000, -200, 200, 10, 20]), 16000, 2));
    stream.flush();
    await conn.untilAudioBytes(6);
    expect(Array.from(conn.samples())).toEqual([2000, 0, 15]);
    await stream.close();
  });

  it('resamples 48 kHz to 16 kHz: 100 ms in, 1600 samples out by the time Finalize is sent', async () => {
    const stream = deepgram().stream();
    const conn = await fake.connection();
    for (let i = 0; i < 10; i++) stream.pushFrame(tone(10, 48000));
    stream.flush();
    await conn.untilControl('Finalize');
    const samples = conn.samples();
    expect(samples.length).toBe(1600);
    // The tone survives: its RMS stays near 8000/√2 away from the edges.
    const middle = samples.subarray(200, 1400);
    const rms = Math.sqrt(middle.reduce((sum, v) => sum + v * v, 0) / middle.length);
    expect(rms).toBeGreaterThan(5300);
    expect(rms).toBeLessThan(6000);
    await stream.close();
  });

  it('flush() sends Finalize after the audio, endInput() sends CloseStream; the iteration ends when Deepgram closes', async () => {
    const stt = deepgram();
    const seen = observe(stt);
    const stream = stt.stream();
    const reader = new Reader(stream);
    const conn = await fake.connection();
    stream.pushFrame(frame(100));
    stream.flush();
    await conn.untilControl('Finalize');
    expect(conn.audioBytes).toBe(3200);
    conn.sendResults('all of it', { isFinal: true, speechFinal: true });
    expect(texts(await reader.take(3))).toEqual(['start_of_speech', 'final_transcript:all of it', 'end_of_speech']);
    stream.endInput();
    expect(() => stream.pushFrame(frame(10))).toThrow(ClosedError);
    await conn.untilControl('CloseStream');
    // The fake answers CloseStream with Metadata (duration of the audio it got) and a close.
    expect(texts(await reader.rest())).toEqual(['usage:100']);
    expect(conn.controls).toEqual(['Finalize', 'CloseStream']);
    expect(seen.metrics).toEqual([
      expect.objectContaining({ type: 'stt_metrics', label: 'deepgram/nova-3', requestId: 'live-req-1', audioDurationMs: 100, durationMs: 0, streamed: true }),
    ]);
    expect(seen.errors).toEqual([]);
  });

  it('sends KeepAlive when no audio went out for a keep-alive interval', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const stream = deepgram({ keepAliveIntervalMs: 1000 }).stream();
    const conn = await fake.connection();
    stream.pushFrame(frame(50));
    await conn.untilAudioBytes(1600);
    vi.advanceTimersByTime(1000); // audio went out during this interval: no KeepAlive
    vi.advanceTimersByTime(1000); // none during this one: KeepAlive
    await conn.untilControl('KeepAlive');
    stream.pushFrame(frame(50));
    vi.advanceTimersByTime(1000);
    vi.advanceTimersByTime(1000);
    await conn.untilControl('KeepAlive', 2);
    expect(conn.controls).toEqual(['KeepAlive', 'KeepAlive']);
    expect(conn.audio).toHaveLength(2);
    await stream.close();
  });

  it('close() closes the socket at once and ends the iteration; the audio sent is reported as usage, what waited for its 50 ms is dropped', async () => {
    const stt = deepgram();
    const seen = observe(stt);
    const stream = stt.stream();
    const reader = new Reader(stream);
    const conn = await fake.connection();
    stream.pushFrame(frame(60));
    await conn.untilAudioBytes(1600);
    await stream.close();
    expect(await reader.rest()).toEqual([]);
    expect((await conn.untilClosed()).code).toBe(1000);
    expect(conn.controls).toEqual([]);
    expect(() => stream.pushFrame(frame(10))).toThrow(ClosedError);
    expect(conn.audioBytes).toBe(1600);
    expect(seen.metrics.map((m) => m.audioDurationMs)).toEqual([50]);
    await stream.close(); // twice is fine
  });

  it("the caller's signal closes the socket and the iteration throws its reason", async () => {
    const controller = new AbortController();
    const stream = deepgram().stream({ signal: controller.signal });
    const reader = new Reader(stream);
    const conn = await fake.connection();
    const reason = new Error('user hung up');
    controller.abort(reason);
    expect(await reader.failure()).toBe(reason);
    await conn.untilClosed();
  });
});

describe('DeepgramSTT.stream: events in', () => {
  it('speech start, interim then final transcripts, end of speech, with times, confidence and language', async () => {
    const stt = deepgram();
    const stream = stt.stream();
    const reader = new Reader(stream);
    const conn = await fake.connection();
    conn.sendSpeechStarted(0.1);
    conn.sendResults('hello', { start: 0.1, duration: 0.4 });
    conn.sendResults('hello there', { start: 0.1, duration: 0.8 });
    conn.sendResults('hello there', { start: 0.1, duration: 0.8, isFinal: true, speechFinal: true });
    const events = await reader.take(5);
    expect(texts(events)).toEqual(['start_of_speech', 'interim_transcript:hello', 'interim_transcript:hello there', 'final_transcript:hello there', 'end_of_speech']);
    expect(events[3]).toEqual({
      type: 'final_transcript',
      alternatives: [{ text: 'hello there', language: 'en-US', confidence: 0.92, startTimeMs: 100, endTimeMs: 900 }],
    });
    // UtteranceEnd after the endpoint: speech already ended. Words without SpeechStarted start speech.
    conn.sendUtteranceEnd();
    conn.sendResults('', { isFinal: true });
    conn.sendResults('again', { start: 2 });
    conn.sendResults('again', { start: 2, isFinal: true });
    conn.sendUtteranceEnd(2.5);
    expect(texts(await reader.take(4))).toEqual(['start_of_speech', 'interim_transcript:again', 'final_transcript:again', 'end_of_speech']);
    // Speech still going on when the stream ends is ended with it.
    conn.sendSpeechStarted(3);
    conn.sendResults('and then', { start: 3 });
    expect(texts(await reader.take(2))).toEqual(['start_of_speech', 'interim_transcript:and then']);
    stream.endInput();
    expect(texts(await reader.rest())).toEqual(['usage:0', 'end_of_speech']);
  });
});

describe('DeepgramSTT.stream: failures', () => {
  it('HTTP 500 and 429 on the upgrade are retried, then fail with an unrecoverable ProviderError', async () => {
    fake.scriptUpgrades({ status: 500 }, { status: 429 }, { status: 500 });
    const stt = deepgram();
    const seen = observe(stt);
    const error = (await new Reader(stt.stream()).failure()) as ProviderError;
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ provider: 'deepgram', recoverable: false, status: 500 });
    expect(error.message).toBe('deepgram: the live connection was refused with HTTP 500 (after 3 attempts)');
    expect(fake.upgrades).toHaveLength(3);
    expect(seen.errors.map((e) => [e.recoverable, e.status])).toEqual([
      [true, 500],
      [true, 429],
      [false, 500],
    ]);
  });

  it('a refused upgrade that passes is followed by a working stream', async () => {
    fake.scriptUpgrades({ status: 503 });
    const stt = deepgram();
    const seen = observe(stt);
    const stream = stt.stream();
    stream.pushFrame(frame(50));
    const conn = await fake.connection();
    await conn.untilAudioBytes(1600);
    expect(fake.upgrades).toHaveLength(2);
    expect(seen.errors.map((e) => [e.recoverable, e.status])).toEqual([[true, 503]]);
    await stream.close();
  });

  it('HTTP 401 (a wrong key) fails at once, and the key is in no message', async () => {
    const stt = deepgram({ apiKey: 'wrong-secret-key' });
    const seen = observe(stt);
    const error = (await new Reader(stt.stream()).failure()) as ProviderError;
    expect(error).toMatchObject({ recoverable: false, status: 401 });
    expect(fake.upgrades).toHaveLength(1);
    expect(seen.errors).toEqual([error]);
    expect(JSON.stringify([error.message, String(error.cause)])).not.toContain('wrong-secret-key');
  });

  it('an upgrade left without an answer times out after timeoutMs and is retried after retryIntervalMs, then fails', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    fake.scriptUpgrades('hang', 'hang');
    const stt = deepgram({ conn: { maxRetry: 1, retryIntervalMs: 2_000, timeoutMs: 10_000 } });
    const seen = observe(stt);
    const failure = new Reader(stt.stream()).failure();
    await settleUntil(() => fake.upgrades.length === 1);
    await vi.advanceTimersByTimeAsync(9_999);
    expect(seen.errors).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(seen.errors.map((e) => [e.recoverable, e.message])).toEqual([[true, 'deepgram: no answer within 10000 ms']]);
    await vi.advanceTimersByTimeAsync(1_999);
    expect(fake.upgrades).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await settleUntil(() => fake.upgrades.length === 2, 1);
    await vi.advanceTimersByTimeAsync(10_000);
    const error = (await failure) as ProviderError;
    expect(error).toMatchObject({ recoverable: false, message: 'deepgram: no answer within 10000 ms (after 2 attempts)' });
    expect(seen.errors.map((e) => e.recoverable)).toEqual([true, false]);
  });

  it('after a timeout, the retry connects and the stream works', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    fake.scriptUpgrades('hang');
    const stream = deepgram({ conn: { maxRetry: 1, retryIntervalMs: 0, timeoutMs: 10_000 } }).stream();
    const reader = new Reader(stream);
    await settleUntil(() => fake.upgrades.length === 1);
    await vi.advanceTimersByTimeAsync(10_000);
    await settleUntil(() => fake.connections.length === 1, 1);
    vi.useRealTimers();
    fake.connections[0]!.sendResults('late but fine', { isFinal: true });
    expect(texts(await reader.take(2))).toEqual(['start_of_speech', 'final_transcript:late but fine']);
    await stream.close();
  });

  it('a connection dropped mid-stream is reopened: the audio pushed meanwhile goes out, events go on, times stay in stream time', async () => {
    const stt = deepgram();
    const seen = observe(stt);
    const stream = stt.stream();
    const reader = new Reader(stream);
    const first = await fake.connection(0);
    stream.pushFrame(frame(500, 16000, 1));
    await first.untilAudioBytes(16000);
    first.sendResults('before the drop', { isFinal: true });
    expect(texts(await reader.take(2))).toEqual(['start_of_speech', 'final_transcript:before the drop']);
    const dropped = seen.nextError();
    first.drop();
    expect((await dropped).message).toBe('deepgram: the connection dropped (code 1006); reconnecting');
    // Pushed while reconnecting: kept, then sent on the new connection.
    stream.pushFrame(frame(50, 16000, 2));
    stream.pushFrame(frame(50, 16000, 3));
    const second = await fake.connection(1);
    await second.untilAudioBytes(3200);
    expect(second.audio.map((chunk) => chunk.readInt16LE(0))).toEqual([2, 3]);
    second.sendResults('after it', { isFinal: true, start: 0, duration: 0.04 });
    const events = await reader.take(2);
    // The usage of the dropped connection (the audio sent on it), then the new transcript, whose
    // times count from the new connection's first audio (500 ms into the stream).
    expect(events[0]).toEqual({ type: 'usage', audioDurationMs: 500 });
    expect(events[1]).toMatchObject({ type: 'final_transcript', alternatives: [{ text: 'after it', startTimeMs: 500, endTimeMs: 540 }] });
    expect(seen.errors.map((e) => e.recoverable)).toEqual([true]);
    await stream.close();
  });

  it('a broken WebSocket frame is a drop, reported with the socket error, and the connection is reopened', async () => {
    const stt = deepgram();
    const seen = observe(stt);
    const stream = stt.stream();
    const reader = new Reader(stream);
    const first = await fake.connection(0);
    const dropped = seen.nextError();
    // A frame with reserved bits set: not valid WebSocket.
    (first.ws as unknown as { _socket: { write(b: Buffer): void } })._socket.write(Buffer.from([0xf1, 0x00]));
    expect((await dropped).message).toMatch(/^deepgram: the connection dropped \(code 1000: Invalid WebSocket frame: .*\); reconnecting$/);
    const second = await fake.connection(1);
    second.sendResults('fine again', { isFinal: true });
    expect(texts(await reader.take(2))).toEqual(['start_of_speech', 'final_transcript:fine again']);
    await stream.close();
  });

  it('a dropped connection that cannot be reopened fails with an unrecoverable error after the retries', async () => {
    const stt = deepgram();
    const seen = observe(stt);
    const stream = stt.stream();
    const reader = new Reader(stream);
    const first = await fake.connection();
    fake.scriptUpgrades({ status: 503 }, { status: 503 }, { status: 502 });
    first.drop();
    const error = (await reader.failure()) as ProviderError;
    expect(error).toMatchObject({ recoverable: false, status: 502 });
    expect(fake.upgrades).toHaveLength(4);
    expect(seen.errors.map((e) => e.message)).toEqual([
      'deepgram: the connection dropped (code 1006); reconnecting',
      'deepgram: the live connection was refused with HTTP 503',
      'deepgram: the live connection was refused with HTTP 503',
      'deepgram: the live connection was refused with HTTP 502 (after 3 attempts)',
    ]);
    expect(() => stream.pushFrame(frame(10))).toThrow(/failed/);
  });

  it('connections that keep dropping fail the stream after maxRetry drops', async () => {
    const stt = deepgram();
    const seen = observe(stt);
    const reader = new Reader(stt.stream());
    for (let i = 0; i < 3; i++) (await fake.connection(i)).drop();
    const error = (await reader.failure()) as ProviderError;
    expect(error.recoverable).toBe(false);
    expect(error.message).toBe('deepgram: the connection dropped (code 1006) — 3 broken connections within 60 s, giving up');
    expect(seen.errors.map((e) => e.recoverable)).toEqual([true, true, false]);
  });

  it('a close for a policy violation (1008) is not retried', async () => {
    const stt = deepgram();
    const reader = new Reader(stt.stream());
    (await fake.connection()).ws.close(1008, 'DATA-0000');
    const error = (await reader.failure()) as ProviderError;
    expect(error).toMatchObject({ recoverable: false });
    expect(error.message).toBe('deepgram: Deepgram closed the connection (code 1008: DATA-0000)');
    expect(fake.upgrades).toHaveLength(1);
  });

  it('malformed messages (not JSON, binary, unknown type, wrong shape) are reported and skipped; the stream goes on', async () => {
    expect(MAX_MALFORMED_IN_A_ROW).toBeGreaterThan(3); // at most 3 in a row below
    const stt = deepgram();
    const seen = observe(stt);
    const stream = stt.stream();
    const reader = new Reader(stream);
    const conn = await fake.connection();
    conn.send('this is not json');
    conn.ws.send(Buffer.from([1, 2, 3]));
    conn.sendSpeechStarted(); // a valid message: the count of malformed ones in a row starts over
    conn.send({ type: 'Weird' });
    conn.send({ type: 'Results', is_final: true });
    conn.send({ type: 'Results', channel: { alternatives: [{ confidence: 1 }] } });
    conn.sendResults('still here', { isFinal: true });
    expect(texts(await reader.take(2))).toEqual(['start_of_speech', 'final_transcript:still here']);
    expect(seen.errors.map((e) => [e.recoverable, e.message])).toEqual([
      [true, 'deepgram: malformed message from Deepgram, skipped: a text frame that is not JSON ("this is not json")'],
      [true, 'deepgram: malformed message from Deepgram, skipped: an unexpected binary frame (3 bytes)'],
      [true, 'deepgram: malformed message from Deepgram, skipped: a message of unknown type "Weird"'],
      [true, 'deepgram: malformed message from Deepgram, skipped: Results without channel.alternatives'],
      [true, 'deepgram: malformed message from Deepgram, skipped: Results with an alternative that has no transcript'],
    ]);
    expect(fake.upgrades).toHaveLength(1);
    await stream.close();
  });

  it(`${MAX_MALFORMED_IN_A_ROW} malformed messages in a row break the connection: it is reopened`, async () => {
    const stt = deepgram();
    const seen = observe(stt);
    const stream = stt.stream();
    const reader = new Reader(stream);
    const first = await fake.connection(0);
    for (let i = 0; i < MAX_MALFORMED_IN_A_ROW; i++) first.send(`garbage ${i}`);
    await first.untilClosed();
    const second = await fake.connection(1);
    second.sendResults('recovered', { isFinal: true });
    expect(texts(await reader.take(2))).toEqual(['start_of_speech', 'final_transcript:recovered']);
    expect(seen.errors.at(-1)!.message).toBe(`deepgram: ${MAX_MALFORMED_IN_A_ROW} malformed messages in a row; reconnecting`);
    expect(seen.errors.every((e) => e.recoverable)).toBe(true);
    await stream.close();
  });

  it('malformed messages that go on after the retries fail the stream with an unrecoverable error', async () => {
    const stt = deepgram({ conn: { maxRetry: 1, retryIntervalMs: 0, timeoutMs: 2_000 } });
    const seen = observe(stt);
    const reader = new Reader(stt.stream());
    for (let i = 0; i < 2; i++) {
      const conn = await fake.connection(i);
      for (let j = 0; j < MAX_MALFORMED_IN_A_ROW; j++) conn.send('{"not": "a deepgram message"}');
    }
    const error = (await reader.failure()) as ProviderError;
    expect(error.recoverable).toBe(false);
    expect(error.message).toBe(`deepgram: ${MAX_MALFORMED_IN_A_ROW} malformed messages in a row — 2 broken connections within 60 s, giving up`);
    expect(seen.errors.filter((e) => !e.recoverable)).toEqual([error]);
  });

  it('audio beyond the buffer bound while connecting drops the oldest, and says so', async () => {
    const stt = deepgram({ maxBufferedAudioMs: 200 });
    const seen = observe(stt);
    const stream = stt.stream();
    for (let i = 1; i <= 5; i++) stream.pushFrame(frame(100, 16000, i));
    const conn = await fake.connection();
    await conn.untilAudioBytes(6400);
    // Sent in 50 ms messages: the last 200 ms are frames 4 and 5, two messages each.
    expect(conn.audio.map((chunk) => chunk.readInt16LE(0))).toEqual([4, 4, 5, 5]);
    expect(seen.errors.map((e) => [e.recoverable, e.message])).toEqual([
      [true, 'deepgram: 300 ms of audio did not fit the 200 ms buffer kept while connecting and were dropped (the oldest first)'],
    ]);
    await stream.close();
  });
});

describe('DeepgramSTT.stream: reconnects are bounded in time, not reset by a good message', () => {
  /** A few turns of real I/O with the fake clock standing still: enough for a connection made too early to reach the server. */
  async function ioTurns(turns = 20): Promise<void> {
    for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  }

  it.each([
    ['closes it (1000)', (connection: FakeConnection) => connection.ws.close(1000), 'the connection dropped (code 1000)'],
    ['drops the TCP connection', (connection: FakeConnection) => connection.drop(), 'the connection dropped (code 1006)'],
  ])('a server that answers each connection once and then %s: backoff, then an unrecoverable error after maxRetry drops', async (_, end, why) => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const stt = deepgram({ conn: { maxRetry: 3, retryIntervalMs: 1_000, timeoutMs: 2_000 } });
    const seen = observe(stt);
    const failure = new Reader(stt.stream()).failure();
    const answerOnceAndEnd = async (index: number) => {
      await settleUntil(() => fake.connections.length > index, 1);
      const connection = fake.connections[index]!;
      connection.sendSpeechStarted();
      end(connection);
      await settleUntil(() => seen.errors.length > index);
    };
    await answerOnceAndEnd(0);
    await answerOnceAndEnd(1);
    await vi.advanceTimersByTimeAsync(999);
    await ioTurns();
    expect(fake.upgrades).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    await answerOnceAndEnd(2);
    await vi.advanceTimersByTimeAsync(1_999);
    await ioTurns();
    expect(fake.upgrades).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(1);
    await answerOnceAndEnd(3);
    const error = (await failure) as ProviderError;
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ recoverable: false, message: `deepgram: ${why} — 4 broken connections within 60 s, giving up` });
    expect(seen.errors.map((e) => [e.recoverable, e.message])).toEqual([
      [true, `deepgram: ${why}; reconnecting`],
      [true, `deepgram: ${why}; reconnecting in 1000 ms`],
      [true, `deepgram: ${why}; reconnecting in 2000 ms`],
      [false, error.message],
    ]);
    await ioTurns();
    expect(fake.upgrades).toHaveLength(4);
  });

  /** Two connections, each given 100 ms of audio, answering it and closing (1000); then a wait of 1000 ms. */
  async function twoDrops() {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const stt = deepgram({ conn: { maxRetry: 3, retryIntervalMs: 1_000, timeoutMs: 2_000 } });
    const seen = observe(stt);
    const stream = stt.stream();
    const reader = new Reader(stream);
    for (let i = 0; i < 2; i++) {
      await settleUntil(() => fake.connections.length > i, 1);
      const connection = fake.connections[i]!;
      stream.pushFrame(frame(100));
      await connection.untilAudioBytes(3200);
      connection.sendResults(`part ${i}`, { isFinal: true });
      connection.ws.close(1000);
      await settleUntil(() => seen.errors.length > i);
    }
    expect(seen.errors.at(-1)!.message).toBe('deepgram: the connection dropped (code 1000); reconnecting in 1000 ms');
    return { stream, reader, seen };
  }

  it('endInput() while waiting to reconnect ends the stream: no connection is opened only to be closed', async () => {
    const { stream, reader } = await twoDrops();
    stream.endInput();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(texts(await reader.rest())).toEqual([
      'start_of_speech',
      'final_transcript:part 0',
      'usage:100',
      'final_transcript:part 1',
      'usage:100',
      'end_of_speech',
    ]);
    await ioTurns();
    expect(fake.upgrades).toHaveLength(2);
  });

  it('audio still waiting when the input ends is delivered on a new connection, then CloseStream', async () => {
    const { stream, reader, seen } = await twoDrops();
    stream.pushFrame(frame(100, 16000, 7));
    stream.endInput();
    await vi.advanceTimersByTimeAsync(1_000);
    await settleUntil(() => fake.connections.length > 2, 1);
    const third = fake.connections[2]!;
    await third.untilControl('CloseStream');
    expect(third.audio.map((chunk) => chunk.readInt16LE(0))).toEqual([7, 7]);
    expect(texts(await reader.rest()).slice(-2)).toEqual(['usage:100', 'end_of_speech']);
    expect(seen.errors).toHaveLength(2);
  });

  it('a server that never answers CloseStream is closed on after timeoutMs, and the stream ends', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const stt = deepgram();
    const seen = observe(stt);
    const stream = stt.stream();
    const reader = new Reader(stream);
    await settleUntil(() => fake.connections.length > 0, 1);
    const connection = fake.connections[0]!;
    connection.answerCloseStream = false;
    stream.pushFrame(frame(100));
    await connection.untilAudioBytes(3200);
    connection.sendResults('last words', { isFinal: true });
    expect(texts(await reader.take(2))).toEqual(['start_of_speech', 'final_transcript:last words']);
    stream.endInput();
    await connection.untilControl('CloseStream');
    await vi.advanceTimersByTimeAsync(1_999);
    await ioTurns();
    expect(connection.closedWith).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(texts(await reader.rest())).toEqual(['usage:100', 'end_of_speech']);
    expect(seen.errors.map((e) => [e.recoverable, e.message])).toEqual([
      [true, 'deepgram: Deepgram did not close the stream within 2000 ms of CloseStream'],
    ]);
    expect((await connection.untilClosed()).code).toBe(1000);
  });
});
