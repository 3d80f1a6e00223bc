/**
 * What a VAD stream is fed, as the model wants it: frames of any rate and channel count are mixed
 * down to mono and resampled to the model rate, kept as 16-bit PCM, then cut into whole windows,
 * each given to the model as floats and to the VAD's events as PCM.
 */
import { checkAudioFrame, type AudioFrame } from '../../audio/audio_frame.js';
import { mixdown, pcmSample, Resampler } from '../../audio/resample.js';

/**
 * The windows handed out are views of slabs of this many windows: one allocation per slab instead
 * of one per window (this runs for every 32 ms of every stream). A window kept by its reader (the
 * detector keeps the last ~0.5 s) keeps its slab.
 */
const SLAB_WINDOWS = 16;

export class AudioInput {
  #resampler: Resampler | undefined;
  #pending = new Int16Array(8192);
  #start = 0;
  #end = 0;
  #slab = new Int16Array(0);
  #slabAt = 0;

  constructor(
    readonly sampleRate: number,
    readonly windowSamples: number,
  ) {}

  /** Whole windows ready. */
  get windows(): number {
    return Math.floor((this.#end - this.#start) / this.windowSamples);
  }

  push(frame: AudioFrame): void {
    checkAudioFrame(frame);
    if (frame.sampleRate === this.sampleRate) {
      // A change back to the model rate ends the resampled signal first.
      if (this.#resampler) this.#appendFloats(this.#takeTail());
      if (frame.channels === 1) this.#append(frame.data);
      else this.#appendFloats(mixdown(frame.data, frame.channels));
      return;
    }
    const mono = mixdown(frame.data, frame.channels);
    if (this.#resampler && this.#resampler.inRate !== frame.sampleRate) this.#appendFloats(this.#takeTail());
    this.#resampler ??= new Resampler(frame.sampleRate, this.sampleRate);
    this.#appendFloats(this.#resampler.push(mono));
  }

  /** Everything pushed becomes whole windows: the resampler's tail, then silence up to a window. */
  flush(): void {
    if (this.#resampler) this.#appendFloats(this.#takeTail());
    const partial = (this.#end - this.#start) % this.windowSamples;
    if (partial > 0) this.#append(new Int16Array(this.windowSamples - partial));
  }

  /**
   * Writes the next window into `target` at `offset` as the model's floats, and returns it as
   * 16-bit PCM (not to be changed: it is the caller's to keep); only when `windows` > 0.
   */
  takeInto(target: Float32Array, offset: number): Int16Array {
    const size = this.windowSamples;
    const start = this.#start;
    const pending = this.#pending;
    for (let i = 0; i < size; i++) target[offset + i] = pending[start + i]! / 32768;
    if (this.#slabAt + size > this.#slab.length) {
      this.#slab = new Int16Array(SLAB_WINDOWS * size);
      this.#slabAt = 0;
    }
    const window = this.#slab.subarray(this.#slabAt, this.#slabAt + size);
    this.#slabAt += size;
    window.set(pending.subarray(start, start + size));
    this.#start = start + size;
    if (this.#start === this.#end) this.#start = this.#end = 0;
    return window;
  }

  #takeTail(): Float32Array {
    const tail = this.#resampler!.flush();
    this.#resampler = undefined;
    return tail;
  }

  #append(samples: Int16Array): void {
    this.#reserve(samples.length);
    this.#pending.set(samples, this.#end);
    this.#end += samples.length;
  }

  /** Float samples (mixed down, resampled) as 16-bit PCM, converted as they are appended (no array in between). */
  #appendFloats(samples: Float32Array): void {
    this.#reserve(samples.length);
    const pending = this.#pending;
    const at = this.#end;
    for (let i = 0; i < samples.length; i++) pending[at + i] = pcmSample(samples[i]!);
    this.#end += samples.length;
  }

  /** Room for `count` more samples after the end. */
  #reserve(count: number): void {
    if (this.#end + count > this.#pending.length) {
      const live = this.#end - this.#start;
      if (this.#pending.length >= 2 * (live + count)) {
        this.#pending.copyWithin(0, this.#start, this.#end);
      } else {
        const grown = new Int16Array(2 * (live + count));
        grown.set(this.#pending.subarray(this.#start, this.#end));
        this.#pending = grown;
      }
      this.#start = 0;
      this.#end = live;
    }
  }
}
