/**
 * Mono mixdown and band-limited sample-rate conversion for speech.
 *
 * The resampler is a polyphase windowed-sinc filter (Kaiser window, β = 8, about 80 dB of stopband
 * rejection) whose cutoff is 0.44 × the lower of the two rates, 24 zero crossings on each side:
 * flat to about 6 kHz at 16 kHz out, nothing above the output's Nyquist folds back into the speech
 * band. Output sample k is the input signal at time k × inRate / outRate exactly (no added delay),
 * so n input samples give ceil(n × outRate / inRate) output samples once flushed, and timestamps
 * mean the same thing on both sides. It is streaming: push any chunk sizes, the output is the same
 * as resampling the whole signal at once.
 */

/** Interleaved 16-bit PCM to mono float samples in [-1, 1): the channels are averaged. */
export function mixdown(data: Int16Array, channels: number): Float32Array {
  if (!Number.isInteger(channels) || channels <= 0) throw new RangeError(`channels must be a positive integer, got ${channels}`);
  const frames = Math.floor(data.length / channels);
  const out = new Float32Array(frames);
  if (channels === 1) {
    for (let i = 0; i < frames; i++) out[i] = data[i]! / 32768;
    return out;
  }
  const scale = 1 / (32768 * channels);
  for (let i = 0, j = 0; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += data[j++]!;
    out[i] = sum * scale;
  }
  return out;
}

/** Float samples to 16-bit PCM, rounded and clipped. */
export function toInt16(samples: Float32Array): Int16Array {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = pcmSample(samples[i]!);
  return out;
}

/** One float sample in [-1, 1] as a 16-bit one (rounded, clamped). */
export function pcmSample(sample: number): number {
  const v = Math.round(sample * 32768);
  return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
}

const ZERO_CROSSINGS = 24;
const CUTOFF = 0.44;
const KAISER_BETA = 8;

interface Filter {
  /** Output steps through phases 0..phases-1; each is a row of `taps` coefficients. */
  phases: number;
  /** Input samples per output sample: step = intStep + fracStep / phases. */
  intStep: number;
  fracStep: number;
  /** Taps on each side of the output time. */
  half: number;
  taps: number;
  table: Float32Array;
}

const filters = new Map<string, Filter>();

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Modified Bessel function of the first kind, order 0 (power series). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 64; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}

function filterFor(inRate: number, outRate: number): Filter {
  const key = `${inRate}:${outRate}`;
  const cached = filters.get(key);
  if (cached) return cached;
  const g = gcd(inRate, outRate);
  const phases = outRate / g;
  const step = inRate / g;
  // Cutoff as a fraction of the input rate; the kernel spans ZERO_CROSSINGS of it on each side.
  const fc = (CUTOFF * Math.min(inRate, outRate)) / inRate;
  const half = Math.ceil(ZERO_CROSSINGS / (2 * fc));
  const taps = 2 * half;
  const table = new Float32Array(phases * taps);
  const i0Beta = besselI0(KAISER_BETA);
  for (let p = 0; p < phases; p++) {
    const frac = p / phases;
    let sum = 0;
    for (let m = 0; m < taps; m++) {
      // Distance from the output time to input sample (ipos - half + 1 + m).
      const x = frac + half - 1 - m;
      const u = x / half;
      const window = Math.abs(u) >= 1 ? 0 : besselI0(KAISER_BETA * Math.sqrt(1 - u * u)) / i0Beta;
      const arg = 2 * fc * x;
      const sinc = arg === 0 ? 1 : Math.sin(Math.PI * arg) / (Math.PI * arg);
      const c = 2 * fc * sinc * window;
      table[p * taps + m] = c;
      sum += c;
    }
    // Unity gain at DC for every phase.
    for (let m = 0; m < taps; m++) table[p * taps + m]! /= sum;
  }
  const filter: Filter = { phases, intStep: Math.floor(step / phases), fracStep: step % phases, half, taps, table };
  filters.set(key, filter);
  return filter;
}

export class Resampler {
  readonly #filter: Filter;
  /** Input samples not yet consumed; buf[0] is absolute input sample `#bufStart`. */
  #buf: Float32Array;
  #bufLen = 0;
  #bufStart = 0;
  /** Real input samples pushed since the start (or the last flush). */
  #pushed = 0;
  /** The next output's input position: integer part and phase. */
  #ipos = 0;
  #phase = 0;

  constructor(
    readonly inRate: number,
    readonly outRate: number,
  ) {
    for (const [name, rate] of [['input', inRate], ['output', outRate]] as const) {
      if (!Number.isInteger(rate) || rate <= 0) throw new RangeError(`${name} sample rate must be a positive integer, got ${rate}`);
    }
    this.#filter = filterFor(inRate, outRate);
    this.#buf = new Float32Array(Math.max(4096, 4 * this.#filter.taps));
    this.#reset();
  }

  #reset(): void {
    // Silence before the first sample: the first output is centred on input sample 0.
    const lead = this.#filter.half - 1;
    this.#buf.fill(0, 0, lead);
    this.#bufLen = lead;
    this.#bufStart = -lead;
    this.#pushed = 0;
    this.#ipos = 0;
    this.#phase = 0;
  }

  /** Resamples a chunk; returns what can be computed so far (the rest comes with later input or flush). */
  push(input: Float32Array): Float32Array {
    this.#append(input);
    this.#pushed += input.length;
    return this.#drain(this.#pushed - this.#filter.half);
  }

  /** The tail of the signal (its end padded with silence), then starts over as a new signal. */
  flush(): Float32Array {
    this.#append(new Float32Array(this.#filter.half));
    const out = this.#drain(this.#pushed);
    this.#reset();
    return out;
  }

  /** Computes every output whose integer input position is below `limit`. */
  #drain(limit: number): Float32Array {
    const { phases, intStep, fracStep, taps, table, half } = this.#filter;
    let count = 0;
    for (let ipos = this.#ipos, phase = this.#phase; ipos < limit; count++) {
      ipos += intStep;
      phase += fracStep;
      if (phase >= phases) {
        phase -= phases;
        ipos++;
      }
    }
    const out = new Float32Array(count);
    const buf = this.#buf;
    for (let k = 0; k < count; k++) {
      const first = this.#ipos - half + 1 - this.#bufStart;
      const row = this.#phase * taps;
      let acc = 0;
      for (let m = 0; m < taps; m++) acc += buf[first + m]! * table[row + m]!;
      out[k] = acc;
      this.#ipos += intStep;
      this.#phase += fracStep;
      if (this.#phase >= phases) {
        this.#phase -= phases;
        this.#ipos++;
      }
    }
    this.#discardBefore(this.#ipos - half + 1);
    return out;
  }

  #append(input: Float32Array): void {
    if (this.#bufLen + input.length > this.#buf.length) {
      const grown = new Float32Array(Math.max(this.#buf.length * 2, this.#bufLen + input.length));
      grown.set(this.#buf.subarray(0, this.#bufLen));
      this.#buf = grown;
    }
    this.#buf.set(input, this.#bufLen);
    this.#bufLen += input.length;
  }

  #discardBefore(absolute: number): void {
    const drop = Math.min(absolute - this.#bufStart, this.#bufLen);
    if (drop <= 0) return;
    this.#buf.copyWithin(0, drop, this.#bufLen);
    this.#bufLen -= drop;
    this.#bufStart += drop;
  }
}

/** Resamples a whole signal: ceil(n × outRate / inRate) samples. */
export function resample(input: Float32Array, inRate: number, outRate: number): Float32Array {
  if (inRate === outRate) return input.slice();
  const resampler = new Resampler(inRate, outRate);
  const head = resampler.push(input);
  const tail = resampler.flush();
  const out = new Float32Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}
