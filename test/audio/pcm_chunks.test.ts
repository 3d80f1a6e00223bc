/** PcmChunks: whatever the sizes pushed, chunks of the fixed size in order, the rest on flush. */
import { describe, expect, it } from 'vitest';
import { PcmChunks } from '../../src/audio/pcm_chunks.js';

const ramp = (from: number, length: number) => Int16Array.from({ length }, (_, i) => from + i);

function collect(size: number) {
  const chunks: Int16Array[] = [];
  return { chunks, pcm: new PcmChunks(size, (chunk) => chunks.push(chunk)) };
}

describe('PcmChunks', () => {
  it('cuts pushes of any size into whole chunks, samples in order, the rest kept until flush', () => {
    const { chunks, pcm } = collect(4);
    pcm.push(ramp(0, 3));
    expect(chunks).toEqual([]);
    expect(pcm.pending).toBe(3);
    pcm.push(ramp(3, 10)); // completes two chunks, leaves one sample
    pcm.push(new Int16Array(0));
    expect(chunks.map((chunk) => Array.from(chunk))).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9, 10, 11],
    ]);
    pcm.flush();
    expect(chunks.map((chunk) => Array.from(chunk)).at(-1)).toEqual([12]);
    expect(pcm.pending).toBe(0);
    pcm.flush(); // nothing pending: nothing handed over
    expect(chunks).toHaveLength(4);
  });

  it('hands over arrays the receiver keeps: later pushes and the caller reusing its buffer change none', () => {
    const { chunks, pcm } = collect(2);
    const buffer = ramp(1, 2);
    pcm.push(buffer);
    buffer.fill(-1); // the caller reuses its frame's buffer
    pcm.push(buffer);
    pcm.push(ramp(9, 1));
    pcm.flush();
    expect(chunks.map((chunk) => Array.from(chunk))).toEqual([[1, 2], [-1, -1], [9]]);
  });

  it('clear() drops what is pending', () => {
    const { chunks, pcm } = collect(4);
    pcm.push(ramp(0, 3));
    pcm.clear();
    pcm.push(ramp(10, 4));
    expect(chunks.map((chunk) => Array.from(chunk))).toEqual([[10, 11, 12, 13]]);
  });

  it('refuses a chunk size that is not a whole number of samples ≥ 1', () => {
    for (const size of [0, -1, 1.5, Number.NaN]) expect(() => new PcmChunks(size, () => {})).toThrow(RangeError);
  });
});
