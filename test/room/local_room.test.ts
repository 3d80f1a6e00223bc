/**
 * The LocalRoom as a LiveKit frontend meets it: the agent's text streams (chunks in order as they
 * are written, stream ids, topics, attributes, whom they are attributed to, one handler a topic),
 * the agent's attributes (the whole set at each write, what changed reported), and its audio track.
 */
import { describe, expect, it } from 'vitest';
import { Agent, AgentSession, ClosedError, LocalRoom } from '../../src/index.js';
import type { TextStreamReader } from '../../src/room/local_room.js';
import { FrontendClient } from '../frontend/frontend_client.js';

async function connected() {
  const room = new LocalRoom({ agentIdentity: 'agent' });
  const member = room.join({ identity: 'user' });
  await room.connect();
  return { room, member, agent: room.localParticipant! };
}

/** The streams a member's handler gets on `topic`, and each one's chunks as they arrive. */
function handle(member: ReturnType<LocalRoom['join']>, topic: string) {
  const streams: Array<{ reader: TextStreamReader; from: string; chunks: string[]; ended: Promise<void> }> = [];
  member.registerTextStreamHandler(topic, (reader, { identity }) => {
    const chunks: string[] = [];
    const ended = (async () => {
      for await (const chunk of reader) chunks.push(chunk);
    })();
    streams.push({ reader, from: identity, chunks, ended });
  });
  return streams;
}

describe('LocalRoom text streams', () => {
  it('a stream reaches the handler of its topic when it opens; its chunks arrive in order as they are written; close ends it', async () => {
    const { member, agent } = await connected();
    const streams = handle(member, 'lk.transcription');
    const writer = await agent.streamText({ topic: 'lk.transcription', attributes: { 'lk.segment_id': 'SG_1' } });
    expect(streams).toHaveLength(1);
    const [stream] = streams;
    expect(stream!.from).toBe('agent');
    expect(stream!.reader.info).toEqual({ streamId: writer.info.streamId, topic: 'lk.transcription', timestamp: expect.any(Number), attributes: { 'lk.segment_id': 'SG_1' } });
    await writer.write('Hello');
    await Promise.resolve();
    expect(stream!.chunks).toEqual(['Hello']);
    await writer.write(' there');
    await writer.close();
    await stream!.ended;
    expect(stream!.chunks).toEqual(['Hello', ' there']);
    await expect(writer.write('more')).rejects.toBeInstanceOf(ClosedError);
  });

  it('each stream has its own id; sendText is one stream, whole; senderIdentity attributes a stream to someone else', async () => {
    const { member, agent } = await connected();
    const streams = handle(member, 'greeting');
    const first = await agent.sendText('one', { topic: 'greeting' });
    const second = await agent.sendText('two', { topic: 'greeting', attributes: { n: '2' } });
    const third = await agent.streamText({ topic: 'greeting', senderIdentity: 'user' });
    await third.write('three');
    await third.close();
    await Promise.all(streams.map((stream) => stream.ended));
    expect(new Set([first.streamId, second.streamId, third.info.streamId]).size).toBe(3);
    expect(streams.map((stream) => [stream.reader.info.streamId, stream.from, stream.chunks.join('')])).toEqual([
      [first.streamId, 'agent', 'one'],
      [second.streamId, 'agent', 'two'],
      [third.info.streamId, 'user', 'three'],
    ]);
    expect(second.attributes).toEqual({ n: '2' });
    // readAll, as livekit-client's reader has it.
    const reads: Array<Promise<string>> = [];
    member.unregisterTextStreamHandler('greeting');
    member.registerTextStreamHandler('greeting', (reader) => reads.push(reader.readAll()));
    await agent.sendText('all of it', { topic: 'greeting' });
    expect(await reads[0]).toBe('all of it');
  });

  it('one handler a topic, as livekit-client: a second is an Error', async () => {
    const { member } = await connected();
    member.registerTextStreamHandler('t', () => {});
    expect(() => member.registerTextStreamHandler('t', () => {})).toThrow(/already set/);
  });

  it('received: each message whole once its stream ended, data too; an interim transcription is not one (the final of its segment is)', async () => {
    const { member, agent } = await connected();
    const writer = await agent.streamText({ topic: 'lk.transcription', attributes: { 'lk.transcription_final': 'false' } });
    await writer.write('Hel');
    await writer.write('lo');
    expect(member.received).toEqual([]);
    await writer.close();
    expect(member.received).toEqual([]);
    await agent.sendText('Hello', { topic: 'lk.transcription', attributes: { 'lk.transcription_final': 'true' } });
    await agent.publishData(new TextEncoder().encode('hi'), { topic: 'bytes' });
    expect(member.received).toEqual([
      { text: 'Hello', topic: 'lk.transcription', from: 'agent', attributes: { 'lk.transcription_final': 'true' } },
      { text: Buffer.from('hi').toString('base64'), topic: 'bytes', from: 'agent', attributes: { encoding: 'base64' } },
    ]);
  });

  it('the room going away ends open streams with ClosedError for their readers; a disconnected room opens none', async () => {
    const { room, member, agent } = await connected();
    const streams = handle(member, 't');
    const writer = await agent.streamText({ topic: 't' });
    await writer.write('partial');
    room.close();
    await expect(streams[0]!.ended).rejects.toBeInstanceOf(ClosedError);
    expect(streams[0]!.chunks).toEqual(['partial']);
    await expect(writer.write('more')).rejects.toBeInstanceOf(ClosedError);
    await expect(agent.streamText({ topic: 't' })).rejects.toBeInstanceOf(ClosedError);
    await expect(agent.sendText('x')).rejects.toBeInstanceOf(ClosedError);
  });
});

describe("the agent's attributes", () => {
  it('a write sets the keys given and keeps the others ("" removes one); members see the whole set, and what changed', async () => {
    const { member, agent } = await connected();
    const changes: Array<Record<string, string>> = [];
    member.onAttributesChanged((changed, participant) => {
      expect(participant.identity).toBe('agent');
      changes.push({ ...changed });
    });
    const seen = () => member.remoteParticipants.get('agent')!.attributes;
    await agent.setAttributes({ 'lk.agent.state': 'listening' });
    await agent.setAttributes({ mood: 'happy' });
    expect(seen()).toEqual({ 'lk.agent.state': 'listening', mood: 'happy' });
    await agent.setAttributes({ mood: 'happy' });
    await agent.setAttributes({ mood: '', 'lk.agent.state': 'thinking' });
    expect(seen()).toEqual({ 'lk.agent.state': 'thinking' });
    expect(agent.attributes).toEqual({ 'lk.agent.state': 'thinking' });
    expect(changes).toEqual([{ 'lk.agent.state': 'listening' }, { mood: 'happy' }, { 'lk.agent.state': 'thinking', mood: '' }]);
    await expect(agent.setAttributes({ n: 1 as never })).rejects.toThrow(TypeError);
  });

  it("a session's lk.agent.state survives the attributes the agent's own code sets", async () => {
    const room = new LocalRoom();
    const member = room.join({ identity: 'user' });
    const frontend = new FrontendClient(member);
    const session = new AgentSession();
    await session.start({ agent: new Agent({ instructions: 'x' }), room });
    await room.localParticipant!.setAttributes({ plan: 'premium' });
    expect(frontend.agent!.attributes).toEqual({ 'lk.agent.state': 'listening', plan: 'premium' });
    expect(frontend.state).toBe('listening');
    await session.aclose();
    expect(frontend.agent!.attributes).toEqual({ 'lk.agent.state': 'idle', plan: 'premium' });
  });
});

describe("the agent's audio track", () => {
  it('published once (later calls give the same output); members see its sid and hear it as it is played', async () => {
    const { member, agent } = await connected();
    expect(agent.audioTrackSid).toBeUndefined();
    const output = agent.publishAudio();
    expect(agent.publishAudio()).toBe(output);
    expect(agent.audioTrackSid).toMatch(/^TR_/);
    expect(member.remoteParticipants.get('agent')!.audioTrackSid).toBe(agent.audioTrackSid);
    const heard: number[] = [];
    member.onAudio((frame) => heard.push(frame.samplesPerChannel));
    const { audioFrame } = await import('../../src/audio/audio_frame.js');
    await output.captureFrame(audioFrame(new Int16Array(160), 16_000));
    expect(heard).toEqual([160]);
    output.clearBuffer();
  });
});
