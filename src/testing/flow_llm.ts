/**
 * The LLM of a flow path: it takes the path's transition when the request offers its tool (the
 * agent in charge has it), and otherwise answers with a line naming who speaks where, so that
 * an agent's onEnter or a follow-up reply never takes a step meant for the user's turn.
 */
import type { ChatChunk, ChatRequest, LLM } from '../llm/llm.js';

/** What the flow path's LLM says when it does not call a tool. */
export type FlowReplyText = (request: ChatRequest) => string;

export class FlowPathLLM implements LLM {
  readonly label = 'voxstate/flow-path';
  /** The requests, in order. */
  readonly requests: ChatRequest[] = [];
  /** The transition to take at the next request that offers it. */
  #planned: { name: string; arguments: Record<string, unknown> } | undefined;
  #calls = 0;

  constructor(private readonly text: FlowReplyText) {}

  /** The next request that offers tool `name` calls it with `args`. */
  plan(name: string, args: Record<string, unknown>): void {
    this.#planned = { name, arguments: args };
  }

  /** The planned call, if no request took it (its tool was never offered). */
  get pending(): string | undefined {
    return this.#planned?.name;
  }

  async *chat(request: ChatRequest): AsyncIterable<ChatChunk> {
    this.requests.push(request);
    const planned = this.#planned;
    if (planned && request.toolChoice !== 'none' && request.tools.some((entry) => entry.name === planned.name)) {
      this.#planned = undefined;
      this.#calls += 1;
      yield { type: 'tool_call', callId: `flow_call_${this.#calls}`, name: planned.name, arguments: JSON.stringify(planned.arguments) };
      return;
    }
    yield { type: 'content', text: this.text(request) };
  }
}
