/**
 * A scripted LLM for tests. It answers in one of two forms (see fake_llm_script.ts):
 *
 *   new FakeLLM([{ toolCalls: [{ name: 'lookup', arguments: { city: 'Paris' } }] }, { text: 'Sunny.' }]);  // in order
 *   new FakeLLM([{ input: 'Weather in Paris?', toolCalls: [{ name: 'lookup', args: { city: 'Paris' } }] },
 *                { input: 'sunny in Paris', content: 'Sunny.' }]);                                    // by input (agents-js)
 *
 * Each reply is text and/or tool calls, after its time to first token (setTimeout: fake timers
 * drive it); an ordered reply can also throw, or be held until the test releases it, to observe
 * the agent "thinking".
 */
import type { ChatChunk, ChatRequest, LLM } from '../llm/llm.js';
import { type FakeLLMResponse, newScript, orderedReply, type Script, type ScriptedReply } from './fake_llm_script.js';

export type { FakeLLMResponse, ScriptedReply };

export class FakeLLM implements LLM {
  readonly label = 'fake/llm';
  /** Every request, in order. */
  readonly requests: ChatRequest[] = [];
  /** Decided by the first replies given (constructor or push). */
  #script: Script | undefined;
  #held: Array<() => void> = [];
  #calls = 0;
  /** Answer used when the ordered script runs out. */
  fallback: ScriptedReply = { text: 'ok' };

  /** Throws a FakeLLMScriptError if a reply has an unknown field, a wrong type or says nothing. */
  constructor(script: readonly ScriptedReply[] | readonly FakeLLMResponse[] = []) {
    if (script.length > 0) this.#script = newScript(script);
  }

  /** More replies, in the form the first ones had. */
  push(...replies: ScriptedReply[] | FakeLLMResponse[]): void {
    if (this.#script) this.#script.add(replies);
    else this.#script = newScript(replies);
  }

  /** Lets the oldest held reply go. */
  release(): void {
    this.#held.shift()?.();
  }

  get heldCount(): number {
    return this.#held.length;
  }

  async *chat(request: ChatRequest): AsyncIterable<ChatChunk> {
    this.requests.push(request);
    let reply = this.#script?.answer(request) ?? orderedReply(this.fallback, 0);
    if (reply.held) {
      const held = reply.held;
      await new Promise<void>((resolve) => this.#held.push(resolve));
      reply = orderedReply(held, 0);
    }
    if (reply.ttftMs > 0) await new Promise((resolve) => setTimeout(resolve, reply.ttftMs));
    if (reply.error) throw reply.error;
    for (const word of reply.text.match(/\S+\s*/g) ?? []) yield { type: 'content', text: word };
    for (const call of reply.toolCalls) {
      this.#calls += 1;
      yield { type: 'tool_call', callId: call.callId ?? `call_${this.#calls}`, name: call.name, arguments: call.arguments };
    }
    const rest = reply.durationMs - reply.ttftMs;
    if (rest > 0) await new Promise((resolve) => setTimeout(resolve, rest));
  }
}
