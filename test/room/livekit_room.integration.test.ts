/**
 * LiveKitRoom against a real LiveKit server. Runs only when LIVEKIT_URL, LIVEKIT_API_KEY and
 * LIVEKIT_API_SECRET are set (e.g. `livekit-server --dev` gives ws://127.0.0.1:7880, devkey, secret);
 * otherwise it is reported as skipped.
 */
import { AccessToken } from 'livekit-server-sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { audioFrame, type AudioFrame } from '../../src/audio/audio_frame.js';
import { LiveKitRoom } from '../../src/room/livekit_room.js';
import type { AudioTrack, RemoteParticipant, TextInfo } from '../../src/room/room.js';

const { LIVEKIT_URL: url, LIVEKIT_API_KEY: apiKey, LIVEKIT_API_SECRET: apiSecret } = process.env;
const live = Boolean(url && apiKey && apiSecret);

async function token(room: string, identity: string, kind?: 'agent'): Promise<string> {
  const at = new AccessToken(apiKey, apiSecret, { identity, ttl: '10m', ...(kind ? { attributes: { role: kind } } : {}) });
  at.addGrant({ roomJoin: true, room, canPublish: true, canSubscribe: true, canPublishData: true, canUpdateOwnMetadata: true });
  return at.toJwt();
}

function next<T extends unknown[]>(room: LiveKitRoom, event: 'participantConnected' | 'textReceived' | 'trackSubscribed' | 'participantAttributesChanged' | 'dataReceived', timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
    room.once(event, ((...args: T) => {
      clearTimeout(timer);
      resolve(args);
    }) as never);
  });
}

const tone = (ms: number, rate = 24000): AudioFrame => {
  const n = Math.round((rate * ms) / 1000);
  const data = new Int16Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.round(10000 * Math.sin((2 * Math.PI * 440 * i) / rate));
  return audioFrame(data, rate);
};

describe.skipIf(!live)('LiveKitRoom on a real LiveKit server', () => {
  const rooms: LiveKitRoom[] = [];
  afterEach(async () => {
    await Promise.all(rooms.splice(0).map((room) => room.disconnect()));
  });

  it('two rooms: participants, text both ways, data, attributes, audio published and heard', async () => {
    const name = `voxstate-it-${Date.now()}`;
    const agent = new LiveKitRoom({ url: url!, token: await token(name, 'agent'), name });
    const user = new LiveKitRoom({ url: url!, token: await token(name, 'user'), name });
    rooms.push(agent, user);
    await agent.connect();
    const joined = next<[RemoteParticipant]>(agent, 'participantConnected');
    await user.connect();
    const [participant] = await joined;
    expect(participant.identity).toBe('user');
    expect(participant.kind).toBe('standard');
    expect(agent.remoteParticipants.get('user')).toBe(participant);

    const toAgent = next<[string, TextInfo]>(agent, 'textReceived');
    await user.localParticipant!.sendText('hello agent');
    const [text, info] = await toAgent;
    expect(text).toBe('hello agent');
    expect(info).toMatchObject({ topic: 'lk.chat', participant: { identity: 'user' } });

    const toUser = next<[string, TextInfo]>(user, 'textReceived');
    await agent.localParticipant!.sendText('hello user');
    expect((await toUser)[0]).toBe('hello user');

    // A stream written in chunks arrives whole, with its attributes.
    const streamed = next<[string, TextInfo]>(user, 'textReceived');
    const writer = await agent.localParticipant!.streamText({ attributes: { 'lk.segment_id': 'SG_it' } });
    await writer.write('in ');
    await writer.write('chunks');
    await writer.close();
    const [whole, streamInfo] = await streamed;
    expect(whole).toBe('in chunks');
    expect(streamInfo.attributes).toMatchObject({ 'lk.segment_id': 'SG_it' });

    // Each write of the agent's attributes keeps the ones it does not name.
    const stateSet = next<[Record<string, string>, RemoteParticipant]>(user, 'participantAttributesChanged');
    await agent.localParticipant!.setAttributes({ 'lk.agent.state': 'listening' });
    await stateSet;
    const planSet = next<[Record<string, string>, RemoteParticipant]>(user, 'participantAttributesChanged');
    await agent.localParticipant!.setAttributes({ plan: 'premium' });
    await planSet;
    expect(user.remoteParticipants.get('agent')!.attributes).toMatchObject({ 'lk.agent.state': 'listening', plan: 'premium' });

    const data = next<[Uint8Array, RemoteParticipant, string | undefined]>(agent, 'dataReceived');
    await user.localParticipant!.publishData(new TextEncoder().encode('bytes'), { topic: 'custom' });
    const [payload, from, topic] = await data;
    expect(new TextDecoder().decode(payload)).toBe('bytes');
    expect(from.identity).toBe('user');
    expect(topic).toBe('custom');

    const changed = next<[Record<string, string>, RemoteParticipant]>(agent, 'participantAttributesChanged');
    await user.localParticipant!.setAttributes({ mood: 'happy' });
    const [attributes, who] = await changed;
    expect(attributes).toEqual({ mood: 'happy' });
    expect(who.identity).toBe('user');
    expect(agent.remoteParticipants.get('user')!.attributes).toMatchObject({ mood: 'happy' });

    const subscribed = next<[AudioTrack, RemoteParticipant]>(user, 'trackSubscribed', 15_000);
    const output = agent.localParticipant!.publishAudio();
    const speaking = (async () => {
      for (let i = 0; i < 100; i++) await output.captureFrame(tone(20));
      await output.flush();
    })();
    const [track, speaker] = await subscribed;
    expect(speaker.identity).toBe('agent');
    let heard = 0;
    let loud = 0;
    for await (const frame of track.frames()) {
      expect(frame.sampleRate).toBe(16000);
      expect(frame.channels).toBe(1);
      heard += frame.samplesPerChannel;
      if (frame.data.some((sample) => Math.abs(sample) > 2000)) loud++;
      if (heard >= 16000 && loud > 5) break;
    }
    expect(loud).toBeGreaterThan(5);
    await speaking;
    expect(output.playedMs).toBeGreaterThan(1500);

    const left = new Promise<string>((resolve) => user.once('disconnected', resolve));
    await user.disconnect();
    expect(await left).toBe('client initiated');
    await user.disconnect();
  }, 60_000);
});
