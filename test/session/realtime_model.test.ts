/**
 * An AgentSession whose llm is a realtime model (openai.realtime.RealtimeModel through the real
 * openai SDK client, against the fake Realtime API on 127.0.0.1): the user's audio goes to the
 * model; the model's turn detection, transcripts and spoken answers become the session's events,
 * history and audio; an interruption stops the answer and cuts it where the user stopped hearing it.
 */
import { describe, expect, it } from 'vitest';
import { SimulatedClock, setup } from 'xstate';
import { audioFrame, frameDurationMs, type AudioFrame } from '../../src/audio/audio_frame.js';
import type { AudioOutput } from '../../src/audio/audio_output.js';
import { Agent, AgentSession, LocalRoom, addInspector, defineFlow, functionTool, type Flow } from '../../src/index.js';
import type { InspectionEvent } from 'xstate';
import { z } from 'zod';
import * as openai from '../../src/plugins/openai/index.js';
import { EventChannel } from '../../src/streams/event_channel.js';
import { deferred, type Deferred } from '../support/deferred.js';
import { speak, write, type ResponsePlan } from '../plugins/openai/fake_realtime_server.js';
import { FakeTTS } from '../../src/testing/index.js';
import { HearingVAD } from '../support/hearing_models.js';
import { useFakeRealtime } from '../plugins/openai/use_fake_realtime.js';

const sessions: AgentSession[] = [];
const api = useFakeRealtime(() => Promise.all(sessions.splice(0).map((session) => session.aclose())));

/** An audio output that plays each frame at once, or, once limited, only so many: the rest wait (dropped by clearBuffer). */
class HeldAudioOutput implements AudioOutput {
  readonly frames: AudioFrame[] = [];
  playedMs = 0;
  #allowed = Number.POSITIVE_INFINITY;
  #waiting: Array<Deferred<boolean>> = [];
  #played: Array<() => void> = [];

  /** Resolves once `count` frames have played. */
  playedFrames(count: number): Promise<void> {
    return new Promise((resolve) => {
      const wait = () => {
        if (this.frames.length >= count) resolve();
        else this.#played.push(wait);
      };
      wait();
    });
  }

  /** From now on, `frames` more frames play; the ones after wait. */
  limit(frames: number): void {
    this.#allowed = frames;
  }

  async captureFrame(frame: AudioFrame): Promise<void> {
    if (this.#allowed <= 0) {
      const gate = deferred<boolean>();
      this.#waiting.push(gate);
      if (!(await gate.promise)) return;
    }
    this.#allowed -= 1;
    this.frames.push(frame);
    this.playedMs += frameDurationMs(frame);
    for (const wake of this.#played.splice(0)) wake();
  }

  async flush(): Promise<void> {}

  clearBuffer(): void {
    for (const gate of this.#waiting.splice(0)) gate.resolve(false);
  }

  /** Holds the playout where it is: frames wait. */
  pause(): void {
    this.#allowed = 0;
  }

  /** Goes on: the waiting frames play. */
  resume(): void {
    this.#allowed = Number.POSITIVE_INFINITY;
    for (const gate of this.#waiting.splice(0)) gate.resolve(true);
  }
}

function model(apiKey = api.fake.apiKey) {
  return new openai.realtime.RealtimeModel({ apiKey, baseURL: api.fake.baseURL, websocket: { ca: api.tls.cert }, connOptions: { maxRetry: 0, retryIntervalMs: 1, timeoutMs: 10_000 } });
}

async function started(options: { apiKey?: string; agent?: Agent; flow?: Flow } = {}) {
  const out = new HeldAudioOutput();
  const session = new AgentSession({ llm: model(options.apiKey), audioOutput: out, userAwayTimeout: null });
  sessions.push(session);
  const seen: string[] = [];
  session.on('agent_state_changed', (e) => seen.push(`agent: ${e.oldState} → ${e.newState}`));
  session.on('user_state_changed', (e) => seen.push(`user: ${e.oldState} → ${e.newState}`));
  session.on('user_input_transcribed', (e) => seen.push(`transcribed: ${e.transcript}`));
  session.on('conversation_item_added', (e) => seen.push(`item: ${e.item.type === 'message' ? `${e.item.role} ${e.item.content}` : e.item.type}`));
  session.on('speech_created', (e) => seen.push(`speech: ${e.source}${e.userInitiated ? ' (user initiated)' : ''}`));
  await session.start(options.flow ? { flow: options.flow } : { agent: options.agent ?? new Agent({ instructions: 'Be brief.' }) });
  const connection = api.fake.connections.at(-1)!;
  return { session, out, seen, connection };
}

/** Resolves once the agent is in `state`. */
function agentState(session: AgentSession, state: AgentSession['agentState']): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (session.agentState !== state) return;
      session.off('agent_state_changed', check);
      resolve();
    };
    session.on('agent_state_changed', check);
    check();
  });
}

/** A response with message `itemId`: its transcript, then `frames` audio deltas of 100 ms; it ends only when `ends`. */
function answering(itemId: string, transcript: string, frames: number, ends: boolean): ResponsePlan {
  return (c) => {
    const response = c.openResponse();
    const at = { response_id: response, item_id: itemId, output_index: 0, content_index: 0 };
    c.send({ type: 'response.output_item.added', response_id: response, output_index: 0, item: { id: itemId, type: 'message', role: 'assistant', content: [] } });
    c.send({ type: 'response.output_audio_transcript.delta', ...at, delta: transcript });
    for (let i = 0; i < frames; i++) c.send({ type: 'response.output_audio.delta', ...at, delta: Buffer.alloc(4800).toString('base64') });
    if (!ends) return;
    c.send({ type: 'response.output_audio.done', ...at });
    c.send({ type: 'response.output_audio_transcript.done', ...at, transcript });
    c.closeResponse('completed');
  };
}

/** Resolves once the session's history has `count` items. */
function historyLength(session: AgentSession, count: number): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (session.history.items.length < count) return;
      session.off('conversation_item_added', check);
      resolve();
    };
    session.on('conversation_item_added', check);
    check();
  });
}

it('a spoken turn: the model hears the user, transcribes them, answers with audio; the session shows it all', async () => {
  const { session, out, seen, connection } = await started();
  expect((await api.fake.received(connection, 'session.update')).session).toMatchObject({ instructions: 'Be brief.' });
  const microphone = new EventChannel<AudioFrame>();
  const listening = session.listen(microphone);
  // 120 ms: the model takes 100 ms messages.
  for (let i = 0; i < 12; i++) microphone.push(audioFrame(new Int16Array(480), 48_000));
  await api.fake.until(() => connection.pendingAudioBytes >= 4_800);

  connection.send({ type: 'input_audio_buffer.speech_started', audio_start_ms: 0, item_id: 'item_u1' });
  connection.send({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: 30, item_id: 'item_u1' });
  connection.send({ type: 'conversation.item.input_audio_transcription.completed', item_id: 'item_u1', content_index: 0, transcript: 'hello there' });
  speak('Hi! How can I help?', 2, 1200)(connection, { type: 'response.create' });
  await historyLength(session, 2);

  expect(session.history.items.map((item) => (item.type === 'message' ? [item.role, item.content, item.interrupted] : item.type))).toEqual([
    ['user', 'hello there', false],
    ['assistant', 'Hi! How can I help?', false],
  ]);
  expect(out.frames.map((frame) => [frame.sampleRate, frame.samplesPerChannel])).toEqual([
    [24_000, 1200],
    [24_000, 1200],
  ]);
  await agentState(session, 'listening');
  expect(seen).toEqual([
    'agent: initializing → listening',
    'user: listening → speaking',
    'user: speaking → listening',
    'item: user hello there',
    'transcribed: hello there',
    'speech: generate_reply',
    'agent: listening → thinking',
    'agent: thinking → speaking',
    'item: assistant Hi! How can I help?',
    'agent: speaking → listening',
  ]);
  microphone.end();
  await listening;
});

it('in a room: the user\'s published audio goes to the model, and the model\'s voice reaches the user on the agent\'s track', async () => {
  const room = new LocalRoom({ name: 'realtime-room' });
  const user = room.join({ identity: 'caller' });
  const microphone = new EventChannel<AudioFrame>();
  user.publishAudio(microphone);
  const heard: AudioFrame[] = [];
  let heardTwo!: () => void;
  const twoHeard = new Promise<void>((resolve) => (heardTwo = resolve));
  user.onAudio((frame) => {
    heard.push(frame);
    if (heard.length === 2) heardTwo();
  });
  const session = new AgentSession({ llm: model(), userAwayTimeout: null });
  sessions.push(session);
  await session.start({ agent: new Agent({ instructions: 'Be brief.' }), room });
  const connection = api.fake.connections.at(-1)!;
  // 120 ms: the model takes 100 ms messages.
  for (let i = 0; i < 6; i++) microphone.push(audioFrame(new Int16Array(320), 16_000));
  await api.fake.until(() => connection.pendingAudioBytes > 0);
  speak('Hi!', 2, 1200)(connection, { type: 'response.create' });
  await historyLength(session, 1);
  await twoHeard;
  expect(heard.map((frame) => [frame.sampleRate, frame.samplesPerChannel])).toEqual([
    [24_000, 1200],
    [24_000, 1200],
  ]);
  microphone.end();
  await session.aclose();
  await room.disconnect();
});

it('generateReply asks the model (with its instructions) and plays its answer as a speech', async () => {
  const { session, out, connection } = await started();
  const speech = session.generateReply({ instructions: 'greet the user' });
  await speech.waitForPlayout();
  expect((await api.fake.received(connection, 'response.create')).response).toEqual({ instructions: 'greet the user' });
  expect(session.history.items.at(-1)).toMatchObject({ role: 'assistant', content: 'Hello.' });
  expect(out.frames).toHaveLength(2);
  // Its tokens, audio ones apart, count in the session's usage.
  await new Promise<void>((resolve) => (session.usage.modelUsage.length > 0 ? resolve() : session.once('session_usage_updated', () => resolve())));
  expect(session.usage.modelUsage).toEqual([
    { type: 'llm_usage', provider: 'openai', model: 'gpt-realtime', inputTokens: 20, inputCachedTokens: 8, outputTokens: 10, inputAudioTokens: 15, inputTextTokens: 5, outputAudioTokens: 6, outputTextTokens: 4 },
  ]);
});

it('a server error the model cannot go on after closes the session with it; one it can is only logged', async () => {
  const { session, connection } = await started();
  const errors: string[] = [];
  session.on('error', (e) => errors.push(e.error.message));
  connection.send({ type: 'error', error: { type: 'server_error', message: 'busy, try again' } });
  await session.generateReply().waitForPlayout();
  expect([session.state, errors]).toEqual(['running', []]);
  connection.send({ type: 'error', error: { type: 'invalid_request_error', message: 'the session is broken' } });
  const closed = await session.closed();
  expect(closed).toMatchObject({ reason: 'error' });
  expect(errors).toEqual(['openai: the server reported invalid_request_error: the session is broken']);
});

it('the user speaking over the answer interrupts it: playout stops, the model is cancelled and its message cut where it was heard', async () => {
  const { session, out, connection } = await started();
  connection.respond = answering('item_a1', 'one two three four', 4, false);
  // The first frame (100 ms) plays; the others wait for the output.
  out.limit(1);
  const speech = session.generateReply();
  await agentState(session, 'speaking');
  connection.send({ type: 'input_audio_buffer.speech_started', audio_start_ms: 900, item_id: 'item_u2' });
  await speech.waitForPlayout();
  expect(speech.interrupted).toBe(true);
  await api.fake.received(connection, 'response.cancel');
  const truncate = await api.fake.received(connection, 'conversation.item.truncate');
  expect(truncate).toMatchObject({ item_id: 'item_a1', content_index: 0 });
  expect(truncate.audio_end_ms).toBe(out.playedMs);
  const answer = session.history.items.at(-1)!;
  expect(answer).toMatchObject({ role: 'assistant', interrupted: true });
  expect((answer as { content: string }).content.length).toBeLessThan('one two three four'.length);
});

describe('when the model lets the session decide (interrupt_response: false)', () => {
  async function holding() {
    const out = new HeldAudioOutput();
    const clock = new SimulatedClock();
    const lenient = new openai.realtime.RealtimeModel({
      apiKey: api.fake.apiKey,
      baseURL: api.fake.baseURL,
      websocket: { ca: api.tls.cert },
      turnDetection: { type: 'server_vad', interrupt_response: false },
      connOptions: { maxRetry: 0, retryIntervalMs: 1, timeoutMs: 10_000 },
    });
    const session = new AgentSession({ llm: lenient, audioOutput: out, clock, userAwayTimeout: null });
    sessions.push(session);
    const seen: string[] = [];
    session.on('agent_false_interruption', () => seen.push('false interruption'));
    await session.start({ agent: new Agent({ instructions: 'Be brief.' }) });
    const connection = api.fake.connections.at(-1)!;
    connection.respond = answering('item_h1', 'one two three four', 4, true);
    out.limit(1);
    const speech = session.generateReply();
    await agentState(session, 'speaking');
    connection.send({ type: 'input_audio_buffer.speech_started', audio_start_ms: 900, item_id: 'item_u3' });
    await agentState(session, 'listening');
    return { session, out, clock, seen, connection, speech };
  }

  it('no words while the answer is held: a false interruption, the answer goes on and is heard whole', async () => {
    const { session, out, clock, seen, speech } = await holding();
    expect(out.frames).toHaveLength(1);
    clock.increment(2_000);
    await speech.waitForPlayout();
    expect(seen).toEqual(['false interruption']);
    expect(speech.interrupted).toBe(false);
    expect(out.frames).toHaveLength(4);
    expect(session.history.items.at(-1)).toMatchObject({ role: 'assistant', content: 'one two three four', interrupted: false });
  });

  it('words while the answer is held: an interruption, cut where it was heard', async () => {
    const { session, out, connection, speech } = await holding();
    connection.send({ type: 'conversation.item.input_audio_transcription.completed', item_id: 'item_u3', content_index: 0, transcript: 'wait, stop' });
    await speech.waitForPlayout();
    expect(speech.interrupted).toBe(true);
    expect((await api.fake.received(connection, 'conversation.item.truncate')).audio_end_ms).toBe(out.playedMs);
    expect(session.history.items.map((item) => (item.type === 'message' ? `${item.role}: ${item.content}` : item.type))).toEqual(['assistant: one', 'user: wait, stop']);
  });
});

it('a typed turn goes into the model\'s conversation and is answered', async () => {
  const { session, connection } = await started();
  const created = new Promise<void>((resolve) => session.once('speech_created', () => resolve()));
  await session.input.text('what time is it?');
  await created;
  await historyLength(session, 2);
  expect(await api.fake.received(connection, 'conversation.item.create')).toMatchObject({
    item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'what time is it?' }] },
  });
  await api.fake.received(connection, 'response.create');
  expect(session.history.items.map((item) => (item.type === 'message' ? [item.role, item.content] : item.type))).toEqual([
    ['user', 'what time is it?'],
    ['assistant', 'Hello.'],
  ]);
});

it('the model calls a tool: the agent\'s tool runs, its output goes back into the model\'s conversation, and the model answers with it', async () => {
  const lookups: string[] = [];
  const agent = new Agent({
    instructions: 'Be brief.',
    tools: {
      getWeather: functionTool({
        description: 'The weather in a city',
        parameters: z.object({ city: z.string().describe('city name') }),
        execute: async ({ city }) => {
          lookups.push(city);
          return `sunny in ${city}`;
        },
      }),
    },
  });
  const { session, connection, seen } = await started({ agent });
  expect((await api.fake.received(connection, 'session.update')).session).toMatchObject({
    tools: [{ type: 'function', name: 'getWeather', description: 'The weather in a city', parameters: { type: 'object', properties: { city: { type: 'string', description: 'city name' } } } }],
    tool_choice: 'auto',
  });
  connection.respond = (c) => {
    const response = c.openResponse();
    const call = { id: 'item_f1', type: 'function_call', status: 'completed', call_id: 'call_1', name: 'getWeather', arguments: '{"city":"Oslo"}' };
    c.send({ type: 'response.output_item.added', response_id: response, output_index: 0, item: { ...call, status: 'in_progress', arguments: '' } });
    c.send({ type: 'response.output_item.done', response_id: response, output_index: 0, item: call });
    c.closeResponse('completed', [call]);
    c.respond = speak('It is sunny in Oslo.');
  };
  session.generateReply();
  await historyLength(session, 3);
  expect(lookups).toEqual(['Oslo']);
  expect(await api.fake.received(connection, 'conversation.item.create')).toMatchObject({ item: { type: 'function_call_output', call_id: 'call_1', output: 'sunny in Oslo' } });
  await api.fake.received(connection, 'response.create', 1);
  // The output is in the model's conversation before it is asked to answer with it.
  const order = connection.received.map((event) => event.type);
  expect(order.indexOf('conversation.item.create')).toBeLessThan(order.lastIndexOf('response.create'));
  expect(session.history.items.map((item) => (item.type === 'message' ? [item.role, item.content] : [item.type]))).toEqual([
    ['function_call'],
    ['function_call_output'],
    ['assistant', 'It is sunny in Oslo.'],
  ]);
  expect(seen.filter((line) => line.startsWith('speech:'))).toEqual(['speech: generate_reply (user initiated)', 'speech: tool_response']);
});

it('the inspector sees a realtime turn with a tool as it sees a pipeline turn: the speech goes generating → speaking → runningTools → settled', async () => {
  // Each speech actor's states, in the order it took them.
  const speeches = new Map<string, string[]>();
  const stop = addInspector((event: InspectionEvent) => {
    if (event.type !== '@xstate.snapshot' || (event.actorRef as { logic?: { id?: string } }).logic?.id !== 'speech') return;
    const values = speeches.get(event.actorRef.sessionId) ?? [];
    speeches.set(event.actorRef.sessionId, values);
    const value = JSON.stringify((event.snapshot as unknown as { value: unknown }).value);
    if (values.at(-1) !== value) values.push(value);
  });
  try {
    const agent = new Agent({ instructions: 'x', tools: { ping: functionTool({ description: 'Pings', execute: async () => 'pong' }) } });
    const { session, connection } = await started({ agent });
    connection.respond = (c) => {
      const response = c.openResponse();
      c.send({ type: 'response.output_item.added', response_id: response, output_index: 0, item: { id: 'item_p1', type: 'message', role: 'assistant', content: [] } });
      c.send({ type: 'response.output_audio_transcript.delta', response_id: response, item_id: 'item_p1', output_index: 0, content_index: 0, delta: 'Let me check.' });
      c.send({ type: 'response.output_audio.delta', response_id: response, item_id: 'item_p1', output_index: 0, content_index: 0, delta: Buffer.alloc(4800).toString('base64') });
      const call = { id: 'item_f3', type: 'function_call', status: 'completed', call_id: 'call_3', name: 'ping', arguments: '{}' };
      c.send({ type: 'response.output_item.done', response_id: response, output_index: 1, item: call });
      c.closeResponse('completed', [call]);
      c.respond = speak('Pong.');
    };
    const handles: Array<{ waitForPlayout(): Promise<void> }> = [];
    session.on('speech_created', (e) => handles.push(e.speechHandle));
    session.generateReply();
    await historyLength(session, 4);
    await Promise.all(handles.map((handle) => handle.waitForPlayout()));
    const [reply, followUp] = [...speeches.values()];
    expect(reply).toEqual(['"scheduled"', '{"playing":"generating"}', '{"playing":"speaking"}', '{"playing":"runningTools"}', '{"playing":"settled"}', '"done"']);
    expect(followUp).toEqual(['"scheduled"', '{"playing":"generating"}', '{"playing":"speaking"}', '{"playing":"settled"}', '"done"']);
  } finally {
    stop();
  }
});

it('a handoff gives the model the new agent\'s instructions and tools, on the same connection', async () => {
  const billing = new Agent({
    instructions: 'You handle billing.',
    tools: { refund: functionTool({ description: 'Refunds an invoice', parameters: z.object({ invoice: z.string() }), execute: async () => 'refunded' }) },
  });
  const agent = new Agent({
    instructions: 'Be brief.',
    tools: { transfer: functionTool({ description: 'Transfers to billing', execute: async () => billing }) },
  });
  const { session, connection } = await started({ agent });
  connection.respond = (c) => {
    const response = c.openResponse();
    const call = { id: 'item_f2', type: 'function_call', status: 'completed', call_id: 'call_2', name: 'transfer', arguments: '{}' };
    c.send({ type: 'response.output_item.done', response_id: response, output_index: 0, item: call });
    c.closeResponse('completed', [call]);
  };
  const connections = api.fake.connections.length;
  session.generateReply();
  await new Promise<void>((resolve) => session.on('conversation_item_added', (e) => e.item.type === 'agent_handoff' && resolve()));
  const updates = () => connection.received.filter((event) => event.type === 'session.update').map((event) => event.session as Record<string, unknown>);
  await api.fake.until(() => updates().some((update) => update.instructions === 'You handle billing.') && updates().some((update) => JSON.stringify(update.tools ?? '').includes('refund')));
  expect(updates().at(-1)).toMatchObject({ tools: [{ type: 'function', name: 'refund', description: 'Refunds an invoice' }] });
  expect(session.currentAgent).toBe(billing);
  expect(api.fake.connections.length).toBe(connections);
});

it('a flow: the model gets the transitions it may take as tools; calling one moves the flow and hands over on the same connection', async () => {
  const machine = setup({}).createMachine({
    id: 'desk',
    initial: 'front',
    states: {
      front: { meta: { agent: 'front' }, on: { to_billing: { target: 'billing', meta: { description: 'The caller has a billing question' } } } },
      billing: { meta: { agent: 'billing' }, on: { resolved: { target: 'done', meta: { description: 'The question is answered' } } } },
      done: { type: 'final', meta: { agent: 'billing' } },
    },
  });
  const flow = defineFlow({ machine, agents: { front: new Agent({ instructions: 'Be brief.' }), billing: new Agent({ instructions: 'You handle billing.' }) } });
  const { session, connection } = await started({ flow });
  const updates = () => connection.received.filter((event) => event.type === 'session.update').map((event) => event.session as Record<string, unknown>);
  await api.fake.until(() => updates().some((update) => JSON.stringify(update.tools ?? '').includes('to_billing')));
  expect(updates().at(-1)).toMatchObject({ tools: [{ type: 'function', name: 'to_billing', description: 'The caller has a billing question' }] });
  connection.respond = (c) => {
    const response = c.openResponse();
    const call = { id: 'item_f3', type: 'function_call', status: 'completed', call_id: 'call_3', name: 'to_billing', arguments: '{}' };
    c.send({ type: 'response.output_item.done', response_id: response, output_index: 0, item: call });
    c.closeResponse('completed', [call]);
  };
  session.generateReply();
  await api.fake.until(() => updates().some((update) => update.instructions === 'You handle billing.') && updates().some((update) => JSON.stringify(update.tools ?? '').includes('resolved')));
  expect(session.flow!.actor.getSnapshot().value).toBe('billing');
  expect(updates().at(-1)).toMatchObject({ tools: [{ type: 'function', name: 'resolved' }] });
  expect(session.history.items.filter((item) => item.type === 'agent_handoff')).toHaveLength(1);
});

it('text mode: the model answers in text and the session\'s TTS speaks it', async () => {
  const out = new HeldAudioOutput();
  const tts = new FakeTTS();
  const textModel = new openai.realtime.RealtimeModel({ apiKey: api.fake.apiKey, baseURL: api.fake.baseURL, websocket: { ca: api.tls.cert }, modalities: ['text'], connOptions: { maxRetry: 0, retryIntervalMs: 1, timeoutMs: 10_000 } });
  const session = new AgentSession({ llm: textModel, tts, audioOutput: out, userAwayTimeout: null });
  sessions.push(session);
  await session.start({ agent: new Agent({ instructions: 'Be brief.' }) });
  const connection = api.fake.connections.at(-1)!;
  expect((await api.fake.received(connection, 'session.update')).session).toMatchObject({ output_modalities: ['text'] });
  connection.respond = write('Spoken by the TTS.');
  await session.generateReply().waitForPlayout();
  expect(tts.synthesized).toEqual(['Spoken by the TTS.']);
  expect(out.frames.length).toBeGreaterThan(0);
  expect(out.frames.every((frame) => frame.sampleRate === tts.sampleRate)).toBe(true);
  expect(session.history.items.at(-1)).toMatchObject({ role: 'assistant', content: 'Spoken by the TTS.' });
  // And say() works, with a TTS.
  await session.say('Said by the TTS.').waitForPlayout();
  expect(tts.synthesized.at(-1)).toBe('Said by the TTS.');
});

it('a connection that drops mid-answer: what was heard stays in the history, the error is reported, and the session goes on after reconnecting', async () => {
  const out = new HeldAudioOutput();
  const reconnecting = new openai.realtime.RealtimeModel({ apiKey: api.fake.apiKey, baseURL: api.fake.baseURL, websocket: { ca: api.tls.cert }, connOptions: { maxRetry: 2, retryIntervalMs: 1, timeoutMs: 10_000 } });
  const session = new AgentSession({ llm: reconnecting, audioOutput: out, userAwayTimeout: null });
  sessions.push(session);
  const errors: string[] = [];
  session.on('error', (e) => errors.push(`${e.source}: ${e.error.message}`));
  await session.start({ agent: new Agent({ instructions: 'Be brief.' }) });
  const first = api.fake.connections.at(-1)!;
  first.respond = answering('item_a9', 'Well, let me', 1, false);
  const count = api.fake.connections.length;
  const speech = session.generateReply();
  await out.playedFrames(1);
  first.drop();
  await speech.waitForPlayout();
  expect(session.history.items.at(-1)).toMatchObject({ role: 'assistant', content: 'Well, let me' });
  expect(errors.join('\n')).toMatch(/the connection dropped/);
  await api.fake.until(() => api.fake.connections.length > count);
  await api.fake.received(api.fake.connections.at(-1)!, 'session.update');
  // The new server session gets the conversation so far: what was heard of the cut answer.
  expect(await api.fake.received(api.fake.connections.at(-1)!, 'conversation.item.create')).toMatchObject({
    item: { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Well, let me' }] },
  });
  expect(session.state).toBe('running');
  await session.generateReply().waitForPlayout();
  expect(session.history.items.at(-1)).toMatchObject({ role: 'assistant', content: 'Hello.' });
});

it('without the model\'s turn detection, the session\'s VAD takes the turns: the audio is committed and a response asked for at the end of speech', async () => {
  const out = new HeldAudioOutput();
  const vad = new HearingVAD();
  const clientTurns = new openai.realtime.RealtimeModel({ apiKey: api.fake.apiKey, baseURL: api.fake.baseURL, websocket: { ca: api.tls.cert }, turnDetection: null, connOptions: { maxRetry: 0, retryIntervalMs: 1, timeoutMs: 10_000 } });
  const session = new AgentSession({ llm: clientTurns, vad, audioOutput: out, userAwayTimeout: null });
  sessions.push(session);
  const users: string[] = [];
  session.on('user_state_changed', (e) => users.push(e.newState));
  await session.start({ agent: new Agent({ instructions: 'Be brief.' }) });
  const connection = api.fake.connections.at(-1)!;
  expect((await api.fake.received(connection, 'session.update')).session).toMatchObject({ audio: { input: { turn_detection: null } } });
  const microphone = new EventChannel<AudioFrame>();
  const listening = session.listen(microphone);
  for (let i = 0; i < 10; i++) microphone.push(audioFrame(new Int16Array(240), 24_000)); // one 100 ms message
  vad.hear('start_of_speech');
  await api.fake.until(() => connection.pendingAudioBytes > 0);
  vad.hear('end_of_speech');
  await api.fake.received(connection, 'input_audio_buffer.commit');
  await api.fake.received(connection, 'response.create');
  await historyLength(session, 1);
  expect(session.history.items.at(-1)).toMatchObject({ role: 'assistant', content: 'Hello.' });
  expect(users).toEqual(['speaking', 'listening']);
  microphone.end();
  await listening;
});

it('say() needs a TTS with a realtime model, and says so', async () => {
  const { session } = await started();
  expect(() => session.say('hi')).toThrow(/say\(\) with a realtime model needs a TTS/);
});

it('a model that cannot connect fails the start with its typed error, and the session closes', async () => {
  const session = new AgentSession({ llm: model('sk-wrong-key-0002'), userAwayTimeout: null });
  sessions.push(session);
  const errors: string[] = [];
  session.on('error', (e) => errors.push(e.error.message));
  await expect(session.start({ agent: new Agent({ instructions: 'x' }) })).rejects.toThrow(/refused the connection: HTTP 401/);
  await session.closed();
  expect(session.state).toBe('closed');
  expect(errors.join('\n')).not.toContain('sk-wrong-key-0002');
});
