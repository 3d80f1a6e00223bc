/**
 * Preemptive generation: the reply is requested from the LLM as soon as the final transcript is
 * there, while the session still waits to be sure the user has finished. If the turn then ends
 * with that very transcript, in the same conversation, to the same agent, the reply already on its
 * way is used; otherwise it is cancelled.
 */
import type { Agent } from '../agent/agent.js';
import { ChatContext } from '../llm/chat_context.js';
import type { ChatChunk, LLM } from '../llm/llm.js';
import { toolEntries } from '../llm/tool_set.js';
import { EventChannel } from '../streams/event_channel.js';

export class PreemptiveReply {
  readonly #abort = new AbortController();
  readonly #chunks = new EventChannel<ChatChunk>();

  constructor(
    readonly transcript: string,
    private readonly agent: Agent,
    private readonly historyLength: number,
    llm: LLM,
    history: ChatContext,
  ) {
    const chatCtx = history.copy();
    chatCtx.addMessage({ role: 'user', content: transcript });
    const stream = llm.chat({
      instructions: agent.instructions,
      chatCtx,
      tools: toolEntries(agent.tools, `agent ${agent.id}`),
      toolChoice: 'auto',
      signal: this.#abort.signal,
    });
    // Read at once (the point is to have the first tokens early); kept until used or cancelled.
    void (async () => {
      try {
        for await (const chunk of stream) this.#chunks.push(chunk);
        this.#chunks.end();
      } catch (error) {
        this.#chunks.fail(error);
      }
    })();
  }

  /** Whether this reply answers `transcript`, in a conversation of `historyLength` items before it, by `agent`. */
  fits(transcript: string, agent: Agent | undefined, historyLength: number): boolean {
    return !this.#abort.signal.aborted && transcript === this.transcript && agent === this.agent && historyLength === this.historyLength;
  }

  /** The reply's chunks, as they came and as they come. */
  take(signal: AbortSignal): AsyncIterable<ChatChunk> {
    signal.addEventListener('abort', () => this.cancel(), { once: true });
    return this.#chunks;
  }

  cancel(): void {
    this.#abort.abort();
    this.#chunks.close();
  }
}
