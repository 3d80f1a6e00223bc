/**
 * What a session measures and reports as `metrics_collected`, in ms everywhere: each model's
 * measurements of itself, and the latencies of each spoken turn.
 */
import type { ModelMetrics } from '../provider/metrics.js';

/** Latencies of one spoken turn, in ms, measured from the user's end of speech (agents-js's EOU metrics). */
export interface TurnMetrics {
  type: 'turn_metrics';
  /** End of speech → the final transcript. */
  transcriptionDelayMs: number;
  /** End of speech → the turn was committed. */
  endOfUtteranceDelayMs: number;
  /** End of speech → the agent's first audio (or text) of the reply. */
  e2eLatencyMs: number;
  speechId: string;
  timestamp: number;
}

/** Every metric a session reports. */
export type AgentMetrics = ModelMetrics | TurnMetrics;
