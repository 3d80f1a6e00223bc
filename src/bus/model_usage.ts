/**
 * Aggregation of model usage: sums `model:used` and `model:failed` per model (requests, failures,
 * durations, tokens) and, every `intervalMs`, publishes the period's totals as `model:usage`.
 *
 *   const usage = new ModelUsageAggregator(runtime, { intervalMs: 60_000 });
 *   runtime.on('model:usage', ({ usage }) => billing.record(usage));
 */
import { checkTimeout } from './deadline.js';
import type { ModelFailedPayload, ModelUsage, ModelUsagePayload, ModelUsedPayload } from './registry.js';
import type { AgentRuntime } from './runtime.js';

export class ModelUsageAggregator {
  readonly #runtime: AgentRuntime;
  readonly #usage = new Map<string, ModelUsage>();
  readonly #interval: ReturnType<typeof setInterval> | undefined;
  #periodStart = Date.now();
  #stopped = false;

  readonly #used = (event: ModelUsedPayload) => {
    const usage = this.#entry(event.modelType, event.model, event.provider);
    usage.requests += 1;
    usage.totalDurationMs += event.durationMs;
    usage.maxDurationMs = Math.max(usage.maxDurationMs, event.durationMs);
    usage.avgDurationMs = usage.totalDurationMs / usage.requests;
    if (event.tokens) {
      usage.promptTokens += event.tokens.prompt;
      usage.completionTokens += event.tokens.completion;
      usage.totalTokens += event.tokens.total;
    }
  };

  readonly #failed = (event: ModelFailedPayload) => {
    this.#entry(event.modelType, event.model ?? event.provider ?? 'unknown', event.provider ?? 'unknown').failures += 1;
  };

  /** Without `intervalMs`, totals are published only by flush(). */
  constructor(runtime: AgentRuntime, options: { intervalMs?: number } = {}) {
    if (options.intervalMs !== undefined) checkTimeout(options.intervalMs, 'intervalMs');
    this.#runtime = runtime;
    runtime.on('model:used', this.#used);
    runtime.on('model:failed', this.#failed);
    if (options.intervalMs !== undefined) this.#interval = setInterval(() => void this.flush(), options.intervalMs);
  }

  /** The totals of the current period, per model (copies). */
  snapshot(): ModelUsage[] {
    return [...this.#usage.values()].map((usage) => ({ ...usage }));
  }

  /**
   * Publishes the current period's totals as `model:usage` (nothing when the period saw no model
   * event) and starts a new period. Resolves when its handlers have settled.
   */
  flush(): Promise<void> {
    const now = Date.now();
    const payload: ModelUsagePayload = { periodMs: now - this.#periodStart, usage: this.snapshot() };
    this.#periodStart = now;
    this.#usage.clear();
    return payload.usage.length === 0 ? Promise.resolve() : this.#runtime.emit('model:usage', payload);
  }

  /** Stops listening and publishes what the last period gathered. */
  stop(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    this.#stopped = true;
    if (this.#interval !== undefined) clearInterval(this.#interval);
    this.#runtime.off('model:used', this.#used);
    this.#runtime.off('model:failed', this.#failed);
    return this.flush();
  }

  #entry(modelType: string, model: string, provider: string): ModelUsage {
    const key = `${modelType} ${model}`;
    let usage = this.#usage.get(key);
    if (usage === undefined) {
      usage = {
        modelType,
        provider,
        model,
        requests: 0,
        failures: 0,
        totalDurationMs: 0,
        avgDurationMs: 0,
        maxDurationMs: 0,
        promptTokens: 0,
        completionTokens: 0,
        totalTokens: 0,
      };
      this.#usage.set(key, usage);
    }
    return usage;
  }
}
