/**
 * The user's audio as the Realtime API takes it: 24 kHz mono 16-bit PCM, base64, in
 * `input_audio_buffer.append` messages of 100 ms (as agents-js's plugin sends them; a message per
 * 10 or 20 ms frame is 5 to 10 times the JSON). Frames of any rate and channel count are mixed down
 * and resampled on the way (a resampler per input rate, its state kept across frames).
 */
import type { AudioFrame } from '../../../audio/audio_frame.js';
import { PcmChunks } from '../../../audio/pcm_chunks.js';
import { mixdown, Resampler, toInt16 } from '../../../audio/resample.js';
import { REALTIME_SAMPLE_RATE } from './generation.js';

export class RealtimeInputAudio {
  #resampler: Resampler | undefined;
  readonly #chunks: PcmChunks;

  /** @param append sends one message's audio (base64 PCM). */
  constructor(append: (audio: string) => void) {
    this.#chunks = new PcmChunks(REALTIME_SAMPLE_RATE / 10, (pcm) => append(base64(pcm)));
  }

  /** Adds a frame; a message goes out each time 100 ms are there (the resampler may hold a few ms). */
  push(frame: AudioFrame): void {
    this.#chunks.push(this.#at24kHzMono(frame));
  }

  /** Sends what waits for its 100 ms (before a commit: the committed buffer holds all of it). */
  flush(): void {
    this.#chunks.flush();
  }

  /** Drops what waits for its 100 ms (the buffer is being cleared). */
  clear(): void {
    this.#chunks.clear();
  }

  #at24kHzMono(frame: AudioFrame): Int16Array {
    if (frame.sampleRate === REALTIME_SAMPLE_RATE && frame.channels === 1) return frame.data;
    const mono = mixdown(frame.data, frame.channels);
    if (frame.sampleRate === REALTIME_SAMPLE_RATE) return toInt16(mono);
    if (this.#resampler?.inRate !== frame.sampleRate) this.#resampler = new Resampler(frame.sampleRate, REALTIME_SAMPLE_RATE);
    return toInt16(this.#resampler.push(mono));
  }
}

function base64(samples: Int16Array): string {
  return Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength).toString('base64');
}
