/**
 * DeepgramSTT.recognize() with the real @deepgram/sdk against the fake Deepgram's pre-recorded
 * endpoint (POST /v1/listen): the request, the SpeechData, the metrics, and the retry policy.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { decodeWav } from '../../../src/audio/wav.js';
import type { DeepgramSTTOptions } from '../../../src/plugins/deepgram/options.js';
import { DeepgramSTT } from '../../../src/plugins/deepgram/stt.js';
import { ProviderError } from '../../../src/provider/provider_error.js';
import { FakeDeepgram, TRANSCRIPT_RESPONSE } from './fake_deepgram.js';
import { deepgramAt, frame, observe, settleUntil, tone } from './helpers.js';

let fake: FakeDeepgram;

beforeEach(async () => {
  fake = await FakeDeepgram.start();
});

afterEach(async () => {
  vi.useRealTimers();
  await fake.close();
});

const deepgram = (options: Partial<DeepgramSTTOptions> = {}) => deepgramAt(fake, options);

describe('DeepgramSTT.recognize', () => {
  it('posts the utterance as a 16 kHz mono WAV with the key and parameters, and returns the first alternative', async () => {
    const stt = deepgram({ keyterms: ['Voxstate'], smartFormat: true });
    const seen = observe(stt);
    const data = await stt.recognize([frame(100, 16000, 10, true), frame(150, 16000, 7)], { language: 'en-GB' });
    expect(data).toEqual({ text: 'hello from rest', language: 'en-GB', confidence: 0.97, startTimeMs: 100, endTimeMs: 500 });

    const [request] = fake.requests;
    expect(request!.path).toBe('/v1/listen');
    expect(request!.headers.authorization).toBe('Token test-key');
    expect(request!.headers['content-type']).toBe('audio/wav');
    expect(Object.fromEntries(request!.query)).toEqual({ model: 'nova-3', language: 'en-GB', punctuate: 'true', smart_format: 'true', keyterm: 'Voxstate' });
    const wav = decodeWav(request!.body);
    expect([wav.sampleRate, wav.channels, wav.samplesPerChannel]).toEqual([16000, 1, 4000]);
    expect(Array.from(wav.data.subarray(0, 3))).toEqual([10, 11, 12]);
    expect(wav.data[3999]).toBe(7);

    expect(seen.metrics).toHaveLength(1);
    expect(seen.metrics[0]).toMatchObject({ type: 'stt_metrics', label: 'deepgram/nova-3', requestId: 'rest-req-1', audioDurationMs: 250, streamed: false });
    expect(seen.metrics[0]!.durationMs).toBeGreaterThan(0);
    expect(seen.errors).toEqual([]);
  });

  it('resamples 48 kHz stereo to 16 kHz mono, and reports the detected language when there is one', async () => {
    const detected = structuredClone(TRANSCRIPT_RESPONSE) as unknown as { results: { channels: Record<string, unknown>[] } };
    detected.results.channels[0]!.detected_language = 'de';
    fake.scriptRest({ status: 200, body: detected });
    const left = tone(300, 48000);
    const stereo = new Int16Array(left.data.length * 2);
    left.data.forEach((v, i) => {
      stereo[2 * i] = v;
      stereo[2 * i + 1] = v;
    });
    const data = await deepgram().recognize([{ data: stereo, sampleRate: 48000, channels: 2, samplesPerChannel: left.data.length }]);
    expect(data.language).toBe('de');
    const wav = decodeWav(fake.requests[0]!.body);
    expect([wav.sampleRate, wav.channels, wav.samplesPerChannel]).toEqual([16000, 1, 4800]);
  });

  it('a ws:// base URL serves both endpoints: REST over http, live over ws', async () => {
    const stt = deepgram({ baseUrl: fake.url.replace('http://', 'ws://') });
    expect((await stt.recognize([frame(100)])).text).toBe('hello from rest');
    const stream = stt.stream();
    await fake.connection();
    await stream.close();
  });

  it('sends nothing for no audio', async () => {
    expect(await deepgram().recognize([])).toEqual({ text: '', language: 'en-US' });
    expect(fake.requests).toHaveLength(0);
  });

  it('HTTP 500 and 429 are retried, then fail with an unrecoverable ProviderError', async () => {
    fake.scriptRest({ status: 500, body: { err_msg: 'boom' } }, { status: 429, body: { err_msg: 'slow down' } }, { status: 500, body: { err_msg: 'boom again' } });
    const stt = deepgram();
    const seen = observe(stt);
    const error = await stt.recognize([frame(100)]).catch((e: unknown) => e as ProviderError);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ recoverable: false, status: 500, message: 'deepgram: HTTP 500: boom again (after 3 attempts)' });
    expect(fake.requests).toHaveLength(3);
    expect(seen.errors.map((e) => [e.recoverable, e.message])).toEqual([
      [true, 'deepgram: HTTP 500: boom'],
      [true, 'deepgram: HTTP 429: slow down'],
      [false, 'deepgram: HTTP 500: boom again (after 3 attempts)'],
    ]);
    expect(seen.metrics).toEqual([]);
  });

  it('a retry that succeeds gives the transcript', async () => {
    fake.scriptRest({ status: 503 });
    const stt = deepgram();
    const seen = observe(stt);
    expect((await stt.recognize([frame(100)])).text).toBe('hello from rest');
    expect(seen.errors.map((e) => e.status)).toEqual([503]);
    expect(seen.metrics).toHaveLength(1);
  });

  it('HTTP 401 fails at once; the key is in no message', async () => {
    const stt = deepgram({ apiKey: 'wrong-secret-key' });
    const seen = observe(stt);
    const error = (await stt.recognize([frame(100)]).catch((e: unknown) => e)) as ProviderError;
    expect(error).toMatchObject({ recoverable: false, status: 401, message: 'deepgram: HTTP 401: Invalid credentials.' });
    expect(fake.requests).toHaveLength(1);
    expect(seen.errors).toEqual([error]);
    expect(JSON.stringify(seen.errors.map((e) => e.message))).not.toContain('wrong-secret-key');
  });

  it('a request left without an answer times out after timeoutMs and is retried after retryIntervalMs, then fails', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    fake.scriptRest('hang', 'hang');
    const stt = deepgram({ conn: { maxRetry: 1, retryIntervalMs: 2_000, timeoutMs: 10_000 } });
    const seen = observe(stt);
    const outcome = stt.recognize([frame(100)]).catch((e: unknown) => e);
    await settleUntil(() => fake.requests.length === 1);
    await vi.advanceTimersByTimeAsync(9_999);
    expect(seen.errors).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(seen.errors.map((e) => e.message)).toEqual(['deepgram: no answer within 10000 ms']);
    await vi.advanceTimersByTimeAsync(1_999);
    expect(fake.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await settleUntil(() => fake.requests.length === 2, 1);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await outcome).toMatchObject({ recoverable: false, message: 'deepgram: no answer within 10000 ms (after 2 attempts)' });
    expect(seen.errors.map((e) => e.recoverable)).toEqual([true, false]);
  });

  it('a connection dropped before the answer is retried', async () => {
    fake.scriptRest('drop');
    const stt = deepgram();
    const seen = observe(stt);
    expect((await stt.recognize([frame(100)])).text).toBe('hello from rest');
    expect(fake.requests).toHaveLength(2);
    expect(seen.errors).toHaveLength(1);
    expect(seen.errors[0]).toMatchObject({ recoverable: true });
  });

  it('a malformed answer (not JSON, or not a transcript) is retried, then fails unrecoverably', async () => {
    fake.scriptRest({ status: 200, raw: 'this is not json' }, { status: 200, body: { unexpected: true } }, { status: 200, body: { results: { channels: [] } } });
    const stt = deepgram();
    const seen = observe(stt);
    const error = (await stt.recognize([frame(100)]).catch((e: unknown) => e)) as ProviderError;
    expect(error).toMatchObject({ recoverable: false, message: 'deepgram: malformed response: no results.channels[0].alternatives[0].transcript (after 3 attempts)' });
    expect(seen.errors.map((e) => [e.recoverable, e.message])).toEqual([
      [true, 'deepgram: malformed response: not JSON ("this is not json")'],
      [true, 'deepgram: malformed response: no results.channels[0].alternatives[0].transcript'],
      [false, 'deepgram: malformed response: no results.channels[0].alternatives[0].transcript (after 3 attempts)'],
    ]);
  });

  it("the caller's abort stops at once, without a retry or an error event", async () => {
    fake.scriptRest('hang');
    const stt = deepgram();
    const seen = observe(stt);
    const controller = new AbortController();
    const outcome = stt.recognize([frame(100)], { signal: controller.signal }).catch((e: unknown) => e);
    await fake.untilRequests(1);
    const reason = new Error('user interrupted');
    controller.abort(reason);
    expect(await outcome).toBe(reason);
    expect(fake.requests).toHaveLength(1);
    expect(seen.errors).toEqual([]);
  });

  it('a request that fails leaves no timer running past its own bound (the SDK forgets its timeout on a failed fetch)', async () => {
    // A port nothing listens on: the request is refused at once.
    const closed = await FakeDeepgram.start();
    const url = closed.url;
    await closed.close();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const stt = new DeepgramSTT({ apiKey: 'test-key', baseUrl: url, conn: { maxRetry: 0, retryIntervalMs: 10, timeoutMs: 2_000 } });
    const error = await stt.recognize([frame(100)]).catch((e: unknown) => e);
    expect(error).toMatchObject({ recoverable: false });
    // A timer left behind holds a program open that has nothing left to do.
    await vi.advanceTimersByTimeAsync(3_000);
    expect(vi.getTimerCount()).toBe(0);
  });
});
