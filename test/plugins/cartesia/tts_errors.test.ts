/**
 * Failures of the Cartesia TTS against the fake server: refused and silent handshakes, dropped
 * connections, malformed and error messages. Retry intervals and timeouts run on fake timers
 * (only setTimeout is faked: the sockets and TLS keep real I/O, and each wait is on an event).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ProviderError } from '../../../src/provider/provider_error.js';
import { type Answer, silent, speak } from './fake_cartesia.js';
import { collect, markers, samples, useFakeCartesia } from './setup.js';

const h = useFakeCartesia();

afterEach(() => {
  vi.useRealTimers();
});

const fakeTimers = () => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });

/** Answers the first connection's first text with `first`, later ones as Cartesia does. */
function firstConnection(first: Answer): void {
  h.fake.answer = (request, connection) => (connection === h.fake.connections[0] ? first : speak)(request, connection);
}

describe('CartesiaTTS failures', () => {
  it.each([500, 429])('HTTP %i on the handshake is retried retryIntervalMs apart, each retry reported', async (status) => {
    fakeTimers();
    h.fake.handshakes.push({ status }, { status });
    const { tts, errors, errorCount } = h.tts({ conn: { maxRetry: 3, retryIntervalMs: 1_000, timeoutMs: 5_000 } });
    const result = collect(tts.synthesize('Hello.'));
    await errorCount(1);
    expect(errors[0]).toMatchObject({ recoverable: true, status });
    expect(errors[0]!.message).toBe(`cartesia: HTTP ${status}: WebSocket handshake refused`);
    await vi.advanceTimersByTimeAsync(999);
    expect(h.fake.upgrades).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    await errorCount(2);
    expect(h.fake.upgrades).toBe(2);
    await vi.advanceTimersByTimeAsync(1_000);
    const { items, error } = await result;
    expect(error).toBeUndefined();
    expect(h.fake.upgrades).toBe(3);
    expect(samples(items)).toEqual(markers(2000, 1));
    expect(errors.map((e) => [e.recoverable, e.status])).toEqual([
      [true, status],
      [true, status],
    ]);
  });

  it.each([500, 429])('HTTP %i on every handshake ends in an unrecoverable error once the retries are used up', async (status) => {
    h.fake.handshakes.push({ status }, { status }, { status });
    const { tts, errors } = h.tts({ conn: { maxRetry: 2, retryIntervalMs: 0, timeoutMs: 5_000 } });
    const { items, error } = await collect(tts.synthesize('Hello.'));
    expect(items).toEqual([]);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ recoverable: false, status, provider: 'cartesia' });
    expect((error as Error).message).toBe(`cartesia: HTTP ${status}: WebSocket handshake refused (after 3 attempts)`);
    expect(h.fake.upgrades).toBe(3);
    expect(errors.map((e) => e.recoverable)).toEqual([true, true, false]);
    expect(errors.at(-1)).toBe(error);
  });

  it('HTTP 401 (a bad key) is not retried, and the key is in no message', async () => {
    const { tts, errors } = h.tts({ apiKey: 'sk-wrong-secret', conn: { maxRetry: 3, retryIntervalMs: 0 } });
    const { error } = await collect(tts.synthesize('Hello.'));
    expect(error).toMatchObject({ recoverable: false, status: 401, code: 'provider_failed' });
    expect((error as Error).message).toBe('cartesia: authentication failed (HTTP 401): WebSocket handshake refused');
    expect(h.fake.upgrades).toBe(1);
    expect(errors).toEqual([error]);
    expect(JSON.stringify(errors.map((e) => [e.message, String(e.cause), e.stack]))).not.toContain('sk-wrong-secret');
  });

  it('a handshake with no answer times out and is retried', async () => {
    fakeTimers();
    h.fake.handshakes.push('hang');
    const { tts, errors, errorCount } = h.tts({ conn: { maxRetry: 1, retryIntervalMs: 100, timeoutMs: 500 } });
    const result = collect(tts.synthesize('Hello.'));
    await h.fake.until(() => h.fake.upgrades === 1);
    await vi.advanceTimersByTimeAsync(499);
    expect(errors).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await errorCount(1);
    expect(errors[0]).toMatchObject({ recoverable: true, message: 'cartesia: no answer within 500 ms' });
    await vi.advanceTimersByTimeAsync(100);
    const { items, error } = await result;
    expect(error).toBeUndefined();
    expect(h.fake.upgrades).toBe(2);
    expect(samples(items)).toEqual(markers(2000, 1));
  });

  it('a server that accepts but never answers times out: the context is cancelled and the text replayed on a new connection', async () => {
    fakeTimers();
    firstConnection(silent);
    const { tts, errors, errorCount } = h.tts({ conn: { maxRetry: 1, retryIntervalMs: 100, timeoutMs: 500 } });
    const result = collect(tts.synthesize('Hello. Still there?'));
    const first = await h.fake.connection(0);
    await h.fake.until(() => first.requests.length === 3);
    await vi.advanceTimersByTimeAsync(500);
    await errorCount(1);
    expect(errors[0]!.message).toBe('cartesia: no answer within 500 ms');
    await h.fake.until(() => first.closeCode !== undefined);
    expect(first.requests.at(-1)).toEqual({ cancel: true, context_id: first.requests[0]!.context_id });
    await vi.advanceTimersByTimeAsync(100);
    const { items, error } = await result;
    expect(error).toBeUndefined();
    const second = h.fake.connections[1]!;
    expect(second.requests.map((r) => [r.transcript, r.continue])).toEqual(first.requests.slice(0, 3).map((r) => [r.transcript, r.continue]));
    expect(samples(items)).toEqual(markers(2000, 1, 2));
  });

  describe('a server that goes quiet before done: timeoutMs bounds the silence once the text has ended', () => {
    /** The server answers the text with one chunk of audio and then says nothing: no more audio, no done. */
    const oneChunkThenSilence: Answer = (request, connection) => {
      if (request.transcript) connection.sendAudio(request.context_id!, 1, 1);
    };

    it('after audio began: a typed unrecoverable error timeoutMs after the last frame, not replayed', async () => {
      fakeTimers();
      h.fake.answer = oneChunkThenSilence;
      const { tts, errors } = h.tts({ conn: { maxRetry: 3, retryIntervalMs: 0, timeoutMs: 3_000 } });
      const audio = tts.synthesize('Hello.')[Symbol.asyncIterator]();
      expect((await audio.next()).done).toBe(false);
      const rest = collect({ [Symbol.asyncIterator]: () => audio });
      await vi.advanceTimersByTimeAsync(2_999);
      expect(errors).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      const { error } = await rest;
      expect(error).toBeInstanceOf(ProviderError);
      expect(error).toMatchObject({ recoverable: false, message: 'cartesia: no answer within 3000 ms, after audio began (not replayed)' });
      expect(errors).toEqual([error]);
      expect(h.fake.upgrades).toBe(1);
      await h.fake.until(() => h.fake.connections[0]!.closeCode !== undefined);
    });

    it('audio that keeps coming is not silence: a synthesis longer than timeoutMs in all ends well', async () => {
      fakeTimers();
      h.fake.answer = silent;
      const { tts, errors } = h.tts({ conn: { maxRetry: 0, retryIntervalMs: 0, timeoutMs: 3_000 } });
      const result = collect(tts.synthesize('Hello.'));
      const connection = await h.fake.connection(0);
      await h.fake.until(() => connection.requests.length === 2);
      const contextId = connection.requests[0]!.context_id!;
      for (let i = 0; i < 4; i++) {
        connection.sendAudio(contextId, 1, 1);
        await vi.advanceTimersByTimeAsync(2_500);
      }
      connection.sendDone(contextId);
      const { items, error } = await result;
      expect(error).toBeUndefined();
      expect(errors).toEqual([]);
      expect(samples(items)).toEqual(markers(4000, 1));
    });

    it('while the text goes on (no end sent), the server owes nothing and its silence is no failure', async () => {
      fakeTimers();
      h.fake.answer = (request, connection) => {
        if (request.transcript) connection.sendAudio(request.context_id!, 1, 1);
        if (request.continue === false) connection.sendDone(request.context_id!);
      };
      const { tts, errors } = h.tts({ conn: { maxRetry: 0, retryIntervalMs: 0, timeoutMs: 3_000 } });
      const stream = tts.stream();
      stream.pushText('Hello. And then');
      const audio = stream[Symbol.asyncIterator]();
      const first = await audio.next();
      expect(first.done).toBe(false);
      // The LLM takes its time to say more.
      await vi.advanceTimersByTimeAsync(10_000);
      expect(errors).toEqual([]);
      stream.pushText(' more.');
      stream.endInput();
      const { items, error } = await collect({ [Symbol.asyncIterator]: () => audio });
      expect(error).toBeUndefined();
      expect(samples([first.value!, ...items])).toEqual(markers(2000, 1));
    });
  });

  it('a connection dropped before any audio is retried, replaying the text', async () => {
    firstConnection((request, connection) => {
      if (request.transcript) connection.drop();
    });
    const { tts, errors } = h.tts({ conn: { maxRetry: 1, retryIntervalMs: 0 } });
    const stream = tts.stream();
    stream.pushText('First sentence. Second');
    stream.pushText(' sentence.');
    stream.endInput();
    const { items, error } = await collect(stream);
    expect(error).toBeUndefined();
    expect(errors.map((e) => [e.recoverable, e.message])).toEqual([[true, 'cartesia: connection lost: the socket closed (code 1006)']]);
    expect(h.fake.connections).toHaveLength(2);
    expect(h.fake.connections[1]!.requests.map((r) => r.transcript)).toEqual(['First sentence. ', 'Second sentence. ', '']);
    expect(samples(items)).toEqual(markers(2000, 1, 2));
  });

  it('a connection dropped after audio began fails the stream without replaying anything', async () => {
    h.fake.answer = (request, connection) => {
      if (request.transcript === 'One. ') connection.sendAudio(request.context_id!, 1, 1);
    };
    const { tts, errors } = h.tts({ conn: { maxRetry: 3, retryIntervalMs: 0 } });
    const stream = tts.stream();
    stream.pushText('One. Two. Three.');
    let heard = 0;
    let failure: unknown;
    try {
      for await (const _ of stream) {
        heard += 1;
        h.fake.connections[0]!.drop();
      }
    } catch (error) {
      failure = error;
    }
    expect(heard).toBe(1);
    expect(failure).toBeInstanceOf(ProviderError);
    expect(failure).toMatchObject({ recoverable: false });
    expect((failure as Error).message).toBe('cartesia: connection lost: the socket closed (code 1006), after audio began (not replayed)');
    expect(errors).toEqual([failure]);
    expect(h.fake.upgrades).toBe(1);
  });

  it('a frame that is not JSON is retried, then fails unrecoverably', async () => {
    h.fake.answer = (request, connection) => {
      if (request.transcript) connection.sendRaw('{"type": "chunk", "data": ');
    };
    const { tts, errors } = h.tts({ conn: { maxRetry: 1, retryIntervalMs: 0 } });
    const { items, error } = await collect(tts.synthesize('Hello.'));
    expect(items).toEqual([]);
    expect(error).toMatchObject({ recoverable: false, message: 'cartesia: malformed message from the server: not JSON (after 2 attempts)' });
    expect(errors.map((e) => e.recoverable)).toEqual([true, false]);
    expect(h.fake.upgrades).toBe(2);
  });

  it.each([
    ['has characters outside base64', '@@not base64@@'],
    ['is cut short', 'QUJDRA='],
  ])('an audio chunk whose data %s is malformed', async (_, data) => {
    h.fake.answer = (request, connection) => {
      if (request.transcript) connection.send({ type: 'chunk', context_id: request.context_id, data, done: false });
    };
    const { tts } = h.tts();
    const { error } = await collect(tts.synthesize('Hello.'));
    expect(error).toMatchObject({ recoverable: false, message: 'cartesia: malformed message from the server: audio chunk is not base64 (after 1 attempts)' });
  });

  // The SDK decodes a chunk's data itself (Buffer.from) inside its socket handler: a number or no
  // data at all throws there, out of any promise, unless the connection catches it.
  it.each([
    ['is a number', 42],
    ['is missing', undefined],
  ])('an audio chunk whose data %s ends the synthesis with a typed error, retried on a new connection', async (_, data) => {
    firstConnection((request, connection) => {
      if (request.transcript) connection.send({ type: 'chunk', context_id: request.context_id, data, done: false });
    });
    const { tts, errors } = h.tts({ conn: { maxRetry: 1, retryIntervalMs: 0 } });
    const { items, error } = await collect(tts.synthesize('Hello.'));
    expect(error).toBeUndefined();
    expect(errors.map((e) => [e.recoverable, e.code, e.message])).toEqual([
      [true, 'provider_recoverable', expect.stringMatching(/^cartesia: malformed message from the server: the SDK could not read a frame \(.+\)$/)],
    ]);
    expect(h.fake.upgrades).toBe(2);
    expect(samples(items)).toEqual(markers(2000, 1));
  });

  it('an audio chunk of half a sample is malformed', async () => {
    h.fake.answer = (request, connection) => {
      if (request.transcript) connection.send({ type: 'chunk', context_id: request.context_id, data: Buffer.from([1, 2, 3]).toString('base64') });
    };
    const { tts } = h.tts();
    const { error } = await collect(tts.synthesize('Hello.'));
    expect((error as Error).message).toBe('cartesia: malformed message from the server: audio chunk of 3 bytes is not whole 16-bit samples (after 1 attempts)');
  });

  it('a malformed frame after audio began fails the stream, not replayed', async () => {
    h.fake.answer = (request, connection) => {
      if (!request.transcript) return;
      connection.sendAudio(request.context_id!, 1, 1);
      connection.send({ type: 'chunk', context_id: request.context_id, data: '!!!!' });
    };
    const { tts, errors } = h.tts({ conn: { maxRetry: 3, retryIntervalMs: 0 } });
    const { items, error } = await collect(tts.synthesize('Hello.'));
    expect(items.length).toBeGreaterThan(0);
    expect(error).toMatchObject({ recoverable: false, message: 'cartesia: malformed message from the server: audio chunk is not base64, after audio began (not replayed)' });
    expect(errors).toEqual([error]);
    expect(h.fake.upgrades).toBe(1);
  });

  it('an error message from the server with a client status is not retried', async () => {
    h.fake.answer = (request, connection) => {
      if (request.transcript) {
        connection.send({ type: 'error', context_id: request.context_id, status_code: 400, title: 'Invalid voice', message: 'voice voice-1 does not exist', done: true });
      }
    };
    const { tts, errors } = h.tts({ conn: { maxRetry: 3, retryIntervalMs: 0 } });
    const { error } = await collect(tts.synthesize('Hello.'));
    expect(error).toMatchObject({ recoverable: false, status: 400 });
    expect((error as Error).message).toBe('cartesia: HTTP 400: server error (Invalid voice: voice voice-1 does not exist)');
    expect(errors).toEqual([error]);
    expect(h.fake.upgrades).toBe(1);
  });

  it('an error message from the server with a 5xx status is retried; one without a context too', async () => {
    firstConnection((request, connection) => {
      if (request.transcript) connection.send({ type: 'error', status_code: 503, title: 'Overloaded', message: 'try again' });
    });
    const { tts, errors } = h.tts({ conn: { maxRetry: 1, retryIntervalMs: 0 } });
    const { items, error } = await collect(tts.synthesize('Hello.'));
    expect(error).toBeUndefined();
    expect(errors.map((e) => [e.recoverable, e.status, e.message])).toEqual([[true, 503, 'cartesia: HTTP 503: server error (Overloaded: try again)']]);
    expect(samples(items)).toEqual(markers(2000, 1));
  });

  it('a certificate the client does not trust is not retried', async () => {
    const { tts, errors } = h.tts({ websocket: {}, conn: { maxRetry: 3, retryIntervalMs: 0 } });
    const { error } = await collect(tts.synthesize('Hello.'));
    expect(error).toMatchObject({ recoverable: false });
    expect((error as Error).message).toMatch(/^cartesia: TLS: /);
    expect(errors).toHaveLength(1);
  });

  it('without an API key the TTS cannot be made', async () => {
    vi.stubEnv('CARTESIA_API_KEY', '');
    try {
      expect(() => h.tts({ apiKey: undefined })).toThrow(ProviderError);
      expect(() => h.tts({ apiKey: undefined })).toThrow('cartesia: no API key: pass apiKey or set CARTESIA_API_KEY');
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
