/** What models measure about themselves, in ms everywhere, reported as `metrics_collected`. */

export interface LLMMetrics {
  type: 'llm_metrics';
  label: string;
  requestId: string;
  /** From the request to the first token. */
  ttftMs: number;
  durationMs: number;
  cancelled: boolean;
  promptTokens: number;
  /** Of promptTokens, those the provider served from its prompt cache. */
  promptCachedTokens: number;
  completionTokens: number;
  totalTokens: number;
  tokensPerSecond: number;
  speechId?: string;
  timestamp: number;
}

export interface TTSMetrics {
  type: 'tts_metrics';
  label: string;
  requestId: string;
  /** From the first text pushed to the first audio frame. */
  ttfbMs: number;
  durationMs: number;
  audioDurationMs: number;
  charactersCount: number;
  cancelled: boolean;
  speechId?: string;
  timestamp: number;
}

export interface STTMetrics {
  type: 'stt_metrics';
  label: string;
  requestId: string;
  audioDurationMs: number;
  /** Time to the final transcript for a non-streaming recognition; 0 when streaming. */
  durationMs: number;
  streamed: boolean;
  timestamp: number;
}

export interface VADMetrics {
  type: 'vad_metrics';
  label: string;
  idleTimeMs: number;
  inferenceDurationTotalMs: number;
  inferenceCount: number;
  timestamp: number;
}

/** Measurements of one response of a realtime (speech-to-speech) model. */
export interface RealtimeModelMetrics {
  type: 'realtime_model_metrics';
  label: string;
  requestId: string;
  /** From the response's start to its first audio (or text, without audio); -1 when none came. */
  ttftMs: number;
  durationMs: number;
  cancelled: boolean;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  /** Of the input, audio and text tokens, and those served from the provider's cache. */
  inputTokenDetails: { audioTokens: number; textTokens: number; cachedTokens: number };
  outputTokenDetails: { audioTokens: number; textTokens: number };
}

export type ModelMetrics = LLMMetrics | TTSMetrics | STTMetrics | VADMetrics | RealtimeModelMetrics;
