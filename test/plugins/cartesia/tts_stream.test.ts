/**
 * The Cartesia TTS through the real SDK against a fake server: streaming, one-shot, cancel. The
 * metrics' clock (performance.now) is faked where a test checks latencies: they show up only when
 * the test advances it while the server holds its answer.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ClosedError } from '../../../src/errors.js';
import { type Answer, silent, speak } from './fake_cartesia.js';
import { collect, markers, samples, useFakeCartesia } from './setup.js';

const h = useFakeCartesia();

afterEach(() => {
  vi.useRealTimers();
});

describe('CartesiaTTS stream', () => {
  it('sends sentences on one context per segment and yields their audio as 20 ms frames in order, final at each segment end', async () => {
    const { tts, metrics, errors } = h.tts({ language: 'en' });
    const stream = tts.stream();
    stream.pushText('Hello there. How');
    stream.pushText(' are you? I am');
    stream.pushText(' fine');
    stream.flush();
    stream.pushText('Second part.');
    stream.endInput();
    const { items, error } = await collect(stream);
    expect(error).toBeUndefined();

    const connection = h.fake.connections[0]!;
    expect(h.fake.connections).toHaveLength(1);
    expect(connection.headers.authorization).toBe('Bearer test-key');
    expect(connection.headers['cartesia-version']).toBe('2026-08-14');
    const sent = connection.requests.map((r) => [r.transcript, r.continue]);
    expect(sent).toEqual([
      ['Hello there. ', true],
      ['How are you? ', true],
      ['I am fine ', true],
      ['', false],
      ['Second part. ', true],
      ['', false],
    ]);
    const [first, second] = [connection.requests[0]!.context_id, connection.requests[4]!.context_id];
    expect(connection.requests.slice(0, 4).every((r) => r.context_id === first)).toBe(true);
    expect(connection.requests.slice(4).every((r) => r.context_id === second)).toBe(true);
    expect(first).not.toBe(second);
    for (const request of connection.requests) {
      expect(request).toMatchObject({
        model_id: 'sonic-3',
        voice: { mode: 'id', id: 'voice-1' },
        output_format: { container: 'raw', encoding: 'pcm_s16le', sample_rate: 24000 },
        language: 'en',
      });
    }

    // 3 sentences × 2000 samples, then 1 × 2000: whole 480-sample frames, a shorter last one.
    const segments = [...new Set(items.map((item) => item.segmentId))];
    expect(segments).toHaveLength(2);
    const bySegment = segments.map((id) => items.filter((item) => item.segmentId === id));
    expect(bySegment[0]!.map((item) => item.frame.samplesPerChannel)).toEqual([...new Array(12).fill(480), 240]);
    expect(bySegment[1]!.map((item) => item.frame.samplesPerChannel)).toEqual([480, 480, 480, 480, 80]);
    expect(items.map((item) => item.segmentId)).toEqual([...new Array(13).fill(segments[0]), ...new Array(5).fill(segments[1])]);
    expect(items.filter((item) => item.final)).toEqual([bySegment[0]!.at(-1), bySegment[1]!.at(-1)]);
    expect(items.every((item) => item.frame.sampleRate === 24000 && item.frame.channels === 1)).toBe(true);
    expect(samples(items)).toEqual(markers(2000, 1, 2, 3, 4));

    expect(errors).toEqual([]);
    expect(metrics.map((m) => [m.requestId, m.label, m.charactersCount, m.audioDurationMs, m.cancelled])).toEqual([
      [segments[0], 'cartesia/sonic-3', 'Hello there. How are you? I am fine'.length, 250, false],
      [segments[1], 'cartesia/sonic-3', 'Second part.'.length, 2000 / 24, false],
    ]);
  });

  it('metrics: ttfb from the first text of a segment to its first audio, duration to its end', async () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    vi.advanceTimersByTime(1_000); // a clock that does not start at 0
    h.fake.answer = silent;
    const { tts, metrics } = h.tts();
    const stream = tts.stream();
    stream.pushText('Hello there.');
    stream.endInput();
    const connection = await h.fake.connection(0);
    await h.fake.until(() => connection.requests.length === 2);
    const contextId = connection.requests[0]!.context_id!;
    vi.advanceTimersByTime(120);
    connection.sendAudio(contextId, 1);
    const audio = stream[Symbol.asyncIterator]();
    expect((await audio.next()).done).toBe(false);
    vi.advanceTimersByTime(30);
    connection.sendDone(contextId);
    const { error } = await collect({ [Symbol.asyncIterator]: () => audio });
    expect(error).toBeUndefined();
    expect(metrics).toEqual([expect.objectContaining({ ttfbMs: 120, durationMs: 150, audioDurationMs: 2000 / 24, cancelled: false })]);
  });

  it('keeps segment order when the server answers a later context first', async () => {
    // The first context's audio is held back until the second one is finished.
    const held: (() => void)[] = [];
    const answer: Answer = (request, connection) => {
      const id = request.context_id!;
      const first = connection.requests[0]!.context_id === id;
      if (first) held.push(() => speak(request, connection));
      else {
        speak(request, connection);
        if (request.continue === false) for (const release of held.splice(0)) release();
      }
    };
    h.fake.answer = answer;
    const { tts } = h.tts();
    const stream = tts.stream();
    stream.pushText('One. ');
    stream.flush();
    stream.pushText('Two. ');
    stream.endInput();
    const { items } = await collect(stream);
    // The fake numbered "Two." 1 (it answered it first) and "One." 2.
    expect(samples(items)).toEqual(markers(2000, 2, 1));
    expect(items.filter((item) => item.final)).toHaveLength(2);
    expect(items.findIndex((item) => item.final)).toBe(4);
  });

  it('frames at the sample rate asked for', async () => {
    const { tts } = h.tts({ sampleRate: 16000 });
    const { items } = await collect(tts.synthesize('Hi.'));
    expect(h.fake.connections[0]!.requests[0]!.output_format).toEqual({ container: 'raw', encoding: 'pcm_s16le', sample_rate: 16000 });
    expect(items.map((item) => item.frame.samplesPerChannel)).toEqual([320, 320, 320, 320, 320, 320, 80]);
    expect(items.every((item) => item.frame.sampleRate === 16000)).toBe(true);
  });

  it('synthesize() speaks one text at once, every sentence on one context', async () => {
    const { tts, metrics } = h.tts({ model: 'sonic-2' });
    const { items, error } = await collect(tts.synthesize('One sentence. And another one'));
    expect(error).toBeUndefined();
    const requests = h.fake.connections[0]!.requests;
    expect(requests.map((r) => [r.transcript, r.continue, r.model_id])).toEqual([
      ['One sentence. ', true, 'sonic-2'],
      ['And another one ', true, 'sonic-2'],
      ['', false, 'sonic-2'],
    ]);
    expect(new Set(requests.map((r) => r.context_id)).size).toBe(1);
    expect(samples(items)).toEqual(markers(2000, 1, 2));
    expect(items.map((item) => item.final)).toEqual([...new Array(8).fill(false), true]);
    expect(metrics).toHaveLength(1);
    expect(metrics[0]).toMatchObject({ label: 'cartesia/sonic-2', charactersCount: 29, audioDurationMs: 4000 / 24, cancelled: false });
  });

  it('ends at once with nothing to say, without connecting', async () => {
    const { tts } = h.tts();
    const stream = tts.stream();
    stream.pushText('   ');
    stream.endInput();
    expect((await collect(stream)).items).toEqual([]);
    expect(h.fake.upgrades).toBe(0);
    expect(() => stream.pushText('late')).toThrow(ClosedError);
  });

  it('close() cancels the context on the server and ends the iteration', async () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    vi.advanceTimersByTime(1_000); // a clock that does not start at 0
    h.fake.answer = silent;
    const { tts, metrics, errors } = h.tts();
    const stream = tts.stream();
    stream.pushText('A long answer that the user interrupts. ');
    stream.pushText('More of it.');
    const first = await h.fake.connection(0);
    await h.fake.until(() => first.requests.length === 1);
    vi.advanceTimersByTime(60);
    first.sendAudio(first.requests[0]!.context_id!, 1, 1);
    const heard: number[] = [];
    for await (const item of stream) {
      heard.push(item.frame.samplesPerChannel);
      vi.advanceTimersByTime(40);
      if (heard.length === 1) await stream.close();
    }
    const connection = h.fake.connections[0]!;
    await h.fake.until(() => connection.closeCode !== undefined);
    const contextId = connection.requests[0]!.context_id;
    expect(connection.requests.filter((r) => r.cancel)).toEqual([{ cancel: true, context_id: contextId }]);
    expect(connection.closeCode).toBe(1000);
    expect(heard).toEqual([480]);
    expect(errors).toEqual([]);
    expect(metrics).toHaveLength(1);
    expect(metrics[0]).toMatchObject({
      cancelled: true,
      charactersCount: 'A long answer that the user interrupts. More of it.'.length,
      ttfbMs: 60,
      durationMs: 100,
      audioDurationMs: 20,
    });
    expect(() => stream.pushText('more')).toThrow(ClosedError);
  });

  it('the caller aborting, or leaving the loop, cancels as close() does', async () => {
    h.fake.answer = (request, connection) => {
      if (request.transcript) connection.sendAudio(request.context_id!, ++connection.sentences, 1);
    };
    const { tts } = h.tts();
    const controller = new AbortController();
    const aborted = tts.stream({ signal: controller.signal });
    aborted.pushText('Hello there. ');
    aborted.pushText('Bye.');
    let count = 0;
    for await (const _ of aborted) if (++count === 1) controller.abort();
    const left = tts.stream();
    left.pushText('Hello again. ');
    left.pushText('Bye.');
    for await (const _ of left) break;
    await h.fake.until(() => h.fake.connections.length === 2 && h.fake.connections.every((c) => c.closeCode === 1000));
    for (const connection of h.fake.connections) {
      expect(connection.requests.filter((r) => r.cancel)).toEqual([{ cancel: true, context_id: connection.requests[0]!.context_id }]);
    }
  });

  it('close() while the handshake is under way stops it quietly', async () => {
    h.fake.handshakes.push('hang');
    const { tts, errors, metrics } = h.tts({ conn: { maxRetry: 3, retryIntervalMs: 0, timeoutMs: 5_000 } });
    const stream = tts.stream();
    stream.pushText('Hello. ');
    stream.pushText('And');
    const result = collect(stream);
    await h.fake.until(() => h.fake.upgrades === 1);
    await stream.close();
    expect(await result).toEqual({ items: [] });
    expect(errors).toEqual([]);
    expect(h.fake.upgrades).toBe(1);
    expect(metrics).toMatchObject([{ cancelled: true, ttfbMs: -1, audioDurationMs: 0, charactersCount: 10 }]);
  });
});
