/**
 * The `metrics` namespace, as agents-js's: the metric types a session reports as
 * `metrics_collected`, `logMetrics` to log them, and the usage summaries of `session.usage`.
 */
export { logMetrics } from './log_metrics.js';
export type { AgentMetrics, TurnMetrics } from './agent_metrics.js';
export type { LLMMetrics, STTMetrics, TTSMetrics, VADMetrics, ModelMetrics } from '../provider/metrics.js';
export { ModelUsageCollector, type AgentSessionUsage, type LLMModelUsage, type ModelUsage, type STTModelUsage, type TTSModelUsage } from './usage.js';
