/**
 * The fake Realtime API against the `openai` SDK's own WebSocket client: what the fake answers is
 * what the SDK parses and what a realtime model in voxstate will receive (issue 17).
 */
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import type { RealtimeServerEvent } from 'openai/resources/realtime/realtime';
import { expect, it } from 'vitest';
import { speak } from './fake_realtime_server.js';
import { useFakeRealtime } from './use_fake_realtime.js';

const clients: OpenAIRealtimeWS[] = [];
const api = useFakeRealtime(() => {
  for (const client of clients.splice(0)) client.close();
});

/** An SDK client on the fake, with every server event it parsed. */
function connect(apiKey = api.fake.apiKey) {
  const client = new OpenAIRealtimeWS({ model: 'gpt-realtime', options: { ca: api.tls.cert } }, new OpenAI({ apiKey, baseURL: api.fake.baseURL }));
  clients.push(client);
  const events: RealtimeServerEvent[] = [];
  const errors: Error[] = [];
  client.on('event', (event) => events.push(event));
  client.on('error', (error) => errors.push(error));
  const next = async (type: RealtimeServerEvent['type'], after = 0) => {
    const ofType = () => events.filter((event) => event.type === type);
    while (ofType().length <= after) await new Promise((resolve) => client.once('event', resolve));
    return ofType()[after]!;
  };
  return { client, events, errors, next };
}

it('opens a session the SDK reads, takes session.update and answers a response with audio and its transcript', async () => {
  const { client, events, next } = connect();
  expect(await next('session.created')).toMatchObject({ session: { type: 'realtime', model: 'gpt-realtime' } });
  const connection = await api.fake.connection(api.fake.connections.length - 1);
  expect(connection.headers.authorization).toBe(`Bearer ${api.fake.apiKey}`);

  client.send({ type: 'session.update', session: { type: 'realtime', instructions: 'be brief', audio: { output: { voice: 'marin' } } } });
  expect(await next('session.updated')).toMatchObject({ session: { instructions: 'be brief', audio: { output: { voice: 'marin' } } } });

  client.send({ type: 'input_audio_buffer.append', audio: Buffer.alloc(960).toString('base64') });
  client.send({ type: 'input_audio_buffer.commit' });
  await next('input_audio_buffer.committed');
  connection.respond = speak('Hi there.', 3, 2400);
  client.send({ type: 'response.create' });
  const done = await next('response.done');
  expect(done).toMatchObject({ response: { status: 'completed', usage: { output_token_details: { audio_tokens: 6 } } } });
  const audio = events.filter((event) => event.type === 'response.output_audio.delta');
  expect(audio.map((event) => Buffer.from(event.delta, 'base64').length)).toEqual([4800, 4800, 4800]);
  expect(events.find((event) => event.type === 'response.output_audio_transcript.done')).toMatchObject({ transcript: 'Hi there.' });
  expect(connection.received.map((event) => event.type)).toEqual(['session.update', 'input_audio_buffer.append', 'input_audio_buffer.commit', 'response.create']);
});

it('refuses a wrong key at the handshake: the SDK reports an error and no session opens', async () => {
  const upgrades = api.fake.upgrades;
  const { errors, client } = connect('sk-wrong');
  await new Promise((resolve) => client.socket.once('close', resolve));
  expect(api.fake.upgrades).toBe(upgrades + 1);
  expect(errors.map((error) => error.message).join('\n')).toMatch(/401/);
});

it('cancels an open response: response.done says cancelled', async () => {
  const { client, next } = connect();
  await next('session.created');
  const connection = await api.fake.connection(api.fake.connections.length - 1);
  connection.respond = (c) => void c.openResponse();
  client.send({ type: 'response.create' });
  await next('response.created');
  client.send({ type: 'response.cancel' });
  expect(await next('response.done')).toMatchObject({ response: { status: 'cancelled' } });
  expect(connection.responseOpen).toBe(false);
});
