/**
 * Model requests as spans, made from the measurements a model reports once a request is over
 * (`metrics_collected`): its span is dated back from the report (start = end − duration), so no
 * span is open while tokens or audio flow. `llm_request` carries the time to first token, the
 * tokens and the model; `tts_request` the time to first byte and the TTS's label; an STT reports
 * usage rather than requests (a streaming one per connection), so its reports are events on the
 * session's span.
 */
import type { Attributes, Span } from '@opentelemetry/api';
import { modelOf, providerOf } from '../metrics/model_label.js';
import type { LLMMetrics, RealtimeModelMetrics, STTMetrics, TTSMetrics } from '../provider/metrics.js';
import type { SessionTrace } from './session_trace.js';
import { endSpanAt, hrTime, seconds, startSpanAt } from './span_time.js';
import { ATTR, EVENT, SPAN } from './trace_names.js';

/** An `llm_request` span under `parent`, from an LLM's or a realtime model's report (`at`: when it came). */
export function llmRequestSpan(trace: SessionTrace, parent: Span, metrics: LLMMetrics | RealtimeModelMetrics, at: number): void {
  const endedAt = metrics.type === 'llm_metrics' ? metrics.timestamp : at;
  const startedAt = endedAt - metrics.durationMs;
  const attributes: Attributes = {
    [ATTR.operationName]: 'chat',
    [ATTR.providerName]: providerOf(metrics.label),
    [ATTR.requestModel]: modelOf(metrics.label),
    [ATTR.responseId]: metrics.requestId,
    [ATTR.cancelled]: metrics.cancelled,
  };
  if (metrics.type === 'llm_metrics') {
    attributes[ATTR.inputTokens] = metrics.promptTokens;
    attributes[ATTR.outputTokens] = metrics.completionTokens;
    attributes[ATTR.cachedInputTokens] = metrics.promptCachedTokens ?? 0;
  } else {
    attributes[ATTR.inputTokens] = metrics.inputTokens;
    attributes[ATTR.outputTokens] = metrics.outputTokens;
  }
  // A negative time to first token says none came.
  if (metrics.ttftMs >= 0) {
    attributes[ATTR.ttft] = seconds(metrics.ttftMs);
    attributes[ATTR.timeToFirstChunk] = seconds(metrics.ttftMs);
  }
  const span = startSpanAt(trace.tracer, SPAN.llm, parent, startedAt, attributes);
  // The whole report as LiveKit attaches it; only worth its JSON when the span is kept.
  if (span.isRecording()) span.setAttribute(metrics.type === 'llm_metrics' ? ATTR.llmMetrics : ATTR.realtimeMetrics, JSON.stringify(metrics));
  endSpanAt(span, startedAt, endedAt);
}

/** A `tts_request` span under `parent`, from a TTS's report. */
export function ttsRequestSpan(trace: SessionTrace, parent: Span, metrics: TTSMetrics): void {
  const startedAt = metrics.timestamp - metrics.durationMs;
  const attributes: Attributes = { [ATTR.ttsLabel]: metrics.label, [ATTR.cancelled]: metrics.cancelled };
  if (metrics.ttfbMs >= 0) attributes[ATTR.ttfb] = seconds(metrics.ttfbMs);
  const span = startSpanAt(trace.tracer, SPAN.tts, parent, startedAt, attributes);
  if (span.isRecording()) span.setAttribute(ATTR.ttsMetrics, JSON.stringify(metrics));
  endSpanAt(span, startedAt, metrics.timestamp);
}

/** An STT's usage report, as an `stt_metrics` event on the session's span. */
export function sttMetricsEvent(trace: SessionTrace, metrics: STTMetrics): void {
  trace.span.addEvent(
    EVENT.sttMetrics,
    {
      [ATTR.sttLabel]: metrics.label,
      [ATTR.sttAudioDuration]: seconds(metrics.audioDurationMs),
      [ATTR.sttDuration]: seconds(metrics.durationMs),
      [ATTR.sttStreamed]: metrics.streamed,
    },
    hrTime(metrics.timestamp),
  );
}
