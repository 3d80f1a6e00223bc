/**
 * What a session's models were used for, per model, in agents-js's shape (`session.usage`,
 * `session_usage_updated`): LLM tokens, TTS characters and audio, STT audio. Summed from the
 * metrics the session reports, so a model shared by several sessions counts in each session that
 * watches it (attribution per session is issue 19's).
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

export type ModelUsage = LLMModelUsage | TTSModelUsage | STTModelUsage;

/** A session's usage: one summary per model, fields that are still 0 left out (as agents-js). */
export interface AgentSessionUsage {
  modelUsage: Array<Partial<ModelUsage>>;
}

const KINDS: ReadonlyArray<ModelUsage['type']> = ['llm_usage', 'tts_usage', 'stt_usage'];

/** Sums usage per model from metrics. */
export class ModelUsageCollector {
  /** Per kind and model, in the order the models were first used. */
  readonly #usage = new Map<string, ModelUsage>();

  /** Counts what `metrics` used; false for metrics that use nothing billable (VAD, turn latencies). */
  collect(metrics: AgentMetrics): boolean {
    switch (metrics.type) {
      case 'llm_metrics': {
        const usage = this.#entry<LLMModelUsage>({ type: 'llm_usage', ...names(metrics.label), inputTokens: 0, outputTokens: 0 });
        usage.inputTokens += metrics.promptTokens;
        usage.outputTokens += metrics.completionTokens;
        return true;
      }
      case 'realtime_model_metrics': {
        const usage = this.#entry<LLMModelUsage>({
          type: 'llm_usage',
          ...names(metrics.label),
          inputTokens: 0,
          outputTokens: 0,
          inputAudioTokens: 0,
          inputTextTokens: 0,
          outputAudioTokens: 0,
          outputTextTokens: 0,
        });
        usage.inputTokens += metrics.inputTokens;
        usage.outputTokens += metrics.outputTokens;
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
      default:
        return false;
    }
  }

  /** The summaries so far (copies), zero fields left out: LLMs, then TTSs, then STTs (as agents-js), each in the order first used. */
  get usage(): AgentSessionUsage {
    const summaries = [...this.#usage.values()].sort((a, b) => KINDS.indexOf(a.type) - KINDS.indexOf(b.type));
    return { modelUsage: summaries.map(withoutZeros) };
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
