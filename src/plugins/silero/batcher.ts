/**
 * Windows of many streams share ORT calls. A stream has one window in a call at a time (its RNN
 * state depends on the previous one): it says when it has a window ready, the batcher takes the
 * windows of the ready streams when a call starts, up to `maxBatch` per call, one call at a time,
 * and hands each stream its answer at once when the call returns (no promise per window: this
 * runs for every 32 ms of every stream).
 *
 * When to call: the streams that use the batcher join it, so it knows whose windows may still
 * come. Once every joined stream has a window ready (or `maxBatch` have), the call starts at once
 * (onnxruntime-node runs it at the end of the current turn of the event loop). Otherwise, with
 * `maxWaitMs` 0, it starts at the end of this turn (setImmediate: streams fed in the same turn
 * share it), else the first ready window waits at most `maxWaitMs` for the others: streams fed in real
 * time are spread over a window's duration, so without waiting they would never meet. Streams
 * that become ready during a call go in the next one, at once. With `maxBatch` 1 every window is
 * its own call, at once.
 *
 * It holds a stream only while it is joined: nothing of it stays here after it leaves.
 */
import { rowWidth, STATE_SIZE, type BatchOutput, type ModelSampleRate, type SileroModel, type WindowBatch } from './model.js';

/** A stream, as the batcher sees it. */
export interface BatchMember {
  /**
   * Writes its ready window, as the call starts, into row `i` of the batch's `input` (its context
   * then the window) and its state into rows i and n + i of the batch's `state`.
   */
  fill(input: Float32Array, state: Float32Array, n: number, i: number): void;
  /** The answer to that window (read it now: the arrays are the call's), and the call's wall time (shared by the batch). */
  answered(output: BatchOutput, n: number, i: number, inferenceDurationMs: number): void;
  /** The call with that window failed. */
  failed(error: unknown): void;
}

export class InferenceBatcher {
  /** Members with a window ready, in the order they said so. */
  #ready: BatchMember[] = [];
  readonly #members = new Set<BatchMember>();
  #running = false;
  /** The call about to start at the end of this turn of the event loop. */
  #immediate: NodeJS.Immediate | undefined;
  /** The first ready window's deadline. */
  #timer: NodeJS.Timeout | undefined;
  #idle: Array<() => void> = [];
  /**
   * The calls' input and state, reused from call to call (one call at a time, and ORT is done with
   * them once its call returns): a batch of n windows is a view of their first n rows, the same
   * view each time, so the model keeps one tensor per batch size instead of building one per call.
   */
  #buffers: { input: Float32Array; state: Float32Array } | undefined;
  readonly #views = new Map<number, WindowBatch>();

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
  join(member: BatchMember): () => void {
    this.#members.add(member);
    return () => {
      if (!this.#members.delete(member)) return;
      const at = this.#ready.indexOf(member);
      if (at >= 0) this.#ready.splice(at, 1);
      // The others may have been waiting for this stream's next window.
      this.#schedule();
    };
  }

  /** `member` has a window ready: once per window, not again before it is answered. */
  ready(member: BatchMember): void {
    this.#ready.push(member);
    this.#schedule();
  }

  /** Windows ready and not yet in a call. */
  get waiting(): number {
    return this.#ready.length;
  }

  /** Resolves once no call is under way or scheduled. */
  whenIdle(): Promise<void> {
    if (!this.#running && !this.#scheduled() && this.#ready.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #scheduled(): boolean {
    return this.#immediate !== undefined || this.#timer !== undefined;
  }

  #schedule(): void {
    if (this.#running || this.#ready.length === 0) return; // the call under way takes them next
    const everyone = this.#ready.length >= Math.min(this.maxBatch, Math.max(1, this.#members.size));
    if (everyone) {
      // Nobody else's window can join this call: it starts now (ORT itself runs it at the end of
      // this turn of the event loop, so a turn of our own would only add one).
      clearTimeout(this.#timer);
      this.#timer = undefined;
      clearImmediate(this.#immediate);
      this.#immediate = undefined;
      void this.#drain();
      return;
    }
    if (this.maxWaitMs === 0) {
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
      while (this.#ready.length > 0) {
        const batch = this.#ready.splice(0, this.maxBatch);
        const n = batch.length;
        const started = performance.now();
        let output: BatchOutput;
        try {
          const view = this.#view(n);
          for (let i = 0; i < n; i++) batch[i]!.fill(view.input, view.state, n, i);
          output = await this.model.run(this.sampleRate, view);
        } catch (error) {
          for (const member of batch) member.failed(error);
          continue;
        }
        const inferenceDurationMs = performance.now() - started;
        // A member answered may be ready again at once (more audio waiting): it goes in the next call.
        for (let i = 0; i < n; i++) batch[i]!.answered(output, n, i, inferenceDurationMs);
      }
    } finally {
      this.#running = false;
      if (!this.#scheduled() && this.#ready.length === 0) for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  /** The first `n` rows of the reused buffers. */
  #view(n: number): WindowBatch {
    let view = this.#views.get(n);
    if (view) return view;
    const width = rowWidth(this.sampleRate);
    if (!this.#buffers || this.#buffers.state.length < n * STATE_SIZE) {
      // Grown to the largest batch seen (at most maxBatch): the views of the old buffers go with them.
      this.#buffers = { input: new Float32Array(n * width), state: new Float32Array(n * STATE_SIZE) };
      this.#views.clear();
    }
    view = { n, input: this.#buffers.input.subarray(0, n * width), state: this.#buffers.state.subarray(0, n * STATE_SIZE) };
    this.#views.set(n, view);
    return view;
  }
}

const shared = new WeakMap<SileroModel, Map<string, InferenceBatcher>>();

/**
 * The batcher of `model` for windows of `sampleRate` with these limits: every VAD of the process
 * that asks for the same one shares it, so the windows of all their streams share calls.
 */
export function sharedBatcher(model: SileroModel, sampleRate: ModelSampleRate, maxBatch: number, maxWaitMs: number): InferenceBatcher {
  let batchers = shared.get(model);
  if (!batchers) {
    batchers = new Map();
    shared.set(model, batchers);
  }
  const key = `${sampleRate}/${maxBatch}/${maxWaitMs}`;
  let batcher = batchers.get(key);
  if (!batcher) {
    batcher = new InferenceBatcher(model, sampleRate, maxBatch, maxWaitMs);
    batchers.set(key, batcher);
  }
  return batcher;
}
