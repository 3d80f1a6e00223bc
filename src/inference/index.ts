/**
 * Models by name, as LiveKit's `inference`: `new inference.LLM({ model: 'openai/gpt-4.1-mini' })`
 * (agents-js) or `inference.LLM({ … })` (the call form): the same model either way. A name resolves
 * to its provider when one is installed and configured, otherwise to an offline stand-in that says
 * so, so an agent runs anywhere without credentials. As agents-js, a speech model's name may end
 * with its language (`'deepgram/nova-3:en'`) or voice (`'cartesia/sonic-3:<voice id>'`); given
 * both ways, the option wins.
 */
import { InvalidOptionsError } from '../errors.js';
import type { LLM as ChatLLM } from '../llm/llm.js';
import type { RealtimeModel as SpeechToSpeech } from '../llm/realtime.js';
import { OfflineRealtimeModel } from './offline_realtime.js';
import type { OfflineStandIn, STT as SpeechToText, TTS as TextToSpeech } from './models.js';
import { OfflineLLM } from './offline_llm.js';

/** What a provider is asked for: the model's name and, for speech, its voice and language. */
export interface ModelOptions {
  /** provider/model, e.g. "openai/gpt-4.1-mini", "deepgram/nova-3-general", "cartesia/sonic-3". */
  model: string;
  /** Provider-specific, e.g. a voice id for TTS. */
  voice?: string;
  /** e.g. "en", "fr-FR". */
  language?: string;
}

export interface LLMOptions {
  /** provider/model, e.g. "openai/gpt-4.1-mini". */
  model: string;
}

export interface RealtimeModelOptions {
  /** provider/model, e.g. "openai/gpt-realtime". */
  model: string;
  /** Provider-specific voice, e.g. "marin". */
  voice?: string;
}

export interface STTOptions {
  /** provider/model, optionally `:language`, e.g. "deepgram/nova-3" or "deepgram/nova-3:en". */
  model: string;
  /** The language spoken, e.g. "en"; wins over one in the model name. */
  language?: string;
}

export interface TTSOptions {
  /** provider/model, optionally `:voice`, e.g. "cartesia/sonic-3". */
  model: string;
  /** Provider-specific voice id; wins over one in the model name. */
  voice?: string;
  /** The language to speak, e.g. "en". */
  language?: string;
}

type Resolver<T> = (options: ModelOptions) => T | undefined;

const providers = {
  llm: [] as Resolver<ChatLLM>[],
  stt: [] as Resolver<SpeechToText>[],
  tts: [] as Resolver<TextToSpeech>[],
  realtime: [] as Resolver<SpeechToSpeech>[],
};

/** Lets a provider plugin claim model names (it returns undefined for names it does not serve). */
export function registerProvider(kind: 'llm', resolve: Resolver<ChatLLM>): void;
export function registerProvider(kind: 'stt', resolve: Resolver<SpeechToText>): void;
export function registerProvider(kind: 'tts', resolve: Resolver<TextToSpeech>): void;
export function registerProvider(kind: 'realtime', resolve: Resolver<SpeechToSpeech>): void;
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

/** A model by name, made with `new` (agents-js) or called (the Python-shaped seeds): the same model. */
export interface ModelFactory<Options, Model> {
  (options: Options): Model;
  new (options: Options): Model;
}

/** A language model by name. */
export type LLM = ChatLLM;
/**
 * A language model by name: `new inference.LLM({ model: 'openai/gpt-4.1-mini' })`. Throws
 * InvalidOptionsError for an option it does not know or a model that is not a name.
 */
export const LLM = factory('inference.LLM', ['model'], (options: LLMOptions): ChatLLM => {
  return resolve(providers.llm, options) ?? new OfflineLLM(options.model);
});

/** A realtime (speech-to-speech) model by name (or its offline stand-in). */
export type RealtimeModel = SpeechToSpeech;
/**
 * A realtime model by name: `new inference.RealtimeModel({ model: 'openai/gpt-realtime', voice: 'marin' })`;
 * without the provider's key, an offline stand-in that answers typed turns (and says so).
 */
export const RealtimeModel = factory('inference.RealtimeModel', ['model', 'voice'], (options: RealtimeModelOptions): SpeechToSpeech => {
  return resolve(providers.realtime, options) ?? new OfflineRealtimeModel(options.model);
});

/** A speech-to-text model by name (or its offline stand-in). */
export type STT = SpeechToText | OfflineSpeechModel;
/** A speech-to-text model by name: `new inference.STT({ model: 'deepgram/nova-3', language: 'en' })`. */
export const STT = factory('inference.STT', ['model', 'language'], (options: STTOptions): STT => {
  const [model, language] = splitSuffix(options.model);
  const named = { model, ...((options.language ?? language) ? { language: options.language ?? language } : {}) };
  return (
    resolve(providers.stt, named) ??
    new OfflineSpeechModel(`offline (${model})`, `STT ${model}: offline stand-in — type your turns instead of speaking`)
  );
});

/** A text-to-speech model by name (or its offline stand-in). */
export type TTS = TextToSpeech | OfflineSpeechModel;
/** A text-to-speech model by name: `new inference.TTS({ model: 'cartesia/sonic-3', voice, language })`. */
export const TTS = factory('inference.TTS', ['model', 'voice', 'language'], (options: TTSOptions): TTS => {
  const [model, voice] = splitSuffix(options.model);
  const named = {
    model,
    ...((options.voice ?? voice) ? { voice: options.voice ?? voice } : {}),
    ...(options.language ? { language: options.language } : {}),
  };
  return (
    resolve(providers.tts, named) ??
    new OfflineSpeechModel(`offline (${model})`, `TTS ${model}: offline stand-in — the agent's speech is shown as text`)
  );
});

/**
 * A function usable with and without `new` (a function returning an object gives that object to
 * `new`), whose options are checked before `make` sees them.
 */
function factory<Options extends { model: string }, Model>(
  name: string,
  accepted: ReadonlyArray<keyof Options & string>,
  make: (options: Options) => Model,
): ModelFactory<Options, Model> {
  return function (options: Options): Model {
    const problems: string[] = [];
    if (typeof options !== 'object' || options === null) {
      problems.push(`must be an object with ${accepted.join(', ')} (got ${String(options)})`);
    } else {
      for (const key of Object.keys(options)) {
        if (!(accepted as readonly string[]).includes(key)) problems.push(`${key}: not an option voxstate has; accepted: ${accepted.join(', ')}`);
      }
      for (const key of accepted) {
        const value: unknown = options[key];
        if ((key === 'model' || value !== undefined) && (typeof value !== 'string' || value === '')) {
          problems.push(`${key}: must be a non-empty string${key === 'model' ? ' such as "openai/gpt-4.1-mini"' : ''} (got ${JSON.stringify(value) ?? 'undefined'})`);
        }
      }
    }
    if (problems.length > 0) throw new InvalidOptionsError(name, problems);
    return make(options);
  } as ModelFactory<Options, Model>;
}

/** "deepgram/nova-3:en" → ["deepgram/nova-3", "en"]; a name without a suffix → [name, undefined]. */
function splitSuffix(name: string): [string, string | undefined] {
  const colon = name.lastIndexOf(':');
  return colon < 0 ? [name, undefined] : [name.slice(0, colon), name.slice(colon + 1) || undefined];
}
