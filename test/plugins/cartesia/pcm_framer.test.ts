import { describe, expect, it } from 'vitest';
import { PcmFramer } from '../../../src/plugins/cartesia/pcm_framer.js';

const pcm = (...values: number[]) => {
  const bytes = new Uint8Array(values.length * 2);
  const view = new DataView(bytes.buffer);
  values.forEach((value, i) => view.setInt16(i * 2, value, true));
  return bytes;
};

describe('PcmFramer', () => {
  it('cuts little-endian samples into 20 ms frames across chunk boundaries, holding the newest back', () => {
    const framer = new PcmFramer(200, 1); // 4 samples per 20 ms frame
    expect(framer.push(pcm(1, -2, 3))).toEqual([]);
    expect(framer.push(pcm(-32768, 32767))).toEqual([]); // one whole frame, held back
    const bytes = pcm(6, 7, 8, 9, 10);
    // A sample split between two chunks is put back together.
    expect(framer.push(bytes.subarray(0, 3))).toEqual([]);
    expect(framer.push(bytes.subarray(3))).toEqual([Int16Array.from([1, -2, 3, -32768])]);
    expect(framer.end()).toEqual([Int16Array.from([32767, 6, 7, 8]), Int16Array.from([9, 10])]);
    expect(framer.end()).toEqual([]);
  });

  it('ends with the held frame alone when the audio divides evenly, and counts channels', () => {
    const framer = new PcmFramer(100, 2); // 2 samples × 2 channels per frame
    expect(framer.push(pcm(1, 2, 3, 4, 5, 6, 7, 8))).toEqual([Int16Array.from([1, 2, 3, 4])]);
    expect(framer.end()).toEqual([Int16Array.from([5, 6, 7, 8])]);
  });
});
