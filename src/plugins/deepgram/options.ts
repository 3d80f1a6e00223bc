/**
 * Options of the Deepgram STT plugin, their defaults, and the query parameters they become on the
 * live endpoint (`/v1/listen` over a WebSocket) and the pre-recorded one (`POST /v1/listen`).
 */
import type { ConnOptions } from '../../provider/conn_options.js';
import { addSecretValue } from '../../log/redact.js';
import { ProviderError } from '../../provider/provider_error.js';

export const PROVIDER = 'deepgram';

export interface DeepgramSTTOptions {
  /** Default "nova-3". */
  model: string;
  /** BCP-47, or "multi" for nova-3's multilingual mode. Default "en-US". */
  language: string;
  /** Default: `process.env.DEEPGRAM_API_KEY`. */
  apiKey?: string;
  /**
   * Where Deepgram is, e.g. "http://127.0.0.1:8080" or "ws://127.0.0.1:8080": the same host serves
   * the REST and WebSocket endpoints, the scheme of each is derived (https ↔ wss, http ↔ ws).
   * Default: Deepgram's production hosts.
   */
  baseUrl?: string;
  /** Interim (non-final) transcripts while the user speaks. Default true. */
  interimResults: boolean;
  /** Words to boost (nova-3 keyterm prompting; one `keyterm` parameter each). */
  keyterms: string[];
  /** Silence (ms) after which Deepgram ends an utterance (`speech_final`); false turns it off. Default 25. */
  endpointingMs: number | false;
  /** Default false. */
  smartFormat: boolean;
  /** Default true. */
  punctuate: boolean;
  /** SpeechStarted messages (start of speech before the first words). Default true. */
  vadEvents: boolean;
  /** UtteranceEnd messages after this many ms without words (needs interim results, ≥ 1000). Default: off. */
  utteranceEndMs?: number;
  /** Rate the audio is sent at (linear16, mono); frames at other rates are resampled. Default 16000. */
  sampleRate: number;
  /** A KeepAlive is sent when no audio went out for this long (Deepgram closes after 10 s). Default 5000. */
  keepAliveIntervalMs: number;
  /**
   * Audio kept while the socket is (re)connecting, in ms; beyond it the oldest is dropped and the
   * loss reported as an `error` event. Default 10000.
   */
  maxBufferedAudioMs: number;
  /** Connection and retry policy of every stream and recognition (unless one overrides it). */
  conn?: Partial<ConnOptions>;
}

export type ResolvedOptions = DeepgramSTTOptions & { apiKey: string };

export const DEFAULTS: Omit<DeepgramSTTOptions, 'apiKey' | 'baseUrl' | 'utteranceEndMs' | 'conn'> = {
  model: 'nova-3',
  language: 'en-US',
  interimResults: true,
  keyterms: [],
  endpointingMs: 25,
  smartFormat: false,
  punctuate: true,
  vadEvents: true,
  sampleRate: 16000,
  keepAliveIntervalMs: 5000,
  maxBufferedAudioMs: 10_000,
};

/** Options with defaults applied and checked; a missing key or a bad value is an unrecoverable ProviderError. */
export function resolveOptions(options: Partial<DeepgramSTTOptions>): ResolvedOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  const resolved = { ...DEFAULTS, ...defined } as DeepgramSTTOptions;
  const apiKey = resolved.apiKey ?? process.env.DEEPGRAM_API_KEY;
  if (!apiKey) throw new ProviderError(PROVIDER, false, 'no API key: pass apiKey or set DEEPGRAM_API_KEY');
  // Masked from now on wherever it would appear: a log line, an error, an inspector.
  addSecretValue(apiKey);
  if (resolved.keyterms.length > 0 && !isNova3(resolved.model)) {
    throw new ProviderError(PROVIDER, false, `keyterms need a nova-3 model, not ${resolved.model}`);
  }
  for (const [name, value] of [
    ['sampleRate', resolved.sampleRate],
    ['keepAliveIntervalMs', resolved.keepAliveIntervalMs],
  ] as const) {
    if (!(Number.isFinite(value) && value > 0)) throw new ProviderError(PROVIDER, false, `${name} must be a positive number, got ${value}`);
  }
  if (!(resolved.maxBufferedAudioMs >= 0)) {
    throw new ProviderError(PROVIDER, false, `maxBufferedAudioMs must be 0 or more, got ${resolved.maxBufferedAudioMs}`);
  }
  return { ...resolved, apiKey };
}

function isNova3(model: string): boolean {
  return model === 'nova-3' || model.startsWith('nova-3-');
}

/** Query parameters of the live endpoint (the SDK's connect args, minus its socket options). */
export function liveQuery(options: ResolvedOptions, language: string) {
  return {
    model: options.model,
    language,
    encoding: 'linear16',
    sample_rate: options.sampleRate,
    channels: 1,
    interim_results: String(options.interimResults),
    punctuate: String(options.punctuate),
    smart_format: String(options.smartFormat),
    vad_events: String(options.vadEvents),
    endpointing: options.endpointingMs === false ? 'false' : options.endpointingMs,
    ...(options.utteranceEndMs === undefined ? {} : { utterance_end_ms: options.utteranceEndMs }),
    ...(options.keyterms.length > 0 ? { keyterm: options.keyterms } : {}),
  };
}

/** Query parameters of the pre-recorded endpoint (the audio is a WAV file, which says its own format). */
export function recordedQuery(options: ResolvedOptions, language: string) {
  return {
    model: options.model,
    language,
    punctuate: options.punctuate,
    smart_format: options.smartFormat,
    ...(options.keyterms.length > 0 ? { keyterm: options.keyterms } : {}),
  };
}
