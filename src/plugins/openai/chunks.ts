/**
 * Turns the `chat.completion.chunk`s of one streamed response into ChatChunks: text deltas as they
 * come, tool calls whole once the response says it is finished (its finish reason), and the token
 * usage (the last chunk, sent because the request asks for `stream_options.include_usage`). A
 * stream that ends with a call begun and no finish reason was cut short: a recoverable
 * ProviderError, never the calls (even when the arguments so far parse, more may have been due).
 */
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { ChatChunk } from '../../llm/llm.js';
import { ProviderError } from '../../provider/provider_error.js';
import { PROVIDER } from './errors.js';
import { ToolCallAssembler } from './tool_calls.js';

export class ChunkReader {
  readonly #toolCalls = new ToolCallAssembler();
  /** The provider's id of the response ("chatcmpl-…"). */
  responseId: string | undefined;
  usage: { promptTokens: number; promptCachedTokens: number; completionTokens: number; totalTokens: number } | undefined;
  finishReason: string | undefined;

  /** The ChatChunks one SDK chunk gives (often none: a role-only delta, an argument fragment). */
  read(chunk: ChatCompletionChunk): ChatChunk[] {
    const out: ChatChunk[] = [];
    if (chunk.id) this.responseId ??= chunk.id;
    // Only the first choice: requests never ask for more than one.
    const choice = chunk.choices?.find((c) => (c.index ?? 0) === 0);
    if (choice) {
      const text = choice.delta?.content;
      if (typeof text === 'string' && text !== '') out.push({ type: 'content', text });
      if (choice.delta?.tool_calls) this.#toolCalls.push(choice.delta.tool_calls);
      if (choice.finish_reason) {
        this.finishReason = choice.finish_reason;
        out.push(...this.#calls());
      }
    }
    if (chunk.usage) {
      this.usage = {
        promptTokens: chunk.usage.prompt_tokens ?? 0,
        promptCachedTokens: chunk.usage.prompt_tokens_details?.cached_tokens ?? 0,
        completionTokens: chunk.usage.completion_tokens ?? 0,
        totalTokens: chunk.usage.total_tokens ?? (chunk.usage.prompt_tokens ?? 0) + (chunk.usage.completion_tokens ?? 0),
      };
      out.push({ type: 'usage', promptTokens: this.usage.promptTokens, completionTokens: this.usage.completionTokens });
    }
    return out;
  }

  /** At the end of the stream: nothing is left, or the response was cut off in a tool call (thrown). */
  end(): ChatChunk[] {
    if (this.#toolCalls.pending) {
      const names = this.#toolCalls.pendingNames.join(', ');
      throw new ProviderError(PROVIDER, true, `the stream ended without a finish reason, in the middle of tool call ${names}`);
    }
    return [];
  }

  #calls(): ChatChunk[] {
    return this.#toolCalls.take().map((call) => ({ type: 'tool_call', ...call }));
  }
}
