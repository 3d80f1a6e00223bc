/** metrics.logMetrics: one readable log line per metric, as an agents-js agent logs what its session measured. */
import { describe, expect, it } from 'vitest';
import * as metrics from '../../src/metrics/index.js';
import { VoxstateError } from '../../src/index.js';
import { captureLogs } from '../bus/log_lines.js';

const logs = captureLogs();

const at = 1_796_000_000_000;

describe('metrics.logMetrics', () => {
  it('logs each kind of metric at info, its message naming the kind, its fields rounded for reading', () => {
    const all: metrics.AgentMetrics[] = [
      { type: 'llm_metrics', label: 'openai/gpt-4.1-mini', requestId: 'r1', ttftMs: 123.456, durationMs: 800.123, cancelled: false, promptTokens: 12, promptCachedTokens: 0, completionTokens: 3, totalTokens: 15, tokensPerSecond: 3.7456, timestamp: at },
      { type: 'tts_metrics', label: 'cartesia/sonic-3', requestId: 'r2', ttfbMs: 95.555, durationMs: 300, audioDurationMs: 83.333, charactersCount: 12, cancelled: false, timestamp: at },
      { type: 'stt_metrics', label: 'deepgram/nova-3', requestId: 'r3', audioDurationMs: 500.4, durationMs: 0, streamed: true, timestamp: at },
      { type: 'vad_metrics', label: 'silero/vad-v6.2', idleTimeMs: 10.6, inferenceDurationTotalMs: 4.4, inferenceCount: 31, timestamp: at },
      { type: 'turn_metrics', transcriptionDelayMs: 200.004, endOfUtteranceDelayMs: 500, e2eLatencyMs: 1234.5678, speechId: 'speech_1', timestamp: at },
    ];
    for (const metric of all) metrics.logMetrics(metric);
    expect(logs.lines.map(({ level, msg, ...fields }) => ({ level, msg, ...pick(fields) }))).toEqual([
      { level: 30, msg: 'LLM metrics', label: 'openai/gpt-4.1-mini', ttftMs: 123.46, durationMs: 800.12, inputTokens: 12, outputTokens: 3, tokensPerSecond: 3.75, cancelled: false },
      { level: 30, msg: 'TTS metrics', label: 'cartesia/sonic-3', ttfbMs: 95.56, audioDurationMs: 83, charactersCount: 12, cancelled: false },
      { level: 30, msg: 'STT metrics', label: 'deepgram/nova-3', audioDurationMs: 500, streamed: true },
      { level: 30, msg: 'VAD metrics', label: 'silero/vad-v6.2', idleTimeMs: 11, inferenceDurationTotalMs: 4, inferenceCount: 31 },
      { level: 30, msg: 'turn metrics', speechId: 'speech_1', transcriptionDelayMs: 200, endOfUtteranceDelayMs: 500, e2eLatencyMs: 1234.57 },
    ]);
  });

  it('refuses what is not a metric, with a typed error', () => {
    expect(() => metrics.logMetrics({ type: 'eou_metrics' } as never)).toThrow(VoxstateError);
    expect(() => metrics.logMetrics({ type: 'eou_metrics' } as never)).toThrow('logMetrics() needs a metric from metrics_collected, got one of type "eou_metrics"');
    expect(() => metrics.logMetrics(undefined as never)).toThrow('got undefined');
    expect(logs.lines).toEqual([]);
  });
});

/** The line's own fields, without pino's (time, pid). */
function pick(fields: Record<string, unknown>): Record<string, unknown> {
  const { time: _time, pid: _pid, ...own } = fields;
  return own;
}
