/**
 * Cuts a segment's raw pcm_s16le bytes, as they arrive in chunks of any size, into frames of a
 * fixed duration (20 ms). The newest whole frame is held back until more audio or the end of the
 * segment comes, so the segment's last frame can be marked final when it is handed out.
 */
export class PcmFramer {
  readonly #frameBytes: number;
  #pending = new Uint8Array(0);
  #held: Int16Array | undefined;

  constructor(sampleRate: number, channels: number, frameMs = 20) {
    this.#frameBytes = Math.max(1, Math.round((sampleRate * frameMs) / 1000)) * channels * 2;
  }

  /** Adds audio bytes; returns the frames that are certainly not the last of the segment. */
  push(bytes: Uint8Array): Int16Array[] {
    const data = concat(this.#pending, bytes);
    const frames: Int16Array[] = [];
    let offset = 0;
    for (; offset + this.#frameBytes <= data.length; offset += this.#frameBytes) {
      if (this.#held) frames.push(this.#held);
      this.#held = toSamples(data, offset, this.#frameBytes);
    }
    this.#pending = data.slice(offset);
    return frames;
  }

  /**
   * Ends the segment: returns the frames left, the last one (possibly shorter) to be marked final.
   * A trailing odd byte (half a sample) is dropped.
   */
  end(): Int16Array[] {
    const frames = this.#held ? [this.#held] : [];
    const whole = this.#pending.length - (this.#pending.length % 2);
    if (whole > 0) frames.push(toSamples(this.#pending, 0, whole));
    this.#held = undefined;
    this.#pending = new Uint8Array(0);
    return frames;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Little-endian 16-bit samples, whatever the platform's byte order. */
function toSamples(bytes: Uint8Array, offset: number, length: number): Int16Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, length);
  const samples = new Int16Array(length / 2);
  for (let i = 0; i < samples.length; i++) samples[i] = view.getInt16(i * 2, true);
  return samples;
}
