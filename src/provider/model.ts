/** What every model plugin reports besides its results: failures and measurements. */
import { EventEmitter } from '../events/emitter.js';
import type { ModelMetrics } from './metrics.js';
import type { ProviderError } from './provider_error.js';

export type ModelEvents = {
  /** A failure; `error.recoverable` says whether the call goes on (a retry) or has failed. */
  error: (error: ProviderError) => void;
  metrics_collected: (metrics: ModelMetrics) => void;
};

/** Base of the model plugins: an emitter of `error` and `metrics_collected`. */
export abstract class Model extends EventEmitter<ModelEvents> {
  /** provider/model, e.g. "deepgram/nova-3". */
  abstract readonly label: string;
}
