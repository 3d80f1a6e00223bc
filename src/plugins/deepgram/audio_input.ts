/**
 * Audio as Deepgram receives it: mono linear16 at one sample rate. Frames of other rates go through
 * the streaming band-limited resampler of src/audio/resample.ts, whose output lags its input by the
 * filter's half-length until `flush()`; channels are averaged.
 */
import { endianness } from 'node:os';
import { checkAudioFrame, type AudioFrame } from '../../audio/audio_frame.js';
import { mixdown, Resampler, toInt16 } from '../../audio/resample.js';

const BIG_ENDIAN_HOST = endianness() === 'BE';

export class Linear16Encoder {
  #resampler: Resampler | undefined;

  constructor(readonly sampleRate: number) {}

  /**
   * The samples of `frame` ready to send (fewer, or none, while the resampler fills up). A mono
   * frame at the encoder's rate gives its own samples: copy them to keep them (the caller of
   * pushFrame may reuse its frame's buffer).
   */
  encode(frame: AudioFrame): Int16Array {
    checkAudioFrame(frame);
    const tail = this.#resampler && this.#resampler.inRate !== frame.sampleRate ? this.flush() : undefined;
    let out: Int16Array;
    if (frame.sampleRate === this.sampleRate) {
      out = frame.channels === 1 ? frame.data : toInt16(mixdown(frame.data, frame.channels));
    } else {
      this.#resampler ??= new Resampler(frame.sampleRate, this.sampleRate);
      out = toInt16(this.#resampler.push(mixdown(frame.data, frame.channels)));
    }
    return tail && tail.length > 0 ? concat(tail, out) : out;
  }

  /** What the resampler still holds (the end of the signal, padded with silence); empty when not resampling. */
  flush(): Int16Array {
    const resampler = this.#resampler;
    this.#resampler = undefined;
    return resampler ? toInt16(resampler.flush()) : new Int16Array(0);
  }
}

/** Duration of `samples` mono samples at `sampleRate`, in ms. */
export function durationMs(samples: number, sampleRate: number): number {
  return (samples / sampleRate) * 1000;
}

/** The bytes of linear16 (little-endian) audio, whatever the host's byte order. */
export function linear16Bytes(samples: Int16Array): Uint8Array {
  if (!BIG_ENDIAN_HOST) return new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
  const out = new Uint8Array(samples.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < samples.length; i++) view.setInt16(i * 2, samples[i]!, true);
  return out;
}

function concat(a: Int16Array, b: Int16Array): Int16Array {
  const out = new Int16Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
