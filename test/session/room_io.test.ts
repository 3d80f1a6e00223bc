/**
 * A session started with a room talks with its first participant over the room, as agents-js's
 * RoomInputOptions and RoomOutputOptions say: which participant, closing when they leave, deleting
 * the room, and the switches for text and audio in and out.
 */
import { describe, expect, it, vi } from 'vitest';
import { Agent, AgentSession, InvalidOptionsError, LocalRoom, TRANSCRIPTION_TOPIC, type AudioFrame, type SpeechHandle } from '../../src/index.js';
import { FakeTTS } from '../../src/testing/fake_tts.js';
import { FakeUser } from '../../src/testing/index.js';
import { FrontendClient } from '../frontend/frontend_client.js';
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

/** Audio that never ends and records whether anyone listened to it. */
function microphone() {
  const state = { listened: false };
  const frames: AsyncIterable<AudioFrame> = {
    [Symbol.asyncIterator]: () => {
      state.listened = true;
      return { next: () => new Promise<IteratorResult<AudioFrame>>(() => {}) };
    },
  };
  return { frames, state };
}

const agent = () => new Agent({ instructions: 'x' });

describe('the linked participant (inputOptions.participantIdentity, participantKinds)', () => {
  it('participantIdentity: the session talks with that participant only, whoever joined first', async () => {
    const room = new LocalRoom();
    const alice = room.join({ identity: 'alice' });
    const session = new AgentSession({ llm: new ScriptedLLM([{ text: 'hi bob' }]) });
    await session.start({ agent: agent(), room, inputOptions: { participantIdentity: 'bob' } });
    alice.sendText('me first');
    const bob = room.join({ identity: 'bob' });
    bob.sendText('hello');
    await until(() => replies(bob).length === 1, session);
    expect(session.history.messages().map((m) => m.content)).toEqual(['hello', 'hi bob']);
    // Alice leaving does not close it; bob leaving does.
    alice.leave();
    expect(session.state).toBe('running');
    const closed = session.closed();
    bob.leave();
    expect((await closed).reason).toBe('participant_disconnected');
  });

  it('participantKinds: by default standard, SIP and connector participants (another agent is not the user); given, only those kinds, as voxstate names or rtc-node values', async () => {
    const room = new LocalRoom();
    const avatar = room.join({ identity: 'avatar', kind: 'agent' });
    const web = room.join({ identity: 'web' });
    const session = new AgentSession({ llm: new ScriptedLLM([{ text: 'one' }]) });
    await session.start({ agent: agent(), room });
    avatar.sendText('not me');
    web.sendText('me');
    await until(() => replies(web).length === 1, session);
    expect(session.history.messages().map((m) => m.content)).toEqual(['me', 'one']);
    await session.aclose();

    for (const participantKinds of [['sip'], [3]] as const) {
      const phoneRoom = new LocalRoom();
      const browser = phoneRoom.join({ identity: 'browser' });
      const caller = phoneRoom.join({ identity: 'caller', kind: 'sip' });
      const phone = new AgentSession({ llm: new ScriptedLLM([{ text: 'hello caller' }]) });
      await phone.start({ agent: agent(), room: phoneRoom, inputOptions: { participantKinds } });
      browser.sendText('ignored');
      caller.sendText('hi');
      await until(() => replies(caller).length === 1, phone);
      expect(phone.history.messages().map((m) => m.content)).toEqual(['hi', 'hello caller']);
      await phone.aclose();
    }
  });
});

describe('closeOnDisconnect and deleteRoomOnClose', () => {
  it('closeOnDisconnect false: the session stays when its participant leaves, and talks with the next one who joins', async () => {
    const room = new LocalRoom();
    const first = room.join({ identity: 'first' });
    const session = new AgentSession({ llm: new ScriptedLLM([{ text: 'welcome back' }]) });
    await session.start({ agent: agent(), room, inputOptions: { closeOnDisconnect: false } });
    first.leave();
    expect(session.state).toBe('running');
    const second = room.join({ identity: 'second' });
    second.sendText('anyone there?');
    await until(() => replies(second).length === 1, session);
    expect(session.history.messages().map((m) => m.content)).toEqual(['anyone there?', 'welcome back']);
    await session.aclose();
  });

  it('deleteRoomOnClose: once the session has closed the room is deleted (everyone in it disconnected); by default it stays', async () => {
    const room = new LocalRoom();
    room.join({ identity: 'user' });
    const session = new AgentSession();
    await session.start({ agent: agent(), room, inputOptions: { deleteRoomOnClose: true } });
    const order: string[] = [];
    session.on('close', () => order.push('session closed'));
    room.on('disconnected', (reason) => order.push(reason));
    await session.aclose();
    // An in-process room is deleted at once (LiveKit's goes through its RoomService).
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(['session closed', 'room deleted']);
    expect(room.isConnected).toBe(false);

    const kept = new LocalRoom();
    kept.join({ identity: 'user' });
    const other = new AgentSession();
    await other.start({ agent: agent(), room: kept });
    await other.aclose();
    await new Promise((resolve) => setImmediate(resolve));
    expect(kept.isConnected).toBe(true);
  });
});

describe('the switches for text and audio, in and out', () => {
  it('inputOptions.textEnabled false: chat is not a user turn; audioEnabled false: the microphone is not listened to', async () => {
    const room = new LocalRoom();
    const member = room.join({ identity: 'user' });
    const mic = microphone();
    member.publishAudio(mic.frames);
    const user = new FakeUser();
    const session = new AgentSession({ vad: user.vad, stt: user.stt, llm: new ScriptedLLM([{ text: 'no' }]) });
    await session.start({ agent: agent(), room, inputOptions: { textEnabled: false, audioEnabled: false } });
    member.sendText('hello?');
    await Promise.resolve();
    expect(session.history.items).toEqual([]);
    expect(mic.state.listened).toBe(false);
    await session.aclose();
    user.close();
  });

  it('outputOptions.audioEnabled false (a text-only session with a TTS): no audio track, the text streamed to lk.transcription as it is generated', async () => {
    vi.useFakeTimers();
    try {
      const room = new LocalRoom();
      const member = room.join({ identity: 'user' });
      const frontend = new FrontendClient(member);
      const session = new AgentSession({ tts: new FakeTTS() });
      await session.start({ agent: agent(), room, outputOptions: { audioEnabled: false } });
      const speech = session.say(
        (async function* () {
          yield 'Hello';
          await new Promise((resolve) => setTimeout(resolve, 100));
          yield ' there';
          await new Promise((resolve) => setTimeout(resolve, 100));
          yield '.';
        })(),
      );
      await vi.advanceTimersByTimeAsync(50);
      expect(frontend.messages().map(({ text, final }) => ({ text, final }))).toEqual([{ text: 'Hello', final: false }]);
      await vi.advanceTimersByTimeAsync(100);
      expect(frontend.messages().map(({ text, final }) => ({ text, final }))).toEqual([{ text: 'Hello there', final: false }]);
      await vi.advanceTimersByTimeAsync(100);
      await speech.waitForPlayout();
      expect(frontend.messages()).toEqual([{ kind: 'agentTranscript', segmentId: expect.any(String), text: 'Hello there.', final: true, trackSid: undefined }]);
      expect(frontend.agent?.audioTrackSid).toBeUndefined();
      expect(frontend.heardMs).toBe(0);
      await session.aclose();
    } finally {
      vi.useRealTimers();
    }
  });

  it('outputOptions.transcriptionEnabled false: the agent speaks, and no transcription reaches the room (neither the agent\'s nor the user\'s)', async () => {
    vi.useFakeTimers();
    try {
      const room = new LocalRoom();
      const member = room.join({ identity: 'user' });
      const frontend = new FrontendClient(member);
      const user = new FakeUser();
      member.publishAudio(user.audio());
      const session = new AgentSession({ vad: user.vad, stt: user.stt, tts: new FakeTTS({ ttfbMs: 10, msPerCharacter: 20 }), llm: new ScriptedLLM([{ text: 'Sure.' }]) });
      await session.start({ agent: agent(), room, outputOptions: { transcriptionEnabled: false } });
      void user.say('speak to me', { durationMs: 600 });
      await vi.advanceTimersByTimeAsync(3_000);
      expect(session.history.messages().map((m) => m.content)).toEqual(['speak to me', 'Sure.']);
      expect(frontend.heardMs).toBeGreaterThan(0);
      expect(frontend.shown).toEqual([]);
      expect(member.received).toEqual([]);
      user.close();
      await session.aclose();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('bad room options', () => {
  it('an unknown key, a value of the wrong kind or a setting voxstate does not have: InvalidOptionsError naming each, and the session can still start', async () => {
    const room = new LocalRoom();
    const session = new AgentSession();
    const error = await session
      .start({
        agent: agent(),
        room,
        inputOptions: { noiseCancellation: {}, closeOnDisconnect: 'yes', participantKinds: ['robot'], videoEnabled: true } as never,
        outputOptions: { syncTranscription: false, jsonFormat: true } as never,
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionsError);
    const { problems } = error as InvalidOptionsError;
    expect(problems).toEqual([
      expect.stringMatching(/^inputOptions\.noiseCancellation: not an option voxstate has; accepted: textEnabled, audioEnabled, videoEnabled, participantIdentity, participantKinds, closeOnDisconnect, deleteRoomOnClose$/),
      expect.stringMatching(/^inputOptions\.closeOnDisconnect: must be true or false/),
      expect.stringMatching(/^inputOptions\.participantKinds: "robot" is not a participant kind; accepted: standard, sip, connector, agent, ingress, egress, bridge/),
      expect.stringMatching(/^inputOptions\.videoEnabled: true is not supported: voxstate does not take video/),
      expect.stringMatching(/^outputOptions\.jsonFormat: not an option voxstate has/),
      expect.stringMatching(/^outputOptions\.syncTranscription: false is not supported/),
    ]);
    expect(session.state).toBe('idle');
    expect(room.isConnected).toBe(false);
    await session.start({ agent: agent(), room, inputOptions: { closeOnDisconnect: true } });
    expect(session.state).toBe('running');
    await session.aclose();
  });
});

describe('when the room refuses what the session sends', () => {
  it('a transcription or a state that cannot be sent is a typed error event; the conversation goes on', async () => {
    const room = new LocalRoom();
    const member = room.join({ identity: 'user' });
    const session = new AgentSession({ llm: new ScriptedLLM([{ text: 'first' }, { text: 'second' }]) });
    const errors: string[] = [];
    session.on('error', (event) => errors.push(`${event.source}: ${event.error.code}: ${event.error.message}`));
    await session.start({ agent: agent(), room });
    const local = room.localParticipant!;
    local.streamText = async () => {
      throw new Error('stream refused');
    };
    local.setAttributes = async () => {
      throw new Error('attributes refused');
    };
    member.sendText('hello');
    // (A SpeechHandle is thenable: wrapped, so that awaiting the event does not await the speech.)
    const { speech: reply } = await new Promise<{ speech: SpeechHandle }>((resolve) => session.once('speech_created', (event) => resolve({ speech: event.speechHandle })));
    await reply.waitForPlayout();
    // Reported as the output's, not as a failed reply: the reply itself was given.
    expect(reply.error).toBeUndefined();
    expect(new Set(errors)).toEqual(new Set(['output: session_failed: attributes refused', 'output: session_failed: stream refused']));
    expect(session.history.messages().map((m) => m.content)).toEqual(['hello', 'first']);
    expect(session.state).toBe('running');
    await session.aclose();
  });
});
