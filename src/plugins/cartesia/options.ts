/** Options of the Cartesia TTS, with their defaults and where credentials come from. */
import type { Agent } from 'node:https';
import type { SecureContextOptions } from 'node:tls';
import type { ConnOptions } from '../../provider/conn_options.js';
import { addSecretValue } from '../../log/redact.js';
import { ProviderError } from '../../provider/provider_error.js';

export const CARTESIA_SAMPLE_RATES = [8000, 16000, 22050, 24000, 44100, 48000] as const;
export type CartesiaSampleRate = (typeof CARTESIA_SAMPLE_RATES)[number];

/** A stock Cartesia voice ("Sarah"), used when no voice is given. */
export const DEFAULT_VOICE_ID = '794f9389-aac1-45b6-b726-9d9369183238';

export interface CartesiaTTSOptions {
  /** Defaults to the CARTESIA_API_KEY environment variable. */
  apiKey?: string;
  /** Defaults to CARTESIA_BASE_URL, then https://api.cartesia.ai. The WebSocket always uses wss. */
  baseURL?: string;
  /** Model id, default 'sonic-3'. */
  model?: string;
  /** Voice id. */
  voice?: string;
  /** Language code, e.g. 'en', 'fr'. */
  language?: string;
  /** Output sample rate (raw pcm_s16le, mono), default 24000. */
  sampleRate?: CartesiaSampleRate;
  /** Connection and retry policy of every synthesis (overridable per call). */
  conn?: Partial<ConnOptions>;
  /** Passed to the `ws` client, e.g. `{ ca }` to trust a private certificate. */
  websocket?: { ca?: SecureContextOptions['ca']; rejectUnauthorized?: boolean; agent?: Agent };
}

export interface ResolvedCartesiaOptions {
  apiKey: string;
  baseURL: string | undefined;
  model: string;
  voice: string;
  language: string | undefined;
  sampleRate: CartesiaSampleRate;
  conn: Partial<ConnOptions>;
  websocket: CartesiaTTSOptions['websocket'];
}

export function resolveOptions(options: CartesiaTTSOptions): ResolvedCartesiaOptions {
  const apiKey = options.apiKey ?? process.env.CARTESIA_API_KEY;
  if (!apiKey) throw new ProviderError('cartesia', false, 'no API key: pass apiKey or set CARTESIA_API_KEY');
  // Masked from now on wherever it would appear: a log line, an error, an inspector.
  addSecretValue(apiKey);
  const sampleRate = options.sampleRate ?? 24000;
  if (!CARTESIA_SAMPLE_RATES.includes(sampleRate)) {
    throw new RangeError(`Cartesia sample rate must be one of ${CARTESIA_SAMPLE_RATES.join(', ')}; got ${sampleRate}`);
  }
  return {
    apiKey,
    baseURL: options.baseURL ?? (process.env.CARTESIA_BASE_URL || undefined),
    model: options.model ?? 'sonic-3',
    voice: options.voice ?? DEFAULT_VOICE_ID,
    language: options.language,
    sampleRate,
    conn: options.conn ?? {},
    websocket: options.websocket,
  };
}
