/**
 * voxstate/testing's FakeLLM measured as a provider plugin measures itself (src/plugins/openai):
 * one `llm_metrics` per chat() when its stream ends, with the time to its first chunk and its
 * duration on the test's clock (fake timers), tokens one per word; an `error` when it fails.
 */
import { FakeLLM, type ScriptedReply } from '../../src/testing/index.js';
import { Model, ProviderError, type ChatChunk, type ChatRequest, type LLM } from '../../src/index.js';

export class MeteredLLM extends Model implements LLM {
  readonly label: string;
  readonly fake: FakeLLM;
  readonly #promptTokens: number;
  #requests = 0;

  constructor(script: ScriptedReply[], options: { label?: string; promptTokens?: number } = {}) {
    super();
    this.fake = new FakeLLM(script);
    this.label = options.label ?? 'fake/scripted-1';
    this.#promptTokens = options.promptTokens ?? 10;
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
    } catch (error) {
      const failure = new ProviderError('fake', false, error instanceof Error ? error.message : String(error));
      this.emit('error', failure);
      throw failure;
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
        promptTokens: this.#promptTokens,
        promptCachedTokens: 4,
        completionTokens: words,
        totalTokens: this.#promptTokens + words,
        tokensPerSecond: 0,
        timestamp: now,
      });
    }
  }
}
