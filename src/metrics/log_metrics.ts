/**
 * agents-js's `metrics.logMetrics`: one log line per metric, its message naming the kind ("LLM
 * metrics", "TTS metrics", …) and its fields the measurements, rounded for reading (ms to 0.01).
 */
import { VoxstateError } from '../errors.js';
import { log } from '../log/logger.js';
import type { AgentMetrics } from './agent_metrics.js';

const round = (value: number) => Math.round(value * 100) / 100;

/**
 * Logs `metrics` at info level through voxstate's logger (the job's, with its fields, inside a job).
 *
 * @example
 * session.on(AgentSessionEventTypes.MetricsCollected, (ev) => metrics.logMetrics(ev.metrics));
 */
export function logMetrics(metrics: AgentMetrics): void {
  const [message, fields] = describeMetrics(metrics);
  log().info(fields, message);
}

function describeMetrics(metrics: AgentMetrics): [string, Record<string, unknown>] {
  switch (metrics?.type) {
    case 'llm_metrics':
      return [
        'LLM metrics',
        {
          label: metrics.label,
          ttftMs: round(metrics.ttftMs),
          durationMs: round(metrics.durationMs),
          inputTokens: metrics.promptTokens,
          outputTokens: metrics.completionTokens,
          tokensPerSecond: round(metrics.tokensPerSecond),
          cancelled: metrics.cancelled,
        },
      ];
    case 'tts_metrics':
      return [
        'TTS metrics',
        {
          label: metrics.label,
          ttfbMs: round(metrics.ttfbMs),
          audioDurationMs: Math.round(metrics.audioDurationMs),
          charactersCount: metrics.charactersCount,
          cancelled: metrics.cancelled,
        },
      ];
    case 'stt_metrics':
      return ['STT metrics', { label: metrics.label, audioDurationMs: Math.round(metrics.audioDurationMs), streamed: metrics.streamed }];
    case 'vad_metrics':
      return [
        'VAD metrics',
        {
          label: metrics.label,
          idleTimeMs: Math.round(metrics.idleTimeMs),
          inferenceDurationTotalMs: Math.round(metrics.inferenceDurationTotalMs),
          inferenceCount: metrics.inferenceCount,
        },
      ];
    case 'turn_metrics':
      return [
        'turn metrics',
        {
          speechId: metrics.speechId,
          transcriptionDelayMs: round(metrics.transcriptionDelayMs),
          endOfUtteranceDelayMs: round(metrics.endOfUtteranceDelayMs),
          e2eLatencyMs: round(metrics.e2eLatencyMs),
        },
      ];
    default:
      throw new VoxstateError('invalid_metrics', `logMetrics() needs a metric from metrics_collected, got ${describeValue(metrics)}`);
  }
}

function describeValue(value: unknown): string {
  const type = (value as { type?: unknown } | null | undefined)?.type;
  return type === undefined ? String(value) : `one of type ${JSON.stringify(type)}`;
}
