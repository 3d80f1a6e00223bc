/**
 * One VAD stream: frames in (pushFrame), events out (for await). Each stream has its own RNN state
 * and audio context and runs its windows one after another through the shared model: it tells the
 * batcher when a window is ready, and takes the answer when the batcher hands it over. It is the
 * only owner of its state, so when it is closed and dropped nothing else holds it.
 *
 * A failed inference ends the iteration with a ProviderError (also reported as the VAD's `error`
 * event), never swallowed.
 */
import type { AudioFrame } from '../../audio/audio_frame.js';
import { ClosedError } from '../../errors.js';
import type { VADMetrics } from '../../provider/metrics.js';
import { ProviderError } from '../../provider/provider_error.js';
import { asRequester, currentRequester } from '../../provider/requester.js';
import type { VADEvent, VADOptions, VADStream } from '../../vad/vad.js';
import { AudioInput } from './audio_input.js';
import type { BatchMember, InferenceBatcher } from './batcher.js';
import { SpeechDetector } from './detector.js';
import { EventChannel } from '../../streams/event_channel.js';
import { PROVIDER, STATE_SIZE, WINDOW, type BatchOutput, type ModelSampleRate } from './model.js';

/** What a stream needs of its VAD. */
export interface StreamHost {
  readonly label: string;
  readonly options: Readonly<VADOptions>;
  readonly batcher: InferenceBatcher;
  reportError(error: ProviderError): void;
  reportMetrics(metrics: VADMetrics): void;
  /** The stream has finished (ended, closed or failed). */
  released(stream: SileroVADStream): void;
}

/** Metrics are reported about once per second of audio, and at the end. */
const METRICS_INTERVAL_MS = 1000;

export class SileroVADStream implements VADStream, BatchMember {
  readonly #host: StreamHost;
  /** Whose request this stream is (the session that opened it): its measurements are reported as theirs. */
  readonly #requester: object | undefined;
  readonly #rate: ModelSampleRate;
  readonly #context: number;
  readonly #input: AudioInput;
  readonly #detector: SpeechDetector;
  readonly #events = new EventChannel<VADEvent>(() => void this.close());
  /** Closed by its user, or failed: it takes and gives nothing more. */
  #closed = false;
  /** Leaves the batcher: its other streams no longer wait for this one's windows. */
  readonly #leaveBatcher: () => void;
  /** Its RNN state, [2, 1, 128], carried from window to window. */
  readonly #state = new Float32Array(STATE_SIZE);
  readonly #lastContext: Float32Array;
  /** A window of this stream is with the batcher (ready, or in a call). */
  #pending = false;
  /** The window in the call: its samples as 16-bit PCM, for the detector once answered. */
  #window: Int16Array | undefined;
  #inputEnded = false;
  #released = false;
  // Metrics of the current period.
  #periodStart = performance.now();
  #periodInferenceMs = 0;
  #periodCount = 0;

  constructor(host: StreamHost) {
    this.#host = host;
    this.#requester = currentRequester();
    this.#rate = host.options.sampleRate;
    const { samples, context } = WINDOW[this.#rate];
    this.#context = context;
    this.#lastContext = new Float32Array(context);
    this.#input = new AudioInput(this.#rate, samples);
    this.#detector = new SpeechDetector(this.#rate);
    this.#leaveBatcher = host.batcher.join(this);
  }

  get closed(): boolean {
    return this.#closed;
  }

  pushFrame(frame: AudioFrame): void {
    this.#assertOpen('pushFrame()');
    this.#input.push(frame);
    this.#offer();
  }

  flush(): void {
    this.#assertOpen('flush()');
    this.#input.flush();
    this.#offer();
  }

  endInput(): void {
    if (this.#inputEnded || this.#closed) return;
    this.#input.flush();
    this.#inputEnded = true;
    this.#offer();
    this.#endIfDone();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#events.close();
    this.#release();
  }

  [Symbol.asyncIterator](): AsyncIterator<VADEvent> {
    return this.#events[Symbol.asyncIterator]();
  }

  /** Its next window, after the last context samples, into row `i` of the batch; its state into rows i and n + i. @internal */
  fill(input: Float32Array, state: Float32Array, n: number, i: number): void {
    const context = this.#context;
    const width = context + this.#input.windowSamples;
    const row = i * width;
    input.set(this.#lastContext, row);
    this.#window = this.#input.takeInto(input, row + context);
    const last = this.#lastContext;
    for (let k = 0, from = row + width - context; k < context; k++) last[k] = input[from + k]!;
    const own = this.#state;
    for (let k = 0, first = i * 128, second = (n + i) * 128; k < 128; k++) {
      state[first + k] = own[k]!;
      state[second + k] = own[128 + k]!;
    }
  }

  /** @internal */
  answered({ probabilities, stateN }: BatchOutput, n: number, i: number, inferenceDurationMs: number): void {
    this.#pending = false;
    const window = this.#window!;
    this.#window = undefined;
    // Closed meanwhile: the answer is not wanted any more.
    if (this.#closed) return;
    const own = this.#state;
    for (let k = 0, first = i * 128, second = (n + i) * 128; k < 128; k++) {
      own[k] = stateN[first + k]!;
      own[128 + k] = stateN[second + k]!;
    }
    this.#periodInferenceMs += inferenceDurationMs;
    this.#periodCount++;
    const events = this.#detector.step(window, probabilities[i]!, inferenceDurationMs, this.#host.options);
    for (let k = 0; k < events.length; k++) this.#events.push(events[k]!);
    if (this.#periodCount * (window.length / this.#rate) * 1000 >= METRICS_INTERVAL_MS) this.#reportMetrics();
    this.#offer();
    this.#endIfDone();
  }

  /** @internal */
  failed(thrown: unknown): void {
    this.#pending = false;
    if (this.#closed) return;
    const error =
      thrown instanceof ProviderError
        ? thrown
        : new ProviderError(PROVIDER, false, `inference failed: ${thrown instanceof Error ? thrown.message : String(thrown)}`, { cause: thrown });
    this.#host.reportError(error);
    this.#events.fail(error);
    this.#closed = true;
    this.#release();
  }

  #assertOpen(call: string): void {
    if (this.#closed) throw new ClosedError('the VAD stream', call, 'closed');
    if (this.#inputEnded) throw new ClosedError('the VAD stream', call, 'ended (endInput() was called)');
  }

  /** Hands the batcher the next window, if one is ready and none is with it. */
  #offer(): void {
    if (this.#pending || this.#closed || this.#input.windows === 0) return;
    this.#pending = true;
    this.#host.batcher.ready(this);
  }

  /** Once the input has ended and every window is answered: the last edge, the metrics, the end. */
  #endIfDone(): void {
    if (!this.#inputEnded || this.#pending || this.#closed || this.#released || this.#input.windows > 0) return;
    const last = this.#detector.finish(this.#host.options);
    if (last) this.#events.push(last);
    this.#reportMetrics();
    this.#events.end();
    this.#release();
  }

  /** The stream has finished (ended, closed or failed): it leaves the batcher and its VAD. */
  #release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#leaveBatcher();
    this.#host.released(this);
  }

  #reportMetrics(): void {
    if (this.#periodCount === 0) return;
    const now = performance.now();
    const metrics: VADMetrics = {
      type: 'vad_metrics',
      label: this.#host.label,
      idleTimeMs: Math.max(0, now - this.#periodStart - this.#periodInferenceMs),
      inferenceDurationTotalMs: this.#periodInferenceMs,
      inferenceCount: this.#periodCount,
      timestamp: Date.now(),
    };
    // Answers come from a call batched for many streams: reported as a request of this stream's owner.
    if (this.#requester) asRequester(this.#requester, () => this.#host.reportMetrics(metrics));
    else this.#host.reportMetrics(metrics);
    this.#periodStart = now;
    this.#periodInferenceMs = 0;
    this.#periodCount = 0;
  }
}
