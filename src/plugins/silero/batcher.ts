/**
 * Windows of many streams share ORT calls. A stream hands in one window at a time (its RNN state
 * depends on the previous one); the batcher runs the waiting windows together, up to `maxBatch`
 * per call, one call at a time. When idle it waits for the current turn of the event loop to end
 * before the first call (setImmediate), so streams fed in the same turn share it; windows that
 * arrive during a call go in the next one. With `maxBatch` 1 every window is its own call, at once.
 *
 * It holds a window only while it waits or runs: nothing of a stream stays here after its window
 * is answered or withdrawn.
 */
import type { ModelSampleRate, SileroModel, WindowInput, WindowOutput } from './model.js';

export interface WindowResult extends WindowOutput {
  /** Wall time of the ORT call that answered this window (shared by the windows of the batch). */
  inferenceDurationMs: number;
  /** Windows in that call. */
  batchSize: number;
}

interface Pending {
  window: WindowInput;
  resolve: (result: WindowResult) => void;
  reject: (error: unknown) => void;
}

export class InferenceBatcher {
  #queue: Pending[] = [];
  #running = false;
  #scheduled = false;
  #idle: Array<() => void> = [];

  constructor(
    readonly model: SileroModel,
    readonly sampleRate: ModelSampleRate,
    readonly maxBatch: number,
  ) {
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError(`batch must be a positive integer, got ${maxBatch}`);
  }

  /** Windows waiting for a call. */
  get waiting(): number {
    return this.#queue.length;
  }

  /** Resolves once no call is under way or scheduled. */
  whenIdle(): Promise<void> {
    if (!this.#running && !this.#scheduled && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /**
   * Infers one window. `signal` withdraws it if its call has not started (the promise then never
   * settles: the caller stopped listening); a window already in a call is answered anyway.
   */
  infer(window: WindowInput, signal?: AbortSignal): Promise<WindowResult> {
    return new Promise<WindowResult>((resolve, reject) => {
      const withdraw = () => {
        const at = this.#queue.indexOf(entry);
        if (at >= 0) this.#queue.splice(at, 1);
      };
      const entry: Pending = {
        window,
        resolve: (result) => {
          signal?.removeEventListener('abort', withdraw);
          resolve(result);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', withdraw);
          reject(error);
        },
      };
      if (signal?.aborted) return;
      signal?.addEventListener('abort', withdraw, { once: true });
      this.#queue.push(entry);
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#running || this.#scheduled) return;
    if (this.maxBatch === 1) {
      void this.#drain();
      return;
    }
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.maxBatch);
        const started = performance.now();
        try {
          const outputs = await this.model.run(
            this.sampleRate,
            batch.map((entry) => entry.window),
          );
          const inferenceDurationMs = performance.now() - started;
          batch.forEach((entry, i) => entry.resolve({ ...outputs[i]!, inferenceDurationMs, batchSize: batch.length }));
        } catch (error) {
          for (const entry of batch) entry.reject(error);
        }
      }
    } finally {
      this.#running = false;
      if (!this.#scheduled && this.#queue.length === 0) for (const resolve of this.#idle.splice(0)) resolve();
    }
  }
}
