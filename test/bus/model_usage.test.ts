/** ModelUsageAggregator: model:used / model:failed summed per model, published as model:usage per period. */
import { describe, expect, it, vi } from 'vitest';
import { AgentRuntime, ModelUsageAggregator, ProviderError, type ModelUsagePayload, type ModelUsedPayload } from '../../src/index.js';
import { useFakeTime } from '../support/fake_time.js';

useFakeTime();

function used(model: string, durationMs: number, tokens?: { prompt: number; completion: number }): ModelUsedPayload {
  const [provider] = model.split('/');
  return {
    modelType: model.includes('tts') ? 'tts' : 'llm',
    provider: provider!,
    model,
    durationMs,
    ...(tokens ? { tokens: { ...tokens, total: tokens.prompt + tokens.completion } } : {}),
    metrics: {} as ModelUsedPayload['metrics'],
  };
}

describe('ModelUsageAggregator', () => {
  it('sums requests, failures, durations and tokens per model and publishes them every interval', async () => {
    const runtime = new AgentRuntime();
    const published: ModelUsagePayload[] = [];
    runtime.on('model:usage', (payload) => void published.push(payload));
    const aggregator = new ModelUsageAggregator(runtime, { intervalMs: 60_000 });
    await runtime.emit('model:used', used('openai/gpt-4.1-mini', 300, { prompt: 100, completion: 20 }));
    await runtime.emit('model:used', used('openai/gpt-4.1-mini', 500, { prompt: 120, completion: 30 }));
    await runtime.emit('model:used', used('cartesia/sonic-tts', 80));
    await runtime.emit('model:failed', { modelType: 'llm', model: 'openai/gpt-4.1-mini', provider: 'openai', error: new ProviderError('openai', false, '429') });
    expect(aggregator.snapshot().find((u) => u.model === 'openai/gpt-4.1-mini')).toMatchObject({ requests: 2, failures: 1 });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(published).toHaveLength(1);
    expect(published[0]!.periodMs).toBe(60_000);
    expect(published[0]!.usage).toEqual([
      {
        modelType: 'llm',
        provider: 'openai',
        model: 'openai/gpt-4.1-mini',
        requests: 2,
        failures: 1,
        totalDurationMs: 800,
        avgDurationMs: 400,
        maxDurationMs: 500,
        promptTokens: 220,
        completionTokens: 50,
        totalTokens: 270,
      },
      {
        modelType: 'tts',
        provider: 'cartesia',
        model: 'cartesia/sonic-tts',
        requests: 1,
        failures: 0,
        totalDurationMs: 80,
        avgDurationMs: 80,
        maxDurationMs: 80,
        promptTokens: 0,
        completionTokens: 0,
        totalTokens: 0,
      },
    ]);
    // A quiet period publishes nothing; the next one starts from zero.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(published).toHaveLength(1);
    await runtime.emit('model:used', used('openai/gpt-4.1-mini', 100));
    await aggregator.stop();
    expect(published).toHaveLength(2);
    expect(published[1]!.usage).toMatchObject([{ requests: 1, totalDurationMs: 100 }]);
    expect(vi.getTimerCount()).toBe(0);
    expect(runtime.listenerCount('model:used')).toBe(0);
  });
});
