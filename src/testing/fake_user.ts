/**
 * A scripted speaker for tests, on virtual time: `user.say('hello', { durationMs: 800 })` makes its
 * VAD report speech for 800 ms (start, a window every 32 ms, end) and its STT deliver the
 * transcript `sttDelayMs` after the end of speech. With fake timers a whole spoken conversation
 * runs in milliseconds:
 *
 *   const user = new FakeUser();
 *   const session = new AgentSession({ vad: user.vad, stt: user.stt, llm });
 *   await session.start({ agent });
 *   void session.listen(user.audio());
 *   user.say('what time is it?', { durationMs: 900 });
 *   await vi.advanceTimersByTimeAsync(2_000);
 */
import { audioFrame, checkAudioFrame, type AudioFrame } from '../audio/audio_frame.js';
import { Model } from '../provider/model.js';
import { resolveOptions } from '../plugins/silero/options.js';
import { EventChannel } from '../streams/event_channel.js';
import type { RecognizeOptions, SpeechData, SpeechEvent, SpeechStream, STT } from '../stt/stt.js';
import type { VAD, VADEvent, VADOptions, VADStream } from '../vad/vad.js';

const WINDOW_MS = 32;

export interface SayOptions {
  /** How long the user speaks, in ms (default 60 ms a character, at least 300). */
  durationMs?: number;
  /** ms from the end of speech to the final transcript (default 200). */
  sttDelayMs?: number;
  /** The STT hears nothing (noise, a cough): VAD speech without a transcript. */
  noWords?: boolean;
}

/** The open streams of a fake model: what the script says reaches every one of them; audio pushed in is checked, as a real model's is, and ignored. */
class Streams<T> {
  readonly open = new Set<EventChannel<T>>();

  stream() {
    const channel = new EventChannel<T>(() => this.open.delete(channel));
    this.open.add(channel);
    return {
      [Symbol.asyncIterator]: () => channel[Symbol.asyncIterator](),
      pushFrame: (frame: AudioFrame) => checkAudioFrame(frame),
      flush: () => {},
      endInput: () => channel.end(),
      close: async () => {
        channel.close();
        this.open.delete(channel);
      },
    };
  }

  push(value: T): void {
    for (const channel of this.open) channel.push(value);
  }
}

class FakeVAD extends Model implements VAD {
  readonly label = 'fake/vad';
  /** LiveKit's defaults, as the Silero VAD has them. */
  readonly options: VADOptions = resolveOptions({});
  readonly streams = new Streams<VADEvent>();

  stream(): VADStream {
    return this.streams.stream();
  }
}

class FakeSTT extends Model implements STT {
  readonly label = 'fake/stt';
  readonly capabilities = { streaming: true, interimResults: true };
  readonly streams = new Streams<SpeechEvent>();
  /** What recognize() answers. */
  nextRecognition = '';

  async recognize(_frames: AudioFrame[], _options?: RecognizeOptions): Promise<SpeechData> {
    return { text: this.nextRecognition };
  }

  stream(): SpeechStream {
    return this.streams.stream();
  }
}

export class FakeUser {
  readonly vad = new FakeVAD();
  readonly stt = new FakeSTT();
  #clock = 0;
  #closed = false;

  /** Starts speaking now; resolves once the transcript has been delivered (virtual time). */
  say(text: string, options: SayOptions = {}): Promise<void> {
    const durationMs = options.durationMs ?? Math.max(300, text.length * 60);
    const sttDelayMs = options.sttDelayMs ?? 200;
    const start = this.#clock;
    const vad = (type: VADEvent['type'], speechDurationMs: number, speaking: boolean) =>
      this.vad.streams.push({
        type,
        timestampMs: start + speechDurationMs,
        speechDurationMs,
        silenceDurationMs: 0,
        probability: speaking ? 0.99 : 0.01,
        speaking,
        inferenceDurationMs: 0,
        frames: [],
      });
    return new Promise((resolve) => {
      vad('start_of_speech', 0, true);
      this.stt.streams.push({ type: 'start_of_speech' });
      const words = text.split(' ');
      let elapsed = 0;
      const window = setInterval(() => {
        elapsed += WINDOW_MS;
        if (elapsed >= durationMs) return;
        vad('inference_done', elapsed, true);
        if (!options.noWords) {
          const heard = words.slice(0, Math.ceil((elapsed / durationMs) * words.length)).join(' ');
          this.stt.streams.push({ type: 'interim_transcript', alternatives: [{ text: heard, language: 'en' }] });
        }
      }, WINDOW_MS);
      setTimeout(() => {
        clearInterval(window);
        this.#clock = start + durationMs;
        vad('end_of_speech', durationMs, false);
        this.stt.streams.push({ type: 'end_of_speech' });
        setTimeout(() => {
          if (!options.noWords) this.stt.streams.push({ type: 'final_transcript', alternatives: [{ text, language: 'en' }] });
          resolve();
        }, sttDelayMs);
      }, durationMs);
    });
  }

  /** Silent 16 kHz frames every 10 ms of virtual time, until close(): what `session.listen` reads. */
  async *audio(): AsyncIterable<AudioFrame> {
    const silence = audioFrame(new Int16Array(160), 16_000);
    while (!this.#closed) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      yield silence;
    }
  }

  /** Ends audio(). */
  close(): void {
    this.#closed = true;
  }
}
