/**
 * A spoken reply whose LLM or TTS fails part-way: the process goes on (no unhandled rejection),
 * the failure is reported, the speech ends, and the history holds what was heard, no more. On
 * virtual time, with FakeTTS (20 ms frames) and a paced audio output.
 */
import { describe, expect, it, vi } from 'vitest';
import { Agent, AgentSession, type ErrorEvent } from '../../src/index.js';
import { PacedAudioOutput } from '../../src/audio/audio_output.js';
import type { ChatChunk, LLM } from '../../src/llm/llm.js';
import type { SynthesizedAudio, SynthesizeOptions, SynthesizeStream } from '../../src/tts/tts.js';
import { FakeTTS } from '../../src/testing/fake_tts.js';
import { useFakeTime } from '../support/fake_time.js';

useFakeTime();

/** Says `text` in one chunk, then fails as a provider whose connection drops would. */
class BreakingLLM implements LLM {
  readonly label = 'breaking/llm';
  constructor(readonly text: string) {}
  async *chat(): AsyncIterable<ChatChunk> {
    yield { type: 'content', text: this.text };
    await Promise.resolve();
    throw new Error('the connection dropped');
  }
}

/** A TTS whose stream fails after `frames` frames of audio. */
class BreakingTTS extends FakeTTS {
  constructor(readonly frames: number) {
    super({ ttfbMs: 100, msPerCharacter: 50 });
  }
  override stream(options: SynthesizeOptions = {}): SynthesizeStream {
    const inner = super.stream(options);
    const frames = this.frames;
    return {
      pushText: (text) => inner.pushText(text),
      flush: () => inner.flush(),
      endInput: () => inner.endInput(),
      close: () => inner.close(),
      async *[Symbol.asyncIterator](): AsyncIterator<SynthesizedAudio> {
        let count = 0;
        for await (const audio of inner) {
          if (count++ === frames) throw new Error('synthesis failed');
          yield audio;
        }
      },
    };
  }
}

async function spoken(options: { llm?: LLM; tts: FakeTTS }) {
  const audio = new PacedAudioOutput(() => {});
  const session = new AgentSession({ ...options, audioOutput: audio });
  const errors: ErrorEvent[] = [];
  session.on('error', (event) => errors.push(event));
  await session.start({ agent: new Agent({ instructions: 'x' }) });
  return { session, audio, errors };
}

describe('a spoken reply that fails part-way', () => {
  it('the LLM breaks off: the sentences it finished are spoken, then the failure is reported and the agent listens again', async () => {
    const tts = new FakeTTS({ ttfbMs: 100, msPerCharacter: 50 });
    const { session, audio, errors } = await spoken({ llm: new BreakingLLM('Hello there. How are'), tts });
    await session.input.text('Hi');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(tts.synthesized).toEqual(['Hello there.']);
    // 12 characters × 50 ms of audio: all of it played.
    expect(audio.playedMs).toBe(600);
    expect(errors.map((event) => event.error.message)).toEqual([expect.stringContaining('the connection dropped')]);
    expect(session.agentState).toBe('listening');
    expect(session.history.messages().map((m) => [m.role, m.content])).toEqual([
      ['user', 'Hi'],
      ['assistant', 'Hello there.'],
    ]);
    await session.aclose();
  });

  it('the TTS fails after some audio: what it made is played, the speech ends there, and the history keeps the sentences it finished', async () => {
    // "One two three." is 14 characters × 50 ms = 35 frames of 20 ms; the synthesis fails 5 frames into the next sentence.
    const tts = new BreakingTTS(40);
    const { session, audio, errors } = await spoken({ tts });
    const speech = session.say('One two three. Four five six seven.');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(speech.done).toBe(true);
    expect(errors.map((event) => event.error.message)).toEqual([expect.stringContaining('synthesis failed')]);
    expect(audio.playedMs).toBe(800);
    expect(session.agentState).toBe('listening');
    expect(session.history.messages().map((m) => [m.content, m.interrupted])).toEqual([['One two three.', false]]);
    await session.aclose();
  });
});
