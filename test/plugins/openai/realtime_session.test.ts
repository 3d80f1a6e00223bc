/**
 * openai.realtime.RealtimeModel's sessions through the real openai SDK client against the fake
 * Realtime API (TLS on 127.0.0.1): what goes on the wire, what the session's streams and events
 * give, and its faults (a server error, a dropped connection, a refused key).
 */
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { audioFrame, type AudioFrame } from '../../../src/audio/audio_frame.js';
import type { GenerationCreatedEvent, RealtimeModelMetrics } from '../../../src/llm/realtime.js';
import * as openai from '../../../src/plugins/openai/index.js';
import type { RealtimeModelOptions } from '../../../src/plugins/openai/realtime/realtime_model.js';
import type { RealtimeSession } from '../../../src/plugins/openai/realtime/index.js';
import { ProviderError } from '../../../src/provider/provider_error.js';
import { ChatContext } from '../../../src/llm/chat_context.js';
import { speak } from './fake_realtime_server.js';
import { useFakeRealtime } from './use_fake_realtime.js';

const sessions: RealtimeSession[] = [];
const api = useFakeRealtime(() => Promise.all(sessions.splice(0).map((session) => session.close())));

function open(options: RealtimeModelOptions = {}, instructions = 'You are terse.') {
  const model = new openai.realtime.RealtimeModel({
    apiKey: api.fake.apiKey,
    baseURL: api.fake.baseURL,
    websocket: { ca: api.tls.cert },
    connOptions: { maxRetry: 1, retryIntervalMs: 1, timeoutMs: 10_000 },
    ...options,
  });
  const session = model.session({ instructions });
  sessions.push(session);
  const errors: ProviderError[] = [];
  const metrics: RealtimeModelMetrics[] = [];
  const seen: string[] = [];
  session.on('error', (error) => errors.push(error));
  session.on('metrics_collected', (m) => metrics.push(m));
  session.on('input_speech_started', () => seen.push('speech_started'));
  session.on('input_speech_stopped', () => seen.push('speech_stopped'));
  session.on('input_audio_transcription_completed', (event) => seen.push(`transcript: ${event.transcript}`));
  session.on('reconnected', () => seen.push('reconnected'));
  return { model, session, errors, metrics, seen };
}

/** Everything a generation gives: each message's text and audio, and the function calls. */
async function collect(generation: GenerationCreatedEvent) {
  const messages: Array<{ id: string; text: string; audio: AudioFrame[] }> = [];
  for await (const message of generation.messageStream) {
    let text = '';
    const audio: AudioFrame[] = [];
    await Promise.all([
      (async () => {
        for await (const delta of message.textStream) text += delta;
      })(),
      (async () => {
        for await (const frame of message.audioStream) audio.push(frame);
      })(),
    ]);
    messages.push({ id: message.messageId, text, audio });
  }
  const calls = [];
  for await (const call of generation.functionStream) calls.push(call);
  return { messages, calls };
}

/** Resolves when `emitter` emits `event` (the session's typed events). */
function next(session: RealtimeSession, event: 'reconnected' | 'input_speech_stopped'): Promise<void> {
  return new Promise((resolve) => session.once(event, () => resolve()));
}

/** The audio of each `input_audio_buffer.append` a connection received, decoded. */
function appended(connection: { received: Array<{ type: string; audio?: unknown }> }): Buffer[] {
  return connection.received.filter((event) => event.type === 'input_audio_buffer.append').map((event) => Buffer.from(String(event.audio), 'base64'));
}

describe('connecting', () => {
  it('configures the server session on connecting: instructions, voice, turn detection, transcription, modalities', async () => {
    const { session, errors } = open({ voice: 'cedar', temperature: 0.7, turnDetection: { type: 'semantic_vad', eagerness: 'low' } });
    await session.ready;
    expect(session.state).toBe('ready');
    const connection = api.fake.connections.at(-1)!;
    expect(connection.query.get('model')).toBe('gpt-realtime');
    const update = await api.fake.received(connection, 'session.update');
    expect(update.session).toEqual({
      type: 'realtime',
      instructions: 'You are terse.',
      output_modalities: ['audio'],
      audio: {
        input: { format: { type: 'audio/pcm', rate: 24000 }, turn_detection: { type: 'semantic_vad', eagerness: 'low' }, transcription: { model: 'gpt-4o-mini-transcribe' } },
        output: { format: { type: 'audio/pcm', rate: 24000 }, voice: 'cedar' },
      },
      temperature: 0.7,
    });
    session.updateInstructions('Now be chatty.');
    expect((await api.fake.received(connection, 'session.update', 1)).session).toEqual({ type: 'realtime', instructions: 'Now be chatty.' });
    expect(errors).toEqual([]);
  });

  it('says what the model can do from its options', () => {
    expect(open().model.capabilities).toEqual({ messageTruncation: true, turnDetection: true, userTranscription: true, audioOutput: true, interruptsItself: true });
    expect(open({ turnDetection: null, inputAudioTranscription: null, modalities: ['text'] }).model.capabilities).toEqual({
      messageTruncation: true,
      turnDetection: false,
      userTranscription: false,
      audioOutput: false,
      interruptsItself: false,
    });
    expect(open({ turnDetection: { type: 'server_vad', interrupt_response: false } }).model.capabilities.interruptsItself).toBe(false);
  });

  it('refuses options it cannot honour, and a missing key, before connecting', () => {
    expect(() => new openai.realtime.RealtimeModel({ apiKey: 'k', modalities: ['audio', 'text'] as never })).toThrow(/modalities must be \['audio'\] or \['text'\]/);
    const saved = process.env.OPENAI_API_KEY;
    delete process.env.OPENAI_API_KEY;
    try {
      expect(() => new openai.realtime.RealtimeModel()).toThrow(/no API key/);
    } finally {
      if (saved !== undefined) process.env.OPENAI_API_KEY = saved;
    }
  });

  it('fails at once with a typed error when the key is refused (no retry), and the session is failed', async () => {
    const upgrades = api.fake.upgrades;
    const { session, errors } = open({ apiKey: 'sk-wrong-key-0001', connOptions: { maxRetry: 3, retryIntervalMs: 1, timeoutMs: 10_000 } });
    await expect(session.ready).rejects.toThrow(ProviderError);
    await expect(session.ready).rejects.toThrow(/could not connect \(1 attempt\): the server refused the connection: HTTP 401/);
    expect(session.state).toBe('failed');
    expect(api.fake.upgrades).toBe(upgrades + 1);
    expect(errors.map((error) => error.recoverable)).toEqual([false]);
    // The key never shows in what is reported.
    expect(errors.map((error) => error.message).join('\n')).not.toContain('sk-wrong-key-0001');
  });
});

describe('the conversation', () => {
  it('updateChatCtx puts messages, calls and outputs into the model\'s conversation, in order', async () => {
    const { session } = open();
    await session.ready;
    const connection = api.fake.connections.at(-1)!;
    const chatCtx = new ChatContext();
    chatCtx.addMessage({ role: 'system', content: 'not sent: instructions are the session\'s' });
    chatCtx.addMessage({ role: 'user', content: 'weather in Oslo?' });
    chatCtx.addFunctionCall({ callId: 'call_9', name: 'getWeather', arguments: '{"city":"Oslo"}' });
    chatCtx.addFunctionCallOutput({ callId: 'call_9', name: 'getWeather', output: 'sunny', isError: false });
    chatCtx.addMessage({ role: 'assistant', content: 'Sunny.' });
    session.updateChatCtx(chatCtx);
    await api.fake.received(connection, 'conversation.item.create', 3);
    expect(connection.received.filter((event) => event.type === 'conversation.item.create').map((event) => event.item)).toEqual([
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'weather in Oslo?' }] },
      { type: 'function_call', call_id: 'call_9', name: 'getWeather', arguments: '{"city":"Oslo"}' },
      { type: 'function_call_output', call_id: 'call_9', output: 'sunny' },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Sunny.' }] },
    ]);
  });
});

describe('audio in', () => {
  it('sends the user\'s audio at 24 kHz mono in 100 ms messages (as agents-js), whatever it comes at', async () => {
    const { session } = open();
    await session.ready;
    const connection = api.fake.connections.at(-1)!;
    // 10 ms frames: 24 kHz mono as is (100 ms: one message), then 48 kHz stereo mixed down and resampled.
    for (let i = 0; i < 10; i++) session.pushAudio(audioFrame(new Int16Array(240).fill(100), 24_000));
    await api.fake.until(() => connection.pendingAudioBytes === 4_800);
    expect(appended(connection).map((message) => message.length)).toEqual([4_800]);
    for (let i = 0; i < 50; i++) session.pushAudio(audioFrame(new Int16Array(960).fill(100), 48_000, 2));
    session.commitAudio();
    await api.fake.received(connection, 'input_audio_buffer.commit');
    const sizes = appended(connection).slice(1).map((message) => message.length);
    // 500 ms at 24 kHz, less what the resampler still holds (its filter's delay): four full messages
    // and the rest, sent before the commit.
    expect(sizes.slice(0, 4)).toEqual([4_800, 4_800, 4_800, 4_800]);
    expect(sizes).toHaveLength(5);
    const bytes = sizes.reduce((sum, size) => sum + size, 0);
    expect(bytes).toBeLessThanOrEqual(24_000);
    expect(bytes).toBeGreaterThan(24_000 - 2 * 256);
  });

  it('clearAudio() drops the audio that waited for its 100 ms', async () => {
    const { session } = open();
    await session.ready;
    const connection = api.fake.connections.at(-1)!;
    for (let i = 0; i < 5; i++) session.pushAudio(audioFrame(new Int16Array(240).fill(1), 24_000));
    session.clearAudio();
    for (let i = 0; i < 10; i++) session.pushAudio(audioFrame(new Int16Array(240).fill(2), 24_000));
    await api.fake.until(() => appended(connection).length === 1);
    const [message] = appended(connection);
    expect([message!.length, message!.readInt16LE(0), message!.readInt16LE(4_798)]).toEqual([4_800, 2, 2]);
    expect(connection.received.map((event) => event.type).filter((type) => type.startsWith('input_audio_buffer'))).toEqual([
      'input_audio_buffer.clear',
      'input_audio_buffer.append',
    ]);
  });
});

describe('responses', () => {
  it('generateReply streams the message\'s transcript and 24 kHz audio, then reports the response\'s usage', async () => {
    const { session, metrics } = open();
    await session.ready;
    api.fake.connections.at(-1)!.respond = speak('Hi there.', 3, 2400);
    const generation = await session.generateReply('greet the user');
    expect(generation.userInitiated).toBe(true);
    const { messages, calls } = await collect(generation);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.text).toBe('Hi there.');
    expect(messages[0]!.audio.map((frame) => [frame.sampleRate, frame.channels, frame.samplesPerChannel])).toEqual([
      [24_000, 1, 2400],
      [24_000, 1, 2400],
      [24_000, 1, 2400],
    ]);
    expect(messages[0]!.audio[0]!.data[0]).toBe(1000);
    expect(calls).toEqual([]);
    expect((await api.fake.received(api.fake.connections.at(-1)!, 'response.create')).response).toEqual({ instructions: 'greet the user' });
    await expect.poll(() => metrics.length).toBe(1);
    expect(metrics[0]).toMatchObject({
      type: 'realtime_model_metrics',
      label: 'openai/gpt-realtime',
      cancelled: false,
      inputTokens: 20,
      outputTokens: 10,
      inputTokenDetails: { audioTokens: 15, textTokens: 5, cachedTokens: 8 },
      outputTokenDetails: { audioTokens: 6, textTokens: 4 },
    });
    expect(metrics[0]!.ttftMs).toBeGreaterThanOrEqual(0);
  });

  it('a response the server starts by itself (its turn detection) is a generation too, with the user\'s transcript before it', async () => {
    const { session, seen } = open();
    await session.ready;
    const connection = api.fake.connections.at(-1)!;
    const created = new Promise<GenerationCreatedEvent>((resolve) => session.once('generation_created', resolve));
    connection.send({ type: 'input_audio_buffer.speech_started', audio_start_ms: 0, item_id: 'item_u1' });
    const stopped = next(session, 'input_speech_stopped');
    connection.send({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: 900, item_id: 'item_u1' });
    await stopped;
    connection.send({ type: 'conversation.item.input_audio_transcription.completed', item_id: 'item_u1', content_index: 0, transcript: 'what time is it' });
    speak('It is noon.')(connection, { type: 'response.create' });
    const generation = await created;
    expect(generation.userInitiated).toBe(false);
    expect((await collect(generation)).messages.map((m) => m.text)).toEqual(['It is noon.']);
    expect(seen).toEqual(['speech_started', 'speech_stopped', 'transcript: what time is it']);
  });

  it('interrupt cancels the response in progress (its streams end) and truncate cuts the message on the server', async () => {
    const { session, metrics } = open();
    await session.ready;
    const connection = api.fake.connections.at(-1)!;
    connection.respond = (c) => {
      const response = c.openResponse();
      c.send({ type: 'response.output_item.added', response_id: response, output_index: 0, item: { id: 'item_a1', type: 'message', role: 'assistant', content: [] } });
      c.send({ type: 'response.output_audio.delta', response_id: response, item_id: 'item_a1', output_index: 0, content_index: 0, delta: Buffer.alloc(4800).toString('base64') });
    };
    const generation = await session.generateReply();
    const heard = collect(generation);
    session.interrupt();
    await api.fake.received(connection, 'response.cancel');
    expect((await heard).messages.map((m) => m.audio.length)).toEqual([1]);
    session.truncate({ messageId: 'item_a1', audioEndMs: 99.6 });
    expect(await api.fake.received(connection, 'conversation.item.truncate')).toMatchObject({ item_id: 'item_a1', content_index: 0, audio_end_ms: 100 });
    await expect.poll(() => metrics.length).toBe(1);
    expect(metrics[0]!.cancelled).toBe(true);
  });
});

describe('faults', () => {
  it('reports a server error event as a typed error and goes on', async () => {
    const { session, errors } = open();
    await session.ready;
    const connection = api.fake.connections.at(-1)!;
    connection.send({ type: 'error', error: { type: 'invalid_request_error', code: 'invalid_value', message: 'bad voice', param: 'voice' } });
    connection.send({ type: 'error', error: { type: 'server_error', message: 'overloaded' } });
    await expect.poll(() => errors.length).toBe(2);
    expect(errors.map((error) => [error.recoverable, error.message])).toEqual([
      [false, 'openai: the server reported invalid_request_error: bad voice'],
      [true, 'openai: the server reported server_error: overloaded'],
    ]);
    expect((await collect(await session.generateReply())).messages.map((m) => m.text)).toEqual(['Hello.']);
  });

  it('a dropped connection fails the response in progress, reconnects, and sends the session again', async () => {
    const { session, errors, seen } = open();
    await session.ready;
    const first = api.fake.connections.at(-1)!;
    first.respond = (c) => void c.openResponse();
    const generation = await session.generateReply();
    const messages = (async () => {
      for await (const _ of generation.messageStream);
    })();
    session.updateInstructions('Remember this.');
    await api.fake.received(first, 'session.update', 1);
    const count = api.fake.connections.length;
    const reconnected = next(session, 'reconnected');
    first.drop();
    await expect(messages).rejects.toThrow(/the connection dropped/);
    await reconnected;
    expect(api.fake.connections.length).toBe(count + 1);
    const second = api.fake.connections.at(-1)!;
    expect((await api.fake.received(second, 'session.update')).session).toMatchObject({ instructions: 'Remember this.' });
    expect(seen).toEqual(['reconnected']);
    expect(errors.map((error) => error.recoverable)).toEqual([true]);
    expect((await collect(await session.generateReply())).messages.map((m) => m.text)).toEqual(['Hello.']);
  });

  it('audio held for the dropped connection or pushed while it is down never reaches the new one: it hears only what came after', async () => {
    const { session } = open();
    await session.ready;
    const first = api.fake.connections.at(-1)!;
    const tenMs = (value: number) => audioFrame(new Int16Array(240).fill(value), 24_000);
    for (let i = 0; i < 5; i++) session.pushAudio(tenMs(1)); // held: 50 ms
    const reconnected = next(session, 'reconnected');
    first.drop();
    await api.fake.until(() => first.closeCode !== undefined);
    for (let i = 0; i < 3; i++) session.pushAudio(tenMs(3)); // nowhere to go (80 ms would be held)
    await reconnected;
    const second = api.fake.connections.at(-1)!;
    for (let i = 0; i < 10; i++) session.pushAudio(tenMs(4));
    await api.fake.until(() => second.pendingAudioBytes === 4_800);
    expect(appended(second).map((message) => [message.length, message.readInt16LE(0), message.readInt16LE(4_798)])).toEqual([[4_800, 4, 4]]);
    expect(first.received.some((event) => event.type === 'input_audio_buffer.append')).toBe(false);
  });

  it('a malformed frame or an event of no known kind is reported, typed, and the session goes on', async () => {
    const { session, errors } = open();
    await session.ready;
    const connection = api.fake.connections.at(-1)!;
    connection.sendRaw('{not json');
    connection.send({ type: 'response.something_new', detail: 1 });
    await expect.poll(() => errors.length).toBe(1);
    expect(errors[0]).toMatchObject({ recoverable: true });
    expect(errors[0]!.message).toMatch(/could not parse websocket event/);
    expect((await collect(await session.generateReply())).messages.map((m) => m.text)).toEqual(['Hello.']);
    expect(errors).toHaveLength(1);
  });

  it('tries again when the server refuses for a while (HTTP 503), then connects', async () => {
    api.fake.handshakes.push({ status: 503 }, { status: 503 });
    const upgrades = api.fake.upgrades;
    const { session, errors } = open({ connOptions: { maxRetry: 2, retryIntervalMs: 1, timeoutMs: 10_000 } });
    await session.ready;
    expect(api.fake.upgrades).toBe(upgrades + 3);
    expect(errors.map((error) => [error.recoverable, error.message])).toEqual([
      [true, expect.stringMatching(/trying again \(attempt 2\).*503/)],
      [true, expect.stringMatching(/trying again \(attempt 3\).*503/)],
    ]);
  });

  it('gives up after maxRetry attempts that fail', async () => {
    api.fake.handshakes.push({ status: 503 }, { status: 503 });
    const { session, errors } = open({ connOptions: { maxRetry: 1, retryIntervalMs: 1, timeoutMs: 10_000 } });
    await expect(session.ready).rejects.toThrow(/could not connect \(2 attempts\)/);
    expect(errors.map((error) => error.recoverable)).toEqual([true, false]);
  });

  it('a response the server stops sending is bounded by timeoutMs (on the model\'s clock): it fails, typed, and is cancelled', async () => {
    const clock = new SimulatedClock();
    const { session, errors } = open({ clock, connOptions: { maxRetry: 0, retryIntervalMs: 1, timeoutMs: 5_000 } });
    await session.ready;
    const connection = api.fake.connections.at(-1)!;
    connection.respond = (c) => {
      const response = c.openResponse();
      c.send({ type: 'response.output_item.added', response_id: response, output_index: 0, item: { id: 'item_s1', type: 'message', role: 'assistant', content: [] } });
    };
    const generation = await session.generateReply();
    const heard = collect(generation);
    await api.fake.received(connection, 'response.create');
    clock.increment(4_999);
    expect(errors).toEqual([]);
    clock.increment(1);
    await expect(heard).rejects.toThrow(/the response stalled: nothing from the server within 5000 ms/);
    await api.fake.received(connection, 'response.cancel');
    expect(errors.map((error) => error.recoverable)).toEqual([true]);
  });

  it('after close, the connection is shut and nothing more is sent', async () => {
    const { session } = open();
    await session.ready;
    const connection = api.fake.connections.at(-1)!;
    await session.close();
    await api.fake.until(() => connection.closeCode !== undefined);
    expect(session.state).toBe('closed');
    session.pushAudio(audioFrame(new Int16Array(240), 24_000));
    await expect(session.generateReply()).rejects.toThrow(/the realtime session is closed/);
  });
});
