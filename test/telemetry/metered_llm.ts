/**
 * voxstate/testing's FakeLLM measured as a provider plugin measures itself (src/plugins/openai):
 * one `llm_metrics` per chat() when its stream ends, with the time to its first chunk and its
 * duration on the test's clock (fake timers), tokens one per word.
 */
import { FakeLLM, type ScriptedReply } from '../../src/testing/index.js';
import { Model, type ChatChunk, type ChatRequest, type LLM } from '../../src/index.js';

export class MeteredLLM extends Model implements LLM {
  readonly label = 'fake/weather-1';
  readonly fake: FakeLLM;
  #requests = 0;

  constructor(script: ScriptedReply[]) {
    super();
    this.fake = new FakeLLM(script);
  }

  async *chat(request: ChatRequest): AsyncIterable<ChatChunk> {
    const started = Date.now();
    let firstAt: number | undefined;
    let words = 0;
    let completed = false;
    try {
      for await (const chunk of this.fake.chat(request)) {
        firstAt ??= Date.now();
        if (chunk.type === 'content') words += 1;
        yield chunk;
      }
      completed = true;
    } finally {
      this.#requests += 1;
      const now = Date.now();
      this.emit('metrics_collected', {
        type: 'llm_metrics',
        label: this.label,
        requestId: `req_${this.#requests}`,
        ttftMs: firstAt === undefined ? -1 : firstAt - started,
        durationMs: now - started,
        cancelled: !completed,
        promptTokens: 12,
        promptCachedTokens: 4,
        completionTokens: words,
        totalTokens: 12 + words,
        tokensPerSecond: 0,
        timestamp: now,
      });
    }
  }
}
