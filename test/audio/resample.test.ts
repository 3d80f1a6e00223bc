/**
 * The resampler on tones: the output must be the same tone sampled at the new rate (frequency,
 * amplitude and timing kept), as long as the rates say, with what lies above the new Nyquist
 * frequency removed rather than folded back; streaming in any chunk sizes gives the same samples.
 */
import { describe, expect, it } from 'vitest';
import { mixdown, resample, Resampler, toInt16 } from '../../src/audio/resample.js';

function sine(hz: number, rate: number, n: number, amplitude = 0.5): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = amplitude * Math.sin((2 * Math.PI * hz * i) / rate);
  return out;
}

function rms(x: Float32Array, from = 0, to = x.length): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += x[i]! ** 2;
  return Math.sqrt(sum / (to - from));
}

/** Frequency from the upward zero crossings, interpolated. */
function frequencyOf(x: Float32Array, rate: number): number {
  const crossings: number[] = [];
  for (let i = 1; i < x.length; i++) {
    if (x[i - 1]! < 0 && x[i]! >= 0) crossings.push(i - 1 + -x[i - 1]! / (x[i]! - x[i - 1]!));
  }
  return ((crossings.length - 1) * rate) / (crossings.at(-1)! - crossings[0]!);
}

describe('resample', () => {
  it.each([
    [48000, 16000, 1000],
    [44100, 16000, 1000],
    [22050, 16000, 3000],
    [8000, 16000, 440],
    [16000, 8000, 440],
    [16000, 48000, 1000],
    [11025, 16000, 2000],
    [48000, 16000, 5000],
  ])('%i Hz → %i Hz keeps a %i Hz tone: frequency, amplitude and phase', (inRate, outRate, hz) => {
    const input = sine(hz, inRate, inRate); // one second
    const output = resample(input, inRate, outRate);
    expect(output.length).toBe(outRate);
    expect(Math.abs(frequencyOf(output, outRate) - hz)).toBeLessThan(0.1);
    const edge = outRate / 100; // the first and last 10 ms see the silence around the signal
    expect(rms(output, edge, output.length - edge) / rms(input)).toBeCloseTo(1, 3);
    // Sample by sample it is the tone at the new rate: no delay, no phase shift.
    const ideal = sine(hz, outRate, output.length);
    let worst = 0;
    for (let i = edge; i < output.length - edge; i++) worst = Math.max(worst, Math.abs(output[i]! - ideal[i]!));
    expect(worst).toBeLessThan(1e-3);
  });

  it('lengths: n samples give ceil(n × out / in)', () => {
    for (const [inRate, outRate] of [
      [48000, 16000],
      [44100, 16000],
      [8000, 16000],
      [16000, 8000],
      [22050, 16000],
      [16000, 44100],
    ] as const) {
      for (const n of [0, 1, 2, 3, 7, 100, 441, 1000, 4801]) {
        expect(resample(new Float32Array(n), inRate, outRate).length, `${n} at ${inRate} → ${outRate}`).toBe(Math.ceil((n * outRate) / inRate));
      }
    }
  });

  it('removes what is above the new Nyquist frequency instead of folding it into the speech band', () => {
    // At 16 kHz a 9, 12 or 20 kHz tone would alias to 7, 4 or 4 kHz.
    for (const hz of [9000, 12000, 20000]) {
      const output = resample(sine(hz, 48000, 48000), 48000, 16000);
      expect(rms(output, 200, output.length - 200) / rms(sine(hz, 48000, 48000)), `${hz} Hz`).toBeLessThan(1e-3);
    }
    // Upsampling adds no images: a 3 kHz tone at 8 kHz → 16 kHz has nothing at 5 kHz.
    const up = resample(sine(3000, 8000, 8000), 8000, 16000);
    const ideal = sine(3000, 16000, 16000);
    const residue = up.map((v, i) => v - ideal[i]!);
    expect(rms(residue, 200, 16000 - 200)).toBeLessThan(1e-3);
  });

  it('keeps DC and passes the same rate through unchanged', () => {
    const dc = resample(new Float32Array(4410).fill(0.25), 44100, 16000);
    for (let i = 100; i < dc.length - 100; i++) expect(dc[i]).toBeCloseTo(0.25, 5);
    const x = sine(440, 16000, 100);
    expect(resample(x, 16000, 16000)).toEqual(x);
  });

  it('streams: any chunk sizes give the same samples as the whole signal at once', () => {
    const input = sine(1000, 44100, 44100);
    const whole = resample(input, 44100, 16000);
    const resampler = new Resampler(44100, 16000);
    const parts: number[] = [];
    let at = 0;
    for (let k = 1; at < input.length; k++) {
      const size = (k * 7919) % 700; // includes empty chunks
      parts.push(...resampler.push(input.subarray(at, at + size)));
      at += size;
    }
    parts.push(...resampler.flush());
    expect(Float32Array.from(parts)).toEqual(whole);
  });

  it('after flush() it starts over as a new signal', () => {
    const resampler = new Resampler(48000, 16000);
    const x = sine(1000, 48000, 4800);
    const first = [...resampler.push(x), ...resampler.flush()];
    const second = [...resampler.push(x), ...resampler.flush()];
    expect(second).toEqual(first);
    expect(first).toHaveLength(1600);
  });

  it('rejects rates that are not positive integers', () => {
    expect(() => new Resampler(0, 16000)).toThrow(/input sample rate must be a positive integer/);
    expect(() => new Resampler(16000, 22050.5)).toThrow(/output sample rate/);
  });
});

describe('mixdown and toInt16', () => {
  it('averages interleaved channels into floats in [-1, 1)', () => {
    expect(mixdown(Int16Array.from([32767, -32768, 16384, 0]), 1)).toEqual(Float32Array.from([32767 / 32768, -1, 0.5, 0]));
    expect(mixdown(Int16Array.from([1000, 3000, -32768, -32768, 16384, -16384]), 2)).toEqual(Float32Array.from([2000 / 32768, -1, 0]));
    expect(mixdown(Int16Array.from([3, 6, 9]), 3)).toEqual(Float32Array.from([6 / 32768]));
    expect(() => mixdown(new Int16Array(4), 0)).toThrow(RangeError);
  });

  it('rounds and clips back to 16 bits', () => {
    expect(toInt16(Float32Array.from([0, 0.5, -0.5, 1, -1, 2, -2, 1 / 65536 + 1e-7]))).toEqual(
      Int16Array.from([0, 16384, -16384, 32767, -32768, 32767, -32768, 1]),
    );
    const pcm = Int16Array.from([-32768, -1, 0, 1, 12345, 32767]);
    expect(toInt16(mixdown(pcm, 1))).toEqual(pcm);
  });
});
