/**
 * Audio files in console mode: `--input file.wav` is played in real time as the user's
 * microphone, `--output file.wav` records the agent's voice as it is heard.
 */
import { AudioFrameError, audioFrame, type AudioFrame } from '../audio/audio_frame.js';
import { readWavFile, writeWavFile } from '../audio/wav.js';

const FRAME_MS = 20;

/** The file's audio in 20 ms frames, each released when its time comes (real-time playback). */
export async function* playWav(path: string, signal?: AbortSignal): AsyncIterable<AudioFrame> {
  const whole = await readWavFile(path);
  const samples = (whole.sampleRate * FRAME_MS) / 1000;
  const step = Math.max(1, Math.round(samples)) * whole.channels;
  const start = Date.now();
  for (let at = 0, index = 0; at < whole.data.length && !signal?.aborted; at += step, index++) {
    const due = start + index * FRAME_MS - Date.now();
    if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
    yield audioFrame(whole.data.subarray(at, Math.min(at + step, whole.data.length)), whole.sampleRate, whole.channels);
  }
}

/** Collects frames (one format) and writes them as one WAV file. */
export class WavRecorder {
  readonly #chunks: Int16Array[] = [];
  #format: { sampleRate: number; channels: number } | undefined;

  add(frame: AudioFrame): void {
    this.#format ??= { sampleRate: frame.sampleRate, channels: frame.channels };
    if (frame.sampleRate !== this.#format.sampleRate || frame.channels !== this.#format.channels) {
      throw new AudioFrameError(`the recording is ${this.#format.sampleRate} Hz × ${this.#format.channels}; got a ${frame.sampleRate} Hz × ${frame.channels} frame`);
    }
    this.#chunks.push(frame.data);
  }

  /** ms recorded. */
  get durationMs(): number {
    if (!this.#format) return 0;
    const samples = this.#chunks.reduce((total, chunk) => total + chunk.length, 0);
    return (samples / this.#format.channels / this.#format.sampleRate) * 1000;
  }

  async save(path: string): Promise<void> {
    const format = this.#format ?? { sampleRate: 24_000, channels: 1 };
    const data = new Int16Array(this.#chunks.reduce((total, chunk) => total + chunk.length, 0));
    let at = 0;
    for (const chunk of this.#chunks) {
      data.set(chunk, at);
      at += chunk.length;
    }
    await writeWavFile(path, audioFrame(data, format.sampleRate, format.channels));
  }
}
