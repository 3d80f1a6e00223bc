/**
 * What a VAD stream is fed, as the model wants it: frames of any rate and channel count are mixed
 * down to mono and resampled to the model rate, then cut into whole windows.
 */
import { checkAudioFrame, type AudioFrame } from '../../audio/audio_frame.js';
import { mixdown, Resampler } from '../../audio/resample.js';

export class AudioInput {
  #resampler: Resampler | undefined;
  #pending = new Float32Array(8192);
  #start = 0;
  #end = 0;

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
      if (this.#resampler) this.#append(this.#takeTail());
      if (frame.channels === 1) this.#appendPcm(frame.data);
      else this.#append(mixdown(frame.data, frame.channels));
      return;
    }
    const mono = mixdown(frame.data, frame.channels);
    if (this.#resampler && this.#resampler.inRate !== frame.sampleRate) this.#append(this.#takeTail());
    this.#resampler ??= new Resampler(frame.sampleRate, this.sampleRate);
    this.#append(this.#resampler.push(mono));
  }

  /** Everything pushed becomes whole windows: the resampler's tail, then silence up to a window. */
  flush(): void {
    if (this.#resampler) this.#append(this.#takeTail());
    const partial = (this.#end - this.#start) % this.windowSamples;
    if (partial > 0) this.#append(new Float32Array(this.windowSamples - partial));
  }

  /** Copies the next window into `target` at `offset`; only when `windows` > 0. */
  takeInto(target: Float32Array, offset: number): void {
    target.set(this.#pending.subarray(this.#start, this.#start + this.windowSamples), offset);
    this.#start += this.windowSamples;
    if (this.#start === this.#end) this.#start = this.#end = 0;
  }

  #takeTail(): Float32Array {
    const tail = this.#resampler!.flush();
    this.#resampler = undefined;
    return tail;
  }

  /** 16-bit mono samples, converted as they are appended (no copy in between: this runs for every frame). */
  #appendPcm(samples: Int16Array): void {
    this.#reserve(samples.length);
    const pending = this.#pending;
    const at = this.#end;
    for (let i = 0; i < samples.length; i++) pending[at + i] = samples[i]! / 32768;
    this.#end += samples.length;
  }

  #append(samples: Float32Array): void {
    this.#reserve(samples.length);
    this.#pending.set(samples, this.#end);
    this.#end += samples.length;
  }

  /** Room for `count` more samples after the end. */
  #reserve(count: number): void {
    if (this.#end + count > this.#pending.length) {
      const live = this.#end - this.#start;
      if (this.#pending.length >= 2 * (live + count)) {
        this.#pending.copyWithin(0, this.#start, this.#end);
      } else {
        const grown = new Float32Array(2 * (live + count));
        grown.set(this.#pending.subarray(this.#start, this.#end));
        this.#pending = grown;
      }
      this.#start = 0;
      this.#end = live;
    }
  }
}
