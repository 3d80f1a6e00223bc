/**
 * `openai.realtime.RealtimeModel`: OpenAI's Realtime API (speech to speech over a WebSocket,
 * through the openai SDK's client), with agents-js's options. `session()` opens a conversation.
 *
 *   const model = new openai.realtime.RealtimeModel({ voice: 'marin' });
 */
import type { Clock } from '../../../actors/start_actor.js';
import type { RealtimeCapabilities, RealtimeModel } from '../../../llm/realtime.js';
import { addSecretValue } from '../../../log/redact.js';
import { DEFAULT_CONN_OPTIONS, type ConnOptions } from '../../../provider/conn_options.js';
import { ProviderError } from '../../../provider/provider_error.js';
import { PROVIDER } from '../errors.js';
import { OpenAIRealtimeSession } from './realtime_session.js';

export const DEFAULT_REALTIME_MODEL = 'gpt-realtime';
export const DEFAULT_REALTIME_VOICE = 'marin';

/** The server's turn detection, as the API takes it; null: the client commits each turn. */
export type RealtimeTurnDetection =
  | { type: 'server_vad'; threshold?: number; prefix_padding_ms?: number; silence_duration_ms?: number; create_response?: boolean; interrupt_response?: boolean }
  | { type: 'semantic_vad'; eagerness?: 'low' | 'medium' | 'high' | 'auto'; create_response?: boolean; interrupt_response?: boolean }
  | null;

export interface RealtimeModelOptions {
  /** Default "gpt-realtime". */
  model?: string;
  /** Default "marin". */
  voice?: string;
  temperature?: number;
  /** Default: server VAD; null leaves turn-taking to the client (commitAudio, generateReply). */
  turnDetection?: RealtimeTurnDetection;
  /** Default: { model: 'gpt-4o-mini-transcribe' }; null: the user's speech is not transcribed. */
  inputAudioTranscription?: { model: string; language?: string; prompt?: string } | null;
  /** ['audio'] (default: audio and its transcript) or ['text'] (a TTS speaks it). */
  modalities?: ['audio'] | ['text'];
  /** Defaults to OPENAI_API_KEY. */
  apiKey?: string;
  /** Defaults to OPENAI_BASE_URL, else OpenAI; the SDK connects to its wss:// form. */
  baseURL?: string;
  /** Retries and bounds of connecting (each attempt up to timeoutMs, maxRetry more after a failure). */
  connOptions?: Partial<ConnOptions>;
  /** TLS options of the socket, e.g. { ca } for a server with a private certificate. */
  websocket?: { ca?: string };
  /** Runs the sessions' delays (connecting, retries, a reply's bounds), e.g. XState's SimulatedClock in tests. */
  clock?: Clock;
}

/** The options a session is opened with, resolved. */
export interface ResolvedRealtimeOptions {
  model: string;
  voice: string;
  temperature: number | undefined;
  turnDetection: RealtimeTurnDetection;
  inputAudioTranscription: { model: string; language?: string; prompt?: string } | null;
  modalities: ['audio'] | ['text'];
  apiKey: string;
  baseURL: string | undefined;
  conn: ConnOptions;
  websocket: { ca?: string };
  clock: Clock | undefined;
}

export class OpenAIRealtimeModel implements RealtimeModel {
  readonly label: string;
  readonly capabilities: RealtimeCapabilities;
  readonly options: Readonly<Omit<ResolvedRealtimeOptions, 'apiKey'>>;
  readonly #apiKey: string;

  constructor(options: RealtimeModelOptions = {}) {
    const apiKey = options.apiKey || process.env.OPENAI_API_KEY;
    if (!apiKey) throw new ProviderError(PROVIDER, false, 'no API key: pass { apiKey } or set OPENAI_API_KEY');
    addSecretValue(apiKey);
    this.#apiKey = apiKey;
    const modalities = options.modalities ?? ['audio'];
    if (!(modalities.length === 1 && (modalities[0] === 'audio' || modalities[0] === 'text'))) {
      throw new ProviderError(PROVIDER, false, `modalities must be ['audio'] or ['text'], not ${JSON.stringify(modalities)}`);
    }
    const turnDetection = options.turnDetection === undefined ? { type: 'server_vad' as const } : options.turnDetection;
    const inputAudioTranscription = options.inputAudioTranscription === undefined ? { model: 'gpt-4o-mini-transcribe' } : options.inputAudioTranscription;
    this.options = {
      model: options.model ?? DEFAULT_REALTIME_MODEL,
      voice: options.voice ?? DEFAULT_REALTIME_VOICE,
      temperature: options.temperature,
      turnDetection,
      inputAudioTranscription,
      modalities,
      baseURL: options.baseURL || process.env.OPENAI_BASE_URL || undefined,
      conn: { ...DEFAULT_CONN_OPTIONS, ...options.connOptions },
      websocket: options.websocket ?? {},
      clock: options.clock,
    };
    this.label = `${PROVIDER}/${this.options.model}`;
    this.capabilities = {
      messageTruncation: true,
      turnDetection: turnDetection !== null,
      userTranscription: inputAudioTranscription !== null,
      audioOutput: modalities[0] === 'audio',
      // The API's server and semantic VAD cancel the response when the user speaks, unless told not to.
      interruptsItself: turnDetection !== null && turnDetection.interrupt_response !== false,
    };
  }

  session(options: { instructions?: string } = {}): OpenAIRealtimeSession {
    return new OpenAIRealtimeSession(this, { ...this.options, apiKey: this.#apiKey }, options.instructions ?? '');
  }
}
