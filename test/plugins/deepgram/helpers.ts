/** Audio frames, an event reader and collectors for the Deepgram plugin tests. */
import { vi } from 'vitest';
import type { ConnOptions } from '../../../src/provider/conn_options.js';
import type { DeepgramSTTOptions } from '../../../src/plugins/deepgram/options.js';
import { DeepgramSTT } from '../../../src/plugins/deepgram/stt.js';
import type { FakeDeepgram } from './fake_deepgram.js';
import { audioFrame, type AudioFrame } from '../../../src/audio/audio_frame.js';
import type { STTMetrics } from '../../../src/provider/metrics.js';
import type { Model } from '../../../src/provider/model.js';
import type { ProviderError } from '../../../src/provider/provider_error.js';
import type { SpeechEvent } from '../../../src/stt/stt.js';

/** A mono frame of `ms` at `rate` whose samples are `value` (or value + index when `ramp`). */
export function frame(ms: number, rate = 16000, value = 1000, ramp = false): AudioFrame {
  const n = Math.round((ms / 1000) * rate);
  const data = new Int16Array(n);
  for (let i = 0; i < n; i++) data[i] = ramp ? value + i : value;
  return audioFrame(data, rate, 1);
}

/** A 440 Hz tone. */
export function tone(ms: number, rate: number, amplitude = 8000): AudioFrame {
  const n = Math.round((ms / 1000) * rate);
  const data = new Int16Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.round(amplitude * Math.sin((2 * Math.PI * 440 * i) / rate));
  return audioFrame(data, rate, 1);
}

/** Reads a speech stream one event at a time. */
export class Reader {
  readonly #iterator: AsyncIterator<SpeechEvent>;

  constructor(stream: AsyncIterable<SpeechEvent>) {
    this.#iterator = stream[Symbol.asyncIterator]();
  }

  async next(): Promise<SpeechEvent> {
    const result = await this.#iterator.next();
    if (result.done) throw new Error('the stream ended');
    return result.value;
  }

  async take(count: number): Promise<SpeechEvent[]> {
    const out: SpeechEvent[] = [];
    for (let i = 0; i < count; i++) out.push(await this.next());
    return out;
  }

  /** Every event until the end; rejects with the iteration's error. */
  async rest(): Promise<SpeechEvent[]> {
    const out: SpeechEvent[] = [];
    for (let result = await this.#iterator.next(); !result.done; result = await this.#iterator.next()) out.push(result.value);
    return out;
  }

  /** What the iteration threw (fails the test if it ended without one). */
  async failure(): Promise<unknown> {
    try {
      await this.rest();
    } catch (error) {
      return error;
    }
    throw new Error('the stream ended without an error');
  }
}

/** What a model reports. */
export function observe(model: Model): { errors: ProviderError[]; metrics: STTMetrics[]; nextError(): Promise<ProviderError> } {
  const errors: ProviderError[] = [];
  const metrics: STTMetrics[] = [];
  const waiting: ((error: ProviderError) => void)[] = [];
  model.on('error', (error) => {
    errors.push(error);
    waiting.shift()?.(error);
  });
  model.on('metrics_collected', (m) => {
    if (m.type === 'stt_metrics') metrics.push(m);
  });
  return { errors, metrics, nextError: () => new Promise((resolve) => waiting.push(resolve)) };
}

export function texts(events: SpeechEvent[]): string[] {
  return events.map((event) =>
    event.type === 'interim_transcript' || event.type === 'final_transcript'
      ? `${event.type}:${event.alternatives[0]?.text}`
      : event.type === 'usage'
        ? `usage:${event.audioDurationMs}`
        : event.type,
  );
}

/**
 * Under fake timers (setTimeout only): runs the timers due (`stepMs` later) and lets real I/O
 * happen (a setImmediate turn, which is not faked), again and again, until `condition` holds. This
 * is how a test waits on the fake server while the SDK's 0 ms timers need running. Note that a
 * 0 ms timer created while fake timers are being advanced is due 1 ms later (the fake clock's
 * rule), so waiting for one set up during an advance takes `stepMs: 1`.
 */
export async function settleUntil(condition: () => boolean, stepMs = 0, maxTurns = 500): Promise<void> {
  for (let turn = 0; !condition(); turn++) {
    if (turn >= maxTurns) throw new Error(`the condition did not hold after ${maxTurns} turns`);
    await vi.advanceTimersByTimeAsync(stepMs);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** Retries without waiting, so failure paths run in milliseconds. */
export const FAST: Partial<ConnOptions> = { maxRetry: 2, retryIntervalMs: 0, timeoutMs: 2_000 };

/** A DeepgramSTT (real SDK) talking to `fake`. */
export function deepgramAt(fake: FakeDeepgram, options: Partial<DeepgramSTTOptions> = {}): DeepgramSTT {
  return new DeepgramSTT({ apiKey: 'test-key', baseUrl: fake.url, conn: FAST, ...options });
}
