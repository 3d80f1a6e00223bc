/**
 * voxstate/testing's FakeLLM measured as a provider plugin measures itself: one `llm_metrics`
 * per chat() when its stream ends (tokens: one per word), and an `error` when it fails.
 */
import { FakeLLM, type ScriptedReply } from '../../src/testing/index.js';
import { Model, ProviderError, type ChatChunk, type ChatRequest, type LLM } from '../../src/index.js';

export class MeteredLLM extends Model implements LLM {
  readonly label = 'fake/scripted-1';
  readonly fake: FakeLLM;
  #requests = 0;

  constructor(script: ScriptedReply[]) {
    super();
    this.fake = new FakeLLM(script);
  }

  async *chat(request: ChatRequest): AsyncIterable<ChatChunk> {
    const started = Date.now();
    let words = 0;
    try {
      for await (const chunk of this.fake.chat(request)) {
        if (chunk.type === 'content') words += 1;
        yield chunk;
      }
    } catch (error) {
      const failure = new ProviderError('fake', false, error instanceof Error ? error.message : String(error));
      this.emit('error', failure);
      throw failure;
    } finally {
      this.#requests += 1;
      const durationMs = Date.now() - started;
      this.emit('metrics_collected', {
        type: 'llm_metrics',
        label: this.label,
        requestId: `req_${this.#requests}`,
        ttftMs: durationMs,
        durationMs,
        cancelled: false,
        promptTokens: 10,
        promptCachedTokens: 4,
        completionTokens: words,
        totalTokens: 10 + words,
        tokensPerSecond: 0,
        timestamp: Date.now(),
      });
    }
  }
}
