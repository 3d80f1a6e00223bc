/**
 * Turns the `chat.completion.chunk`s of one streamed response into ChatChunks: text deltas as they
 * come, tool calls whole once the response is finished, and the token usage (the last chunk, sent
 * because the request asks for `stream_options.include_usage`).
 */
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { ChatChunk } from '../../llm/llm.js';
import { ToolCallAssembler } from './tool_calls.js';

export class ChunkReader {
  readonly #toolCalls = new ToolCallAssembler();
  /** The provider's id of the response ("chatcmpl-…"). */
  responseId: string | undefined;
  usage: { promptTokens: number; completionTokens: number; totalTokens: number } | undefined;
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
      out.push(...this.#calls());
      this.usage = {
        promptTokens: chunk.usage.prompt_tokens ?? 0,
        completionTokens: chunk.usage.completion_tokens ?? 0,
        totalTokens: chunk.usage.total_tokens ?? (chunk.usage.prompt_tokens ?? 0) + (chunk.usage.completion_tokens ?? 0),
      };
      out.push({ type: 'usage', promptTokens: this.usage.promptTokens, completionTokens: this.usage.completionTokens });
    }
    return out;
  }

  /** What is left when the stream ends: tool calls of a server that never said it had finished. */
  end(): ChatChunk[] {
    return this.#calls();
  }

  #calls(): ChatChunk[] {
    return this.#toolCalls.take().map((call) => ({ type: 'tool_call', ...call }));
  }
}
