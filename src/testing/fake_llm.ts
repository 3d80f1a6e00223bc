/**
 * A scripted LLM for tests: it answers from a script, in order; each reply is text and/or tool
 * calls, after `ttftMs` of (virtual) time, or held until the test releases it, to observe the
 * agent "thinking".
 */
import type { ChatChunk, ChatRequest, LLM } from '../llm/llm.js';

export interface ScriptedReply {
  text?: string;
  toolCalls?: Array<{ name: string; arguments?: unknown; callId?: string }>;
  /** Throw this instead of answering. */
  error?: Error;
  /** Wait for release() before answering. */
  hold?: boolean;
  /** ms before the first token (setTimeout: fake timers drive it). */
  ttftMs?: number;
}

export class FakeLLM implements LLM {
  readonly label = 'fake/llm';
  readonly requests: ChatRequest[] = [];
  #script: ScriptedReply[];
  #held: Array<() => void> = [];
  #calls = 0;
  /** Answer used when the script runs out. */
  fallback: ScriptedReply = { text: 'ok' };

  constructor(script: ScriptedReply[] = []) {
    this.#script = [...script];
  }

  push(...replies: ScriptedReply[]): void {
    this.#script.push(...replies);
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
    const reply = this.#script.shift() ?? this.fallback;
    if (reply.hold) await new Promise<void>((resolve) => this.#held.push(resolve));
    if (reply.ttftMs) await new Promise((resolve) => setTimeout(resolve, reply.ttftMs));
    if (reply.error) throw reply.error;
    for (const word of reply.text?.match(/\S+\s*/g) ?? []) yield { type: 'content', text: word };
    for (const call of reply.toolCalls ?? []) {
      this.#calls += 1;
      yield {
        type: 'tool_call',
        callId: call.callId ?? `call_${this.#calls}`,
        name: call.name,
        arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments ?? {}),
      };
    }
  }
}
