/**
 * Models by name, as LiveKit's `inference.LLM({ model: 'openai/gpt-4.1-mini' })`. A name resolves
 * to its provider when one is installed and configured, otherwise to an offline stand-in that says
 * so, so an agent runs anywhere without credentials.
 */
import type { LLM as ChatLLM } from '../llm/llm.js';
import type { OfflineStandIn, STT as SpeechToText, TTS as TextToSpeech } from './models.js';
import { OfflineLLM } from './offline_llm.js';

export interface ModelOptions {
  /** provider/model, e.g. "openai/gpt-4.1-mini", "deepgram/nova-3-general", "cartesia/sonic-3". */
  model: string;
  /** Provider-specific, e.g. a voice id for TTS. */
  voice?: string;
}

type Resolver<T> = (options: ModelOptions) => T | undefined;

const providers = { llm: [] as Resolver<ChatLLM>[], stt: [] as Resolver<SpeechToText>[], tts: [] as Resolver<TextToSpeech>[] };

/** Lets a provider plugin claim model names (it returns undefined for names it does not serve). */
export function registerProvider(kind: 'llm', resolve: Resolver<ChatLLM>): void;
export function registerProvider(kind: 'stt', resolve: Resolver<SpeechToText>): void;
export function registerProvider(kind: 'tts', resolve: Resolver<TextToSpeech>): void;
export function registerProvider(kind: keyof typeof providers, resolve: Resolver<unknown>): void {
  (providers[kind] as Resolver<unknown>[]).push(resolve);
}

function resolve<T>(list: Resolver<T>[], options: ModelOptions): T | undefined {
  for (const resolver of list) {
    const model = resolver(options);
    if (model) return model;
  }
  return undefined;
}

/** Stands in for a speech model that is not configured: the session works by text without it. */
export class OfflineSpeechModel implements OfflineStandIn {
  readonly offline = true;
  constructor(
    readonly label: string,
    readonly notice: string,
  ) {}
}

/** A language model by name. */
export function LLM(options: ModelOptions): ChatLLM {
  return resolve(providers.llm, options) ?? new OfflineLLM(options.model);
}

/** A speech-to-text model by name. */
export function STT(options: ModelOptions): SpeechToText | OfflineSpeechModel {
  return (
    resolve(providers.stt, options) ??
    new OfflineSpeechModel(`offline (${options.model})`, `STT ${options.model}: offline stand-in — type your turns instead of speaking`)
  );
}

/** A text-to-speech model by name. */
export function TTS(options: ModelOptions): TextToSpeech | OfflineSpeechModel {
  return (
    resolve(providers.tts, options) ??
    new OfflineSpeechModel(`offline (${options.model})`, `TTS ${options.model}: offline stand-in — the agent's speech is shown as text`)
  );
}
