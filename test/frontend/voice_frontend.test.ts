/**
 * What a LiveKit frontend shows of a voxstate agent, read as components-js reads it (see
 * FrontendClient): the agent's state from its `lk.agent.state` attribute, the user's and the
 * agent's transcripts from `lk.transcription` text streams. A spoken turn, an interrupted turn and
 * a typed turn, on virtual time.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Agent, AgentSession, LocalRoom } from '../../src/index.js';
import { FakeTTS } from '../../src/testing/fake_tts.js';
import { FakeUser } from '../../src/testing/fake_user.js';
import { useFakeTime } from '../support/fake_time.js';
import { ScriptedLLM, type ScriptedReply } from '../support/scripted_llm.js';
import { FrontendClient } from './frontend_client.js';

useFakeTime();

const MS_PER_CHARACTER = 50;

const users: FakeUser[] = [];
afterEach(() => {
  for (const user of users.splice(0)) user.close();
});

/** A voice agent in a LocalRoom, a user publishing their microphone, and a frontend on that user. */
async function call(replies: ScriptedReply[]) {
  const room = new LocalRoom();
  const member = room.join({ identity: 'alice' });
  const frontend = new FrontendClient(member);
  const user = new FakeUser();
  users.push(user);
  const microphone = member.publishAudio(user.audio());
  const session = new AgentSession({
    vad: user.vad,
    stt: user.stt,
    tts: new FakeTTS({ ttfbMs: 40, msPerCharacter: MS_PER_CHARACTER }),
    llm: new ScriptedLLM(replies),
  });
  await session.start({ agent: new Agent({ instructions: 'x' }), room });
  return { room, member, frontend, user, microphone, session };
}

/**
 * The words of `text`, spoken sentence by sentence at MS_PER_CHARACTER, that `heardMs` of audio
 * covers: each sentence's words in proportion to its audio, a word counted once its share has played.
 */
function wordsCovered(text: string, heardMs: number): number {
  let left = heardMs;
  let words = 0;
  for (const sentence of text.split(/(?<=\.)\s+/)) {
    // FakeTTS's audio of a sentence, in whole 20 ms frames.
    const ms = Math.ceil((sentence.length * MS_PER_CHARACTER) / 20) * 20;
    const count = sentence.split(' ').length;
    if (left >= ms) {
      words += count;
      left -= ms;
      continue;
    }
    return words + Math.floor((left / ms) * count);
  }
  return words;
}

const wordsOf = (text: string) => (text === '' ? 0 : text.split(' ').length);

/** The ms of audio after which `words` words of `text` are covered. */
function msToCover(text: string, words: number): number {
  let ms = 0;
  while (wordsCovered(text, ms) < words) ms += 10;
  return ms;
}

/**
 * Each update of the agent's transcript is never ahead of the audio heard, and at most one frame
 * (20 ms) and one transcript tick (50 ms) behind it: it is streamed while spoken.
 */
function expectFollowsAudio(reply: string, updates: Array<{ text: string; heardMs: number }>): void {
  updates.forEach((update, i) => {
    const words = wordsOf(update.text);
    expect(reply.startsWith(update.text), `"${update.text}" is the start of the reply`).toBe(true);
    expect(words, `"${update.text}" with ${update.heardMs} ms heard`).toBeLessThanOrEqual(wordsCovered(reply, update.heardMs));
    // (The final stream repeats the text last shown.)
    if (update.text !== updates[i - 1]?.text) expect(update.heardMs, `"${update.text}" shown late`).toBeLessThanOrEqual(msToCover(reply, words) + 20 + 50);
  });
}

/** Advances virtual time in steps of `stepMs` until `done()`, at most `maxMs`. */
async function runUntil(done: () => boolean, maxMs: number, stepMs = 10): Promise<void> {
  for (let elapsed = 0; !done() && elapsed < maxMs; elapsed += stepMs) await vi.advanceTimersByTimeAsync(stepMs);
}

describe('a LiveKit frontend', () => {
  it('a spoken turn: listening → thinking → speaking → listening; the user transcript interim then final; the agent transcript grows with the audio heard, final at the end', async () => {
    const reply = 'It is noon. Time for lunch.';
    const { frontend, user, microphone, session } = await call([{ text: reply }]);
    expect(frontend.states).toEqual(['connecting', 'initializing', 'listening']);

    void user.say('what time is it', { durationMs: 800 });
    await runUntil(() => frontend.updates('agentTranscript').some((update) => update.final), 5_000);
    await runUntil(() => session.agentState === 'listening', 1_000);

    expect(frontend.states).toEqual(['connecting', 'initializing', 'listening', 'thinking', 'speaking', 'listening']);

    // The user's transcript: interim results growing, then the final one, one segment, their track.
    const userUpdates = frontend.updates('userTranscript');
    expect(new Set(userUpdates.map((update) => update.segmentId)).size).toBe(1);
    expect(userUpdates.every((update) => update.trackSid === microphone.sid)).toBe(true);
    const interims = userUpdates.filter((update) => !update.final);
    expect(interims.length).toBeGreaterThan(2);
    expect(interims.map((update) => update.text)).toContain('what time');
    expect(userUpdates.at(-1)).toMatchObject({ text: 'what time is it', final: true });
    expect(userUpdates.filter((update) => update.final)).toHaveLength(1);

    // The agent's transcript: one segment on the agent's track, growing word by word, never
    // ahead of the audio heard, at most a frame and a tick behind it, final once all was heard.
    const agentUpdates = frontend.updates('agentTranscript');
    expect(new Set(agentUpdates.map((update) => update.segmentId)).size).toBe(1);
    expect(agentUpdates.every((update) => update.trackSid !== undefined && update.trackSid === frontend.agent?.audioTrackSid)).toBe(true);
    const growing = agentUpdates.filter((update) => !update.final).map((update) => update.text);
    expect(growing).toEqual(['It', 'It is', 'It is noon.', 'It is noon. Time', 'It is noon. Time for', 'It is noon. Time for lunch.']);
    expectFollowsAudio(reply, agentUpdates);
    // Final once everything was heard.
    expect(agentUpdates.at(-1)).toMatchObject({ text: reply, final: true, heardMs: frontend.heardMs });
    expect(agentUpdates.filter((update) => update.final)).toHaveLength(1);

    // What the frontend shows at the end: the user's message, then the agent's, both final.
    expect(frontend.messages().map(({ kind, text, final }) => ({ kind, text, final }))).toEqual([
      { kind: 'userTranscript', text: 'what time is it', final: true },
      { kind: 'agentTranscript', text: reply, final: true },
    ]);

    // To the close: the agent neither listens nor will answer any more.
    await session.aclose();
    expect(frontend.states.at(-1)).toBe('idle');
  });

  it('an interrupted turn: the agent transcript is cut where the audio stopped, final, and is what the history keeps', async () => {
    const reply = 'One two three four. Five six seven eight.';
    const { frontend, user, session } = await call([{ text: reply }, { text: 'Okay.' }]);
    void user.say('tell me a story', { durationMs: 800 });
    await runUntil(() => frontend.heardMs >= 1_100, 5_000);
    const statesBefore = frontend.states.length;
    // The user speaks over the second sentence: the audio pauses after 500 ms of it, their words make it an interruption.
    void user.say('stop', { durationMs: 900 });
    await runUntil(() => frontend.updates('agentTranscript').filter((update) => update.final).length === 2, 5_000);
    await runUntil(() => session.agentState === 'listening', 1_000);

    const story = frontend.updates('agentTranscript').filter((update) => update.segmentId === frontend.updates('agentTranscript')[0]!.segmentId);
    const cut = story.at(-1)!;
    expect(cut.final).toBe(true);
    expect(story.filter((update) => update.final)).toHaveLength(1);
    // Cut inside the second sentence, where the audio stopped: every word heard, none that was not.
    expect(cut.text).toBe('One two three four. Five six');
    expect(wordsOf(cut.text)).toBe(wordsCovered(reply, cut.heardMs));
    expectFollowsAudio(reply, story);
    expect(session.history.messages().map(({ role, content, interrupted }) => ({ role, content, interrupted }))).toEqual([
      { role: 'user', content: 'tell me a story', interrupted: false },
      { role: 'assistant', content: cut.text, interrupted: true },
      { role: 'user', content: 'stop', interrupted: false },
      { role: 'assistant', content: 'Okay.', interrupted: false },
    ]);
    // What the frontend shows: two user messages and two agent messages, each its own segment, all final.
    expect(frontend.messages().map(({ kind, text, final }) => `${kind}: ${text}${final ? '' : ' …'}`)).toEqual([
      'userTranscript: tell me a story',
      'agentTranscript: One two three four. Five six',
      'userTranscript: stop',
      'agentTranscript: Okay.',
    ]);
    expect(frontend.states.slice(statesBefore - 1)).toEqual(['speaking', 'listening', 'thinking', 'speaking', 'listening']);
  });

  it('a typed turn: lk.chat in, the agent transcript out (no user transcript: the frontend shows the chat message itself)', async () => {
    const reply = 'Hello Alice.';
    const { frontend, member, session } = await call([{ text: reply }]);
    member.sendText('hello');
    await runUntil(() => frontend.updates('agentTranscript').some((update) => update.final), 5_000);
    await runUntil(() => session.agentState === 'listening', 1_000);
    expect(frontend.states).toEqual(['connecting', 'initializing', 'listening', 'thinking', 'speaking', 'listening']);
    expect(frontend.updates('userTranscript')).toEqual([]);
    const updates = frontend.updates('agentTranscript');
    expect(updates.filter((update) => !update.final).map((update) => update.text)).toEqual(['Hello', 'Hello Alice.']);
    expectFollowsAudio(reply, updates);
    expect(frontend.messages()).toEqual([{ kind: 'agentTranscript', segmentId: updates[0]!.segmentId, text: reply, final: true, trackSid: frontend.agent!.audioTrackSid }]);
  });
});
