/**
 * What a session's models were used for, per model, in agents-js's shape (`session.usage`,
 * `session_usage_updated`): LLM tokens (cached ones too), TTS characters and audio, STT audio,
 * and VAD inference time (voxstate's), per model and in total. Summed from the metrics of the
 * session's own requests (a model shared by sessions reports each request to the session that
 * made it: see provider/requester.ts).
 */
import type { AgentMetrics } from './agent_metrics.js';
import { modelOf, providerOf } from './model_label.js';

export interface LLMModelUsage {
  type: 'llm_usage';
  /** e.g. "openai". */
  provider: string;
  /** e.g. "gpt-4.1-mini". */
  model: string;
  inputTokens: number;
  /** Of inputTokens, those served from the provider's prompt cache. */
  inputCachedTokens: number;
  outputTokens: number;
  /** A realtime model's tokens by kind (left out when 0). */
  inputAudioTokens?: number;
  inputTextTokens?: number;
  outputAudioTokens?: number;
  outputTextTokens?: number;
}

export interface TTSModelUsage {
  type: 'tts_usage';
  provider: string;
  model: string;
  charactersCount: number;
  /** ms of audio synthesized. */
  audioDurationMs: number;
}

export interface STTModelUsage {
  type: 'stt_usage';
  provider: string;
  model: string;
  /** ms of audio transcribed. */
  audioDurationMs: number;
}

/** A VAD's inference (voxstate's: agents-js does not count it). */
export interface VADModelUsage {
  type: 'vad_usage';
  provider: string;
  model: string;
  inferenceCount: number;
  /** ms of CPU the inference took. */
  inferenceDurationMs: number;
}

export type ModelUsage = LLMModelUsage | TTSModelUsage | STTModelUsage | VADModelUsage;

/** All models of a kind together. */
export interface UsageTotals {
  llmInputTokens: number;
  llmInputCachedTokens: number;
  llmOutputTokens: number;
  ttsCharactersCount: number;
  ttsAudioDurationMs: number;
  sttAudioDurationMs: number;
  vadInferenceDurationMs: number;
}

/** A session's usage: one summary per model, fields that are still 0 left out (as agents-js), and the totals (voxstate's). */
export interface AgentSessionUsage {
  modelUsage: Array<Partial<ModelUsage>>;
  total: UsageTotals;
}

const KINDS: ReadonlyArray<ModelUsage['type']> = ['llm_usage', 'tts_usage', 'stt_usage', 'vad_usage'];

/** Sums usage per model from metrics. */
export class ModelUsageCollector {
  /** Per kind and model, in the order the models were first used. */
  readonly #usage = new Map<string, ModelUsage>();

  /** Counts what `metrics` used; says whether it was billable (false for VAD inference, counted all the same, and turn latencies). */
  collect(metrics: AgentMetrics): boolean {
    switch (metrics.type) {
      case 'llm_metrics': {
        const usage = this.#entry<LLMModelUsage>({ type: 'llm_usage', ...names(metrics.label), inputTokens: 0, inputCachedTokens: 0, outputTokens: 0 });
        usage.inputTokens += metrics.promptTokens;
        usage.inputCachedTokens += metrics.promptCachedTokens ?? 0;
        usage.outputTokens += metrics.completionTokens;
        return true;
      }
      case 'realtime_model_metrics': {
        const usage = this.#entry<LLMModelUsage>({
          type: 'llm_usage',
          ...names(metrics.label),
          inputTokens: 0,
          inputCachedTokens: 0,
          outputTokens: 0,
          inputAudioTokens: 0,
          inputTextTokens: 0,
          outputAudioTokens: 0,
          outputTextTokens: 0,
        });
        usage.inputTokens += metrics.inputTokens;
        usage.outputTokens += metrics.outputTokens;
        usage.inputCachedTokens += metrics.inputTokenDetails.cachedTokens ?? 0;
        usage.inputAudioTokens! += metrics.inputTokenDetails.audioTokens;
        usage.inputTextTokens! += metrics.inputTokenDetails.textTokens;
        usage.outputAudioTokens! += metrics.outputTokenDetails.audioTokens;
        usage.outputTextTokens! += metrics.outputTokenDetails.textTokens;
        return true;
      }
      case 'tts_metrics': {
        const usage = this.#entry<TTSModelUsage>({ type: 'tts_usage', ...names(metrics.label), charactersCount: 0, audioDurationMs: 0 });
        usage.charactersCount += metrics.charactersCount;
        usage.audioDurationMs += metrics.audioDurationMs;
        return true;
      }
      case 'stt_metrics': {
        const usage = this.#entry<STTModelUsage>({ type: 'stt_usage', ...names(metrics.label), audioDurationMs: 0 });
        usage.audioDurationMs += metrics.audioDurationMs;
        return true;
      }
      case 'vad_metrics': {
        const usage = this.#entry<VADModelUsage>({ type: 'vad_usage', ...names(metrics.label), inferenceCount: 0, inferenceDurationMs: 0 });
        usage.inferenceCount += metrics.inferenceCount;
        usage.inferenceDurationMs += metrics.inferenceDurationTotalMs;
        // Counted, not billed: a VAD reports every second of audio of every stream (no update each time).
        return false;
      }
      default:
        return false;
    }
  }

  /** The summaries so far (copies), zero fields left out: LLMs, then TTSs, then STTs (as agents-js), then VADs, each in the order first used; and the totals. */
  get usage(): AgentSessionUsage {
    const summaries = [...this.#usage.values()].sort((a, b) => KINDS.indexOf(a.type) - KINDS.indexOf(b.type));
    const total: UsageTotals = { llmInputTokens: 0, llmInputCachedTokens: 0, llmOutputTokens: 0, ttsCharactersCount: 0, ttsAudioDurationMs: 0, sttAudioDurationMs: 0, vadInferenceDurationMs: 0 };
    for (const usage of summaries) {
      if (usage.type === 'llm_usage') {
        total.llmInputTokens += usage.inputTokens;
        total.llmInputCachedTokens += usage.inputCachedTokens;
        total.llmOutputTokens += usage.outputTokens;
      } else if (usage.type === 'tts_usage') {
        total.ttsCharactersCount += usage.charactersCount;
        total.ttsAudioDurationMs += usage.audioDurationMs;
      } else if (usage.type === 'stt_usage') total.sttAudioDurationMs += usage.audioDurationMs;
      else total.vadInferenceDurationMs += usage.inferenceDurationMs;
    }
    return { modelUsage: summaries.map(withoutZeros), total };
  }

  /** The summary of `fresh`'s kind and model, `fresh` itself the first time. */
  #entry<U extends ModelUsage>(fresh: U): U {
    const key = `${fresh.type} ${fresh.provider}/${fresh.model}`;
    const usage = this.#usage.get(key) as U | undefined;
    if (usage) return usage;
    this.#usage.set(key, fresh);
    return fresh;
  }
}

function names(label: string): { provider: string; model: string } {
  return { provider: providerOf(label), model: modelOf(label) };
}

function withoutZeros(usage: ModelUsage): Partial<ModelUsage> {
  return Object.fromEntries(Object.entries(usage).filter(([, value]) => value !== 0)) as Partial<ModelUsage>;
}
