/**
 * Batching: collects the payloads of one event and hands them over in batches, when `maxSize`
 * have gathered or `intervalMs` after the first of a batch, whichever comes first. For handlers
 * whose work is cheaper in bulk (writing rows, sending analytics).
 *
 *   const batcher = new EventBatcher(runtime, 'message:received', {
 *     maxSize: 100, intervalMs: 1000, onBatch: (payloads) => store.insert(payloads),
 *   });
 *   ...
 *   await batcher.stop(); // hands over what is left
 */
import { ListenerError } from '../errors.js';
import { log } from '../log/logger.js';
import { checkTimeout } from './deadline.js';
import type { RuntimeEventRegistry, RuntimeEventType } from './registry.js';
import type { AgentRuntime } from './runtime.js';

export interface EventBatcherOptions<K extends RuntimeEventType> {
  /** A batch is handed over as soon as it holds this many payloads. */
  maxSize: number;
  /** ...or this many ms after its first payload arrived. */
  intervalMs: number;
  /** Receives each batch, oldest payload first. A failure is logged and reported as `error`. */
  onBatch: (payloads: Array<RuntimeEventRegistry[K]>) => unknown;
}

export class EventBatcher<K extends RuntimeEventType> {
  readonly #runtime: AgentRuntime;
  readonly #type: K;
  readonly #options: EventBatcherOptions<K>;
  #batch: Array<RuntimeEventRegistry[K]> = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #deliveries: Promise<void> = Promise.resolve();
  #stopped = false;
  readonly #collect = (payload: RuntimeEventRegistry[K]) => {
    this.#batch.push(payload);
    if (this.#batch.length >= this.#options.maxSize) void this.flush();
    else this.#timer ??= setTimeout(() => void this.flush(), this.#options.intervalMs);
  };

  constructor(runtime: AgentRuntime, type: K, options: EventBatcherOptions<K>) {
    if (!Number.isInteger(options?.maxSize) || options.maxSize < 1) throw new TypeError(`maxSize must be an integer >= 1, got ${String(options?.maxSize)}`);
    checkTimeout(options.intervalMs, 'intervalMs');
    if (typeof options.onBatch !== 'function') throw new TypeError('onBatch must be a function');
    this.#runtime = runtime;
    this.#type = type;
    this.#options = { ...options };
    runtime.on(type, this.#collect);
  }

  /** Payloads waiting for their batch. */
  get pending(): number {
    return this.#batch.length;
  }

  /** Hands over the current batch now (if any); resolves once onBatch has settled. */
  flush(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#batch.length === 0) return this.#deliveries;
    const batch = this.#batch;
    this.#batch = [];
    // Batches are handed over one at a time, in order, even when onBatch is slow.
    this.#deliveries = this.#deliveries.then(() => this.#deliver(batch));
    return this.#deliveries;
  }

  /** Stops collecting and hands over what is left. */
  stop(): Promise<void> {
    if (!this.#stopped) {
      this.#stopped = true;
      this.#runtime.off(this.#type, this.#collect);
    }
    return this.flush();
  }

  async #deliver(batch: Array<RuntimeEventRegistry[K]>): Promise<void> {
    try {
      await this.#options.onBatch(batch);
    } catch (cause) {
      const error = new ListenerError(`${this.#type} (batch)`, cause);
      log().error({ err: cause, event: this.#type, size: batch.length }, error.message);
      void this.#runtime.emit('error', { eventType: this.#type, error, source: 'handler' });
    }
  }
}
