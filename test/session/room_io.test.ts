/** A session started with a room talks with its first participant over the room. */
import { describe, expect, it } from 'vitest';
import { Agent, AgentSession, LocalRoom, TRANSCRIPTION_TOPIC, type AudioFrame } from '../../src/index.js';
import { FakeUser } from '../../src/testing/index.js';
import { ScriptedLLM } from '../support/scripted_llm.js';

const replies = (member: { received: Array<{ topic: string; text: string }> }) =>
  member.received.filter((text) => text.topic === TRANSCRIPTION_TOPIC).map((text) => text.text);

async function until(check: () => boolean, session: AgentSession) {
  while (!check()) await new Promise((resolve) => session.once('agent_state_changed', resolve));
}

describe('a session in a room', () => {
  it('answers the linked participant, ignores others and other topics, and closes when the linked participant leaves', async () => {
    const room = new LocalRoom();
    const user = room.join({ identity: 'user' });
    const other = room.join({ identity: 'other' });
    const session = new AgentSession({ llm: new ScriptedLLM([{ text: 'hi user' }]) });
    await session.start({ agent: new Agent({ instructions: 'x' }), room });
    expect(room.isConnected).toBe(true);
    other.sendText('ignore me');
    user.sendText('not chat', { topic: 'something-else' });
    user.sendText('hello');
    await until(() => replies(user).length === 1, session);
    expect(replies(user)).toEqual(['hi user']);
    expect(session.history.messages().map((m) => m.content)).toEqual(['hello', 'hi user']);
    const closed = session.closed();
    user.leave();
    expect((await closed).reason).toBe('participant_disconnected');
  });

  it('a room that fails to connect makes start() reject and the session close with reason error', async () => {
    const room = new LocalRoom();
    room.connect = async () => {
      throw new Error('connection refused');
    };
    const session = new AgentSession();
    const closes: string[] = [];
    session.on('close', (event) => closes.push(`${event.reason}: ${event.error?.message}`));
    await expect(session.start({ agent: new Agent({ instructions: 'x' }), room })).rejects.toThrow('connection refused');
    await session.closed();
    expect(closes).toEqual(['error: connection refused']);
  });

  it('hears a track the participant published before the session started (the entrypoint connected first)', async () => {
    const room = new LocalRoom();
    await room.connect();
    const member = room.join({ identity: 'user' });
    let listenedTo = '';
    const frames = (name: string): AsyncIterable<AudioFrame> => ({
      [Symbol.asyncIterator]: () => {
        listenedTo = name;
        return { next: () => new Promise<IteratorResult<AudioFrame>>(() => {}) };
      },
    });
    const early = member.publishAudio(frames('early track'));
    expect(room.audioTracks.get(early.sid)).toBe(early);
    const user = new FakeUser();
    const session = new AgentSession({ vad: user.vad, stt: user.stt, llm: new ScriptedLLM([]) });
    await session.start({ agent: new Agent({ instructions: 'x' }), room });
    expect(listenedTo).toBe('early track');
    member.leave();
    expect(room.audioTracks.size).toBe(0);
    await session.closed();
  });
});
