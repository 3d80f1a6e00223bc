/** Shared by the Cartesia tests: a fake server per test, a TTS pointed at it, and readers. */
import { afterEach, beforeAll, beforeEach } from 'vitest';
import * as cartesia from '../../../src/plugins/cartesia/index.js';
import type { CartesiaTTSOptions } from '../../../src/plugins/cartesia/options.js';
import type { ModelMetrics, TTSMetrics } from '../../../src/provider/metrics.js';
import type { ProviderError } from '../../../src/provider/provider_error.js';
import type { SynthesizedAudio } from '../../../src/tts/tts.js';
import { FakeCartesia } from './fake_cartesia.js';
import { type TlsCert, selfSignedCert } from '../../support/tls_cert.js';

export interface Harness {
  fake: FakeCartesia;
  tls: TlsCert;
  /** A TTS on the fake server; its error and metrics events are recorded. */
  tts(options?: CartesiaTTSOptions): Recorded;
}

export interface Recorded {
  tts: cartesia.TTS;
  errors: ProviderError[];
  metrics: TTSMetrics[];
  /** Resolves once `count` errors were reported. */
  errorCount(count: number): Promise<void>;
}

export function useFakeCartesia(): Harness {
  const harness = {} as Harness;
  beforeAll(() => {
    harness.tls = selfSignedCert();
  });
  beforeEach(async () => {
    harness.fake = await FakeCartesia.start(harness.tls);
  });
  afterEach(async () => {
    await harness.fake.stop();
  });
  harness.tts = (options = {}) => {
    const tts = new cartesia.TTS({
      apiKey: harness.fake.apiKey,
      baseURL: harness.fake.url,
      voice: 'voice-1',
      websocket: { ca: harness.tls.cert },
      conn: { maxRetry: 0, retryIntervalMs: 0, timeoutMs: 5_000 },
      ...options,
    });
    const errors: ProviderError[] = [];
    const metrics: TTSMetrics[] = [];
    const waiters: (() => void)[] = [];
    tts.on('error', (error) => {
      errors.push(error);
      for (const waiter of waiters.splice(0)) waiter();
    });
    tts.on('metrics_collected', (m: ModelMetrics) => {
      if (m.type === 'tts_metrics') metrics.push(m);
    });
    const errorCount = async (count: number) => {
      while (errors.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
    };
    return { tts, errors, metrics, errorCount };
  };
  return harness;
}

/** Everything the iteration yields, and how it ended. */
export async function collect(audio: AsyncIterable<SynthesizedAudio>): Promise<{ items: SynthesizedAudio[]; error?: unknown }> {
  const items: SynthesizedAudio[] = [];
  try {
    for await (const item of audio) items.push(item);
    return { items };
  } catch (error) {
    return { items, error };
  }
}

/** The samples of `items`, joined. */
export function samples(items: SynthesizedAudio[]): number[] {
  return items.flatMap((item) => Array.from(item.frame.data));
}

/** `count` samples of each marker, in order: the audio the fake sends for sentences 1, 2… */
export function markers(count: number, ...values: number[]): number[] {
  return values.flatMap((value) => new Array<number>(count).fill(value));
}
