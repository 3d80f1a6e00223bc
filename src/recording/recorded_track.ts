/**
 * One side of a conversation's recording: the frames heard, each placed at the time it was heard
 * (from the start of the recording), never over the previous one. Rendered once, at the end, to a
 * single rate: frames that follow each other without a gap are resampled together (no seams).
 */
import type { AudioFrame } from '../audio/audio_frame.js';
import { mixdown, Resampler } from '../audio/resample.js';

interface Placed {
  /** ms from the start of the recording. */
  atMs: number;
  frame: AudioFrame;
}

export class RecordedTrack {
  readonly #frames: Placed[] = [];
  /** Where the track ends now, in ms from the start. */
  #endMs = 0;

  /** `frame` heard at `nowMs` (ms from the start), or right after the previous one if that is later. */
  add(frame: AudioFrame, nowMs: number): void {
    const atMs = Math.max(this.#endMs, nowMs);
    // Copied: a producer may reuse its buffer for the next frame.
    this.#frames.push({ atMs, frame: { ...frame, data: frame.data.slice() } });
    this.#endMs = atMs + (frame.samplesPerChannel / frame.sampleRate) * 1000;
  }

  /** What is placed after `nowMs` was never heard (an interruption cleared it): it goes. */
  cut(nowMs: number): void {
    if (nowMs >= this.#endMs) return;
    while (this.#frames.length > 0 && this.#frames.at(-1)!.atMs >= nowMs) this.#frames.pop();
    this.#endMs = Math.max(nowMs, this.#frames.length === 0 ? 0 : this.#frames.at(-1)!.atMs);
  }

  /** ms of audio, gaps included. */
  get durationMs(): number {
    return this.#endMs;
  }

  /** The track at `rate`, `lengthMs` long (silence where nothing was heard). */
  render(rate: number, lengthMs: number): Float32Array {
    const out = new Float32Array(Math.ceil((lengthMs * rate) / 1000));
    let run: { atMs: number; rate: number; samples: Float32Array[]; endMs: number } | undefined;
    const flush = () => {
      if (!run) return;
      const resampler = new Resampler(run.rate, rate);
      const pieces = [...run.samples.map((piece) => resampler.push(piece)), resampler.flush()];
      let at = Math.round((run.atMs * rate) / 1000);
      // The end of the run as placed (a cut may have ended it inside its last frame).
      const end = Math.min(out.length, Math.round((this.#endMs * rate) / 1000));
      for (const piece of pieces) {
        const room = Math.max(0, Math.min(piece.length, end - at));
        out.set(piece.subarray(0, room), at);
        at += room;
      }
      run = undefined;
    };
    for (const { atMs, frame } of this.#frames) {
      const mono = mixdown(frame.data, frame.channels);
      const contiguous = run && run.rate === frame.sampleRate && Math.abs(run.endMs - atMs) < 0.5;
      if (!contiguous) flush();
      run ??= { atMs, rate: frame.sampleRate, samples: [], endMs: atMs };
      run.samples.push(mono);
      run.endMs = atMs + (frame.samplesPerChannel / frame.sampleRate) * 1000;
    }
    flush();
    return out;
  }
}
