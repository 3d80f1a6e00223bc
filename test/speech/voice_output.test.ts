/** Speech that is spoken: text → TTS → audio output, on virtual time. */
import { describe, expect, it, vi } from 'vitest';
import { Agent, AgentSession } from '../../src/index.js';
import { PacedAudioOutput } from '../../src/audio/audio_output.js';
import { VoiceOutput } from '../../src/speech/voice_output.js';
import { FakeTTS } from '../../src/testing/fake_tts.js';
import { useFakeTime } from '../support/fake_time.js';

useFakeTime();

async function spoken() {
  const tts = new FakeTTS({ ttfbMs: 100, msPerCharacter: 50 });
  const frames: number[] = [];
  const audio = new PacedAudioOutput(() => frames.push(Date.now()));
  const session = new AgentSession({ tts });
  const heard: string[] = [];
  session.output = new VoiceOutput(tts, audio, { open: () => ({ write: () => {}, end: async (text) => void heard.push(text) }) });
  const states: string[] = [];
  session.on('agent_state_changed', (event) => states.push(`${event.newState}@${Date.now() - t0}`));
  const t0 = Date.now();
  await session.start({ agent: new Agent({ instructions: 'x' }) });
  return { tts, audio, session, heard, states, frames, t0 };
}

describe('VoiceOutput', () => {
  it('the agent speaks from the first audio frame until the audio has played', async () => {
    const { session, states, tts, heard } = await spoken();
    const speech = session.say('Hello there. How are you?');
    await vi.advanceTimersByTimeAsync(99);
    expect(session.agentState).toBe('listening');
    await vi.advanceTimersByTimeAsync(1);
    expect(session.agentState).toBe('speaking');
    // 25 characters × 50 ms, in two sentences, each after 100 ms of synthesis.
    await vi.advanceTimersByTimeAsync(2_000);
    expect(speech.done).toBe(true);
    expect(tts.synthesized).toEqual(['Hello there.', 'How are you?']);
    expect(states[0]).toBe('listening@0');
    expect(states).toContain('speaking@100');
    expect(heard).toEqual(['Hello there. How are you?']);
    expect(session.history.messages()[0]).toMatchObject({ content: 'Hello there. How are you?', interrupted: false });
  });

  it('an interruption stops synthesis and playout at once and keeps what was heard', async () => {
    const { session, audio } = await spoken();
    const speech = session.say('One two three four. Five six seven eight.');
    // First sentence: 20 characters → 1000 ms of audio, starting at 100 ms.
    await vi.advanceTimersByTimeAsync(100 + 500);
    speech.interrupt();
    await vi.advanceTimersByTimeAsync(0);
    expect(speech.interrupted).toBe(true);
    // 500 ms had played; the 20 ms frame already handed to the device is the last one heard.
    expect(audio.playedMs).toBe(500);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(audio.playedMs).toBe(520);
    const message = session.history.messages()[0]!;
    expect(message.interrupted).toBe(true);
    expect(message.content).toBe('One two');
  });
});

describe('a session with a TTS and an audio output', () => {
  it('speaks by default, and a spoken turn gets a spoken reply', async () => {
    const { FakeUser } = await import('../../src/testing/fake_user.js');
    const { ScriptedLLM } = await import('../support/scripted_llm.js');
    const user = new FakeUser();
    const tts = new FakeTTS({ ttfbMs: 50, msPerCharacter: 40 });
    const audio = new PacedAudioOutput();
    const session = new AgentSession({ vad: user.vad, stt: user.stt, tts, llm: new ScriptedLLM([{ text: 'It is noon.' }]), audioOutput: audio });
    await session.start({ agent: new Agent({ instructions: 'x' }) });
    void session.listen(user.audio());
    void user.say('what time is it', { durationMs: 800 });
    // end of speech 800 + endpointing 500 + TTS 50 → speaking at 1350
    await vi.advanceTimersByTimeAsync(1_349);
    expect(session.agentState).not.toBe('speaking');
    await vi.advanceTimersByTimeAsync(1);
    expect(session.agentState).toBe('speaking');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(session.agentState).toBe('listening');
    expect(audio.playedMs).toBe(11 * 40);
    expect(session.history.messages().map((m) => m.content)).toEqual(['what time is it', 'It is noon.']);
    user.close();
  });
});

describe('false interruptions', () => {
  async function talking() {
    const { FakeUser } = await import('../../src/testing/fake_user.js');
    const user = new FakeUser();
    const tts = new FakeTTS({ ttfbMs: 0, msPerCharacter: 100 });
    const audio = new PacedAudioOutput();
    const session = new AgentSession({ vad: user.vad, stt: user.stt, tts, audioOutput: audio });
    const events: string[] = [];
    session.on('agent_false_interruption', (event) => events.push(`false interruption (resumed: ${event.resumed})`));
    session.on('agent_state_changed', (event) => events.push(`agent ${event.newState}`));
    await session.start({ agent: new Agent({ instructions: 'x' }) });
    void session.listen(user.audio());
    return { user, audio, session, events };
  }

  it('speech without words pauses the agent, which resumes after falseInterruptionTimeout and finishes', async () => {
    const { user, audio, session, events } = await talking();
    const speech = session.say('This is a rather long story.'); // 28 characters: 2.8 s of audio
    await vi.advanceTimersByTimeAsync(1_000);
    void user.say('', { durationMs: 700, noWords: true });
    await vi.advanceTimersByTimeAsync(520);
    expect(session.agentState).toBe('listening');
    // Held 500 ms (minInterruptionDuration) into the user's speech at 1000 ms, with the frame then playing heard out.
    expect(audio.playedMs).toBe(1_520);
    await vi.advanceTimersByTimeAsync(1_900);
    expect(audio.playedMs).toBe(1_520);
    await vi.advanceTimersByTimeAsync(100);
    expect(events).toContain('false interruption (resumed: true)');
    expect(session.agentState).toBe('speaking');
    await vi.advanceTimersByTimeAsync(3_000);
    expect(speech.done && !speech.interrupted).toBe(true);
    expect(session.history.messages().at(-1)).toMatchObject({ content: 'This is a rather long story.', interrupted: false });
    user.close();
  });

  it('words while paused make it a real interruption', async () => {
    const { user, session, events } = await talking();
    const speech = session.say('This is a rather long story.');
    await vi.advanceTimersByTimeAsync(1_000);
    void user.say('wait stop please', { durationMs: 1_000 });
    await vi.advanceTimersByTimeAsync(560);
    expect(speech.interrupted).toBe(true);
    expect(events).not.toContain('false interruption (resumed: true)');
    expect(session.history.messages()[0]).toMatchObject({ interrupted: true });
    user.close();
  });
});
