/**
 * Windows of many streams share ORT calls. A stream hands in one window at a time (its RNN state
 * depends on the previous one); the batcher runs the waiting windows together, up to `maxBatch`
 * per call, one call at a time.
 *
 * When to call: the streams that use the batcher join it, so it knows whose windows may still
 * come. Once every joined stream has a window waiting (or `maxBatch` are waiting), the call starts
 * at the end of the current turn of the event loop (setImmediate: streams fed in the same turn
 * share it). Otherwise the first waiting window waits at most `maxWaitMs` for the others: streams
 * fed in real time are spread over a window's duration, so without waiting they would never meet.
 * Windows that arrive during a call go in the next one, at once. With `maxBatch` 1 every window is
 * its own call, at once.
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
  /** The call about to start at the end of this turn of the event loop. */
  #immediate: NodeJS.Immediate | undefined;
  /** The first waiting window's deadline. */
  #timer: NodeJS.Timeout | undefined;
  #idle: Array<() => void> = [];
  #members = 0;

  constructor(
    readonly model: SileroModel,
    readonly sampleRate: ModelSampleRate,
    readonly maxBatch: number,
    /** Most ms a window waits for the windows of the other streams (0: only for this turn of the event loop). */
    readonly maxWaitMs = 0,
  ) {
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError(`batch must be a positive integer, got ${maxBatch}`);
    if (!Number.isFinite(maxWaitMs) || maxWaitMs < 0) throw new RangeError(`the batch wait must be a number of ms ≥ 0, got ${maxWaitMs}`);
  }

  /** A stream joins: its windows are waited for. Returns its leave(), to call once it ends (more calls do nothing). */
  join(): () => void {
    this.#members++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.#members--;
      // The others may have been waiting for this stream's next window.
      this.#schedule();
    };
  }

  /** Windows waiting for a call. */
  get waiting(): number {
    return this.#queue.length;
  }

  /** Resolves once no call is under way or scheduled. */
  whenIdle(): Promise<void> {
    if (!this.#running && !this.#scheduled() && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /**
   * Infers one window. Once `signal` aborts it resolves undefined at once: a window still waiting is
   * withdrawn; one already in a call is answered to nobody.
   */
  infer(window: WindowInput, signal?: AbortSignal): Promise<WindowResult | undefined> {
    if (signal?.aborted) return Promise.resolve(undefined);
    return new Promise<WindowResult | undefined>((resolve, reject) => {
      const entry: Pending = {
        window,
        resolve: (result) => {
          signal?.removeEventListener('abort', abandon);
          resolve(result);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', abandon);
          reject(error);
        },
      };
      const abandon = () => {
        const at = this.#queue.indexOf(entry);
        if (at >= 0) this.#queue.splice(at, 1);
        resolve(undefined);
      };
      signal?.addEventListener('abort', abandon, { once: true });
      this.#queue.push(entry);
      this.#schedule();
    });
  }

  #scheduled(): boolean {
    return this.#immediate !== undefined || this.#timer !== undefined;
  }

  #schedule(): void {
    if (this.#running || this.#queue.length === 0) return; // the call under way takes them next
    if (this.maxBatch === 1) {
      void this.#drain();
      return;
    }
    const everyone = this.#queue.length >= Math.min(this.maxBatch, Math.max(1, this.#members));
    if (everyone || this.maxWaitMs === 0) {
      if (this.#immediate !== undefined) return;
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#immediate = setImmediate(() => {
        this.#immediate = undefined;
        void this.#drain();
      });
      return;
    }
    if (this.#timer !== undefined || this.#immediate !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#drain();
    }, this.maxWaitMs);
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
      if (!this.#scheduled() && this.#queue.length === 0) for (const resolve of this.#idle.splice(0)) resolve();
    }
  }
}
