/**
 * Mono 16-bit PCM cut into chunks of a fixed number of samples, whatever the size of what comes in
 * (as agents-js's AudioByteStream for its STT plugins' 50 ms messages): a stream sends one message
 * per chunk instead of one per frame.
 */
export class PcmChunks {
  #chunk: Int16Array;
  #filled = 0;

  /** @param onChunk gets each completed chunk, a new array it may keep. */
  constructor(
    readonly samplesPerChunk: number,
    private readonly onChunk: (chunk: Int16Array) => void,
  ) {
    if (!Number.isInteger(samplesPerChunk) || samplesPerChunk < 1) throw new RangeError(`a chunk holds a whole number of samples ≥ 1, got ${samplesPerChunk}`);
    this.#chunk = new Int16Array(samplesPerChunk);
  }

  /** Samples waiting for their chunk to fill. */
  get pending(): number {
    return this.#filled;
  }

  /** Adds `samples` (copied), handing over every chunk they complete. */
  push(samples: Int16Array): void {
    for (let at = 0; at < samples.length; ) {
      const taken = Math.min(samples.length - at, this.samplesPerChunk - this.#filled);
      this.#chunk.set(samples.subarray(at, at + taken), this.#filled);
      this.#filled += taken;
      at += taken;
      if (this.#filled === this.samplesPerChunk) this.#handOver(this.#chunk);
    }
  }

  /** Hands over what is pending as a shorter chunk (nothing when nothing is). */
  flush(): void {
    if (this.#filled > 0) this.#handOver(this.#chunk.slice(0, this.#filled));
  }

  /** Drops what is pending. */
  clear(): void {
    this.#filled = 0;
  }

  #handOver(chunk: Int16Array): void {
    if (chunk === this.#chunk) this.#chunk = new Int16Array(this.samplesPerChunk);
    this.#filled = 0;
    this.onChunk(chunk);
  }
}
