/**
 * A scripted TTS for tests, on virtual time: each sentence becomes `msPerCharacter` of audio per
 * character (silent, or a constant `level` to find it in a recording), in 20 ms frames, the first
 * one `ttfbMs` after the sentence is complete.
 */
import { audioFrame } from '../audio/audio_frame.js';
import { Model } from '../provider/model.js';
import { EventChannel } from '../streams/event_channel.js';
import type { SynthesizeOptions, SynthesizeStream, SynthesizedAudio, TTS } from '../tts/tts.js';

const FRAME_MS = 20;

export class FakeTTS extends Model implements TTS {
  readonly label = 'fake/tts';
  readonly sampleRate = 16_000;
  readonly numChannels = 1;
  readonly capabilities = { streaming: true };
  /** Text of every segment synthesized, in order. */
  readonly synthesized: string[] = [];
  #segments = 0;

  constructor(
    readonly options: { ttfbMs?: number; msPerCharacter?: number; level?: number } = {},
  ) {
    super();
  }

  stream(options: SynthesizeOptions = {}): SynthesizeStream {
    const channel = new EventChannel<SynthesizedAudio>();
    let pending = '';
    let work = Promise.resolve();
    const timers = new Set<NodeJS.Timeout>();
    const wait = (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          resolve();
        }, ms);
        timers.add(timer);
      });
    const synthesize = (text: string) => {
      if (text.trim() === '') return;
      const segmentId = `segment_${++this.#segments}`;
      this.synthesized.push(text);
      work = work.then(async () => {
        await wait(this.options.ttfbMs ?? 100);
        const frames = Math.max(1, Math.ceil((text.length * (this.options.msPerCharacter ?? 60)) / FRAME_MS));
        for (let i = 0; i < frames && !channel.ended; i++) {
          const samples = new Int16Array((this.sampleRate * FRAME_MS) / 1000).fill(this.options.level ?? 0);
          channel.push({ frame: audioFrame(samples, this.sampleRate), segmentId, final: i === frames - 1 });
        }
      });
    };
    const close = async () => {
      for (const timer of timers) clearTimeout(timer);
      channel.close();
    };
    options.signal?.addEventListener('abort', () => void close(), { once: true });
    return {
      [Symbol.asyncIterator]: () => channel[Symbol.asyncIterator](),
      pushText: (text: string) => {
        pending += text;
        const end = Math.max(pending.lastIndexOf('. '), pending.lastIndexOf('! '), pending.lastIndexOf('? '));
        if (end >= 0) {
          synthesize(pending.slice(0, end + 2));
          pending = pending.slice(end + 2);
        }
      },
      flush: () => {
        synthesize(pending);
        pending = '';
      },
      endInput: () => {
        synthesize(pending);
        pending = '';
        void work.then(() => channel.end());
      },
      close,
    };
  }

  async *synthesize(text: string, options: SynthesizeOptions = {}): AsyncIterable<SynthesizedAudio> {
    const stream = this.stream(options);
    stream.pushText(text);
    stream.endInput();
    yield* stream;
  }
}
