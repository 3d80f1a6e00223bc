/**
 * An LLM whose replies the test streams chunk by chunk: each chat() opens a reply that gets what
 * the test pushes, until it ends or fails it. An aborted request's reply closes, as a provider's
 * stream does when its request is cancelled.
 */
import type { ChatChunk, ChatRequest, LLM } from '../../src/llm/llm.js';
import { EventChannel } from '../../src/streams/event_channel.js';

export class SteppedLLM implements LLM {
  readonly label = 'test/stepped';
  readonly requests: ChatRequest[] = [];
  readonly #replies: Array<EventChannel<ChatChunk>> = [];

  chat(request: ChatRequest): AsyncIterable<ChatChunk> {
    this.requests.push(request);
    const reply = new EventChannel<ChatChunk>();
    request.signal.addEventListener('abort', () => reply.close(), { once: true });
    this.#replies.push(reply);
    return reply;
  }

  /** The reply to the latest request. */
  get reply(): EventChannel<ChatChunk> {
    const reply = this.#replies.at(-1);
    if (!reply) throw new Error('the LLM has not been asked anything yet');
    return reply;
  }

  text(text: string): void {
    this.reply.push({ type: 'content', text });
  }

  toolCall(name: string, callId = `call_${this.requests.length}`): void {
    this.reply.push({ type: 'tool_call', callId, name, arguments: '{}' });
  }
}
