/**
 * An interruption stops a TTS that does not listen to the abort signal it is given: the voice
 * output closes the TTS stream itself, plays nothing more, and the speech ends. The TTS here
 * synthesizes only when the test says so (frames pushed by hand), on virtual time.
 */
import { describe, expect, it, vi } from 'vitest';
import { Agent, AgentSession } from '../../src/index.js';
import { audioFrame } from '../../src/audio/audio_frame.js';
import { PacedAudioOutput } from '../../src/audio/audio_output.js';
import { Model } from '../../src/provider/model.js';
import { VoiceOutput } from '../../src/speech/voice_output.js';
import { EventChannel } from '../../src/streams/event_channel.js';
import type { SynthesizedAudio, SynthesizeStream, TTS } from '../../src/tts/tts.js';
import { useFakeTime } from '../support/fake_time.js';

useFakeTime();

const RATE = 16_000;

/** A synthesis that ignores its signal: it stops only when closed, or when its reader leaves. */
class DeafStream implements SynthesizeStream {
  readonly texts: string[] = [];
  closed = false;
  returned = false;
  readonly #out = new EventChannel<SynthesizedAudio>(() => {
    this.returned = true;
  });

  pushText(text: string): void {
    this.texts.push(text);
  }

  flush(): void {}

  endInput(): void {}

  async close(): Promise<void> {
    this.closed = true;
    this.#out.close();
  }

  /** Synthesizes `count` frames of 20 ms of the current sentence. */
  speak(count: number): void {
    for (let i = 0; i < count; i++) this.#out.push({ frame: audioFrame(new Int16Array(RATE / 50), RATE), segmentId: 'segment', final: false });
  }

  [Symbol.asyncIterator](): AsyncIterator<SynthesizedAudio> {
    return this.#out[Symbol.asyncIterator]();
  }
}

class DeafTTS extends Model implements TTS {
  readonly label = 'deaf/tts';
  readonly sampleRate = RATE;
  readonly numChannels = 1;
  readonly capabilities = { streaming: true };
  readonly streams: DeafStream[] = [];

  stream(): SynthesizeStream {
    const stream = new DeafStream();
    this.streams.push(stream);
    return stream;
  }

  synthesize(): AsyncIterable<SynthesizedAudio> {
    throw new Error('not used');
  }
}

async function* once(text: string): AsyncIterable<string> {
  yield text;
}

describe('a TTS that ignores the abort signal', () => {
  it('an interruption while its synthesis stalls still closes its stream: nothing more is played and the speech ends', async () => {
    const tts = new DeafTTS();
    let framesPlayed = 0;
    const audio = new PacedAudioOutput(() => framesPlayed++);
    const session = new AgentSession({ tts, audioOutput: audio });
    await session.start({ agent: new Agent({ instructions: 'x' }) });
    const speech = session.say('One two three four. Five six seven eight.');
    await vi.advanceTimersByTimeAsync(0);
    const stream = tts.streams[0]!;
    expect(stream.texts).toEqual(['One two three four.', 'Five six seven eight.']);
    // 100 ms of the first sentence, then the synthesis stalls (the server is slow).
    stream.speak(5);
    await vi.advanceTimersByTimeAsync(60);
    expect(session.agentState).toBe('speaking');
    speech.interrupt();
    await vi.advanceTimersByTimeAsync(0);
    expect(stream.closed).toBe(true);
    expect(speech.done).toBe(true);
    expect(speech.interrupted).toBe(true);
    const playedAtInterruption = framesPlayed;
    // The synthesis goes on as if nothing happened; none of it is heard.
    stream.speak(50);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(framesPlayed).toBe(playedAtInterruption);
    expect(session.agentState).toBe('listening');
    expect(session.history.messages()).toEqual([expect.objectContaining({ role: 'assistant', interrupted: true })]);
    await session.aclose();
  });

  it('a playout whose signal is already aborted closes the stream and returns at once', async () => {
    const tts = new DeafTTS();
    let framesPlayed = 0;
    const output = new VoiceOutput(tts, new PacedAudioOutput(() => framesPlayed++));
    const controller = new AbortController();
    controller.abort();
    let started = false;
    const played: string[] = [];
    const playing = output.play(once('Hello there.'), {
      speechId: 'speech_1',
      signal: controller.signal,
      started: () => {
        started = true;
      },
      played: (text) => played.push(text),
    });
    let returned = false;
    void playing.then(() => {
      returned = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(tts.streams[0]!.closed).toBe(true);
    expect(returned).toBe(true);
    tts.streams[0]!.speak(10);
    await vi.advanceTimersByTimeAsync(1_000);
    expect([started, played, framesPlayed]).toEqual([false, [], 0]);
  });
});
