/**
 * The conversation history: messages, function calls and their outputs, and agent handoffs, in
 * the order they happened. An AgentSession owns one; LLMs receive copies.
 */
import { newId } from '../ids.js';

export type ChatRole = 'system' | 'developer' | 'user' | 'assistant';

export interface ChatMessage {
  type: 'message';
  id: string;
  role: ChatRole;
  content: string;
  /** True when the agent was interrupted: `content` is what was actually played. */
  interrupted: boolean;
  createdAt: number;
}

export interface FunctionCall {
  type: 'function_call';
  id: string;
  callId: string;
  name: string;
  /** The arguments as the LLM produced them (JSON text). */
  arguments: string;
  createdAt: number;
}

export interface FunctionCallOutput {
  type: 'function_call_output';
  id: string;
  callId: string;
  name: string;
  output: string;
  isError: boolean;
  createdAt: number;
}

/** The conversation passed from one agent to another (agents-js's AgentHandoffItem). */
export interface AgentHandoffItem {
  type: 'agent_handoff';
  id: string;
  oldAgentId: string | undefined;
  newAgentId: string;
  createdAt: number;
}

export type ChatItem = ChatMessage | FunctionCall | FunctionCallOutput | AgentHandoffItem;

type NewItem<T extends ChatItem> = Omit<T, 'id' | 'createdAt' | 'type'> & Partial<Pick<T, 'id' | 'createdAt'>>;

/**
 * Items are kept in the order things happened, which is not always the order they are committed:
 * an agent message is committed when its playout ends, but it belongs where its playout started
 * (before the user turn that interrupted it). `reserve()` takes that place in advance.
 */
export class ChatContext {
  #items: ChatItem[];
  #places: number[];
  #next = 0;
  /**
   * A copy shares its source's arrays and sees only their first `#length` items (a view): the
   * source appending keeps that prefix intact, so neither copies anything. A view materializes
   * when it is read or changed; the source clones only to insert in the middle while it has lent
   * its arrays. A session copies its history for every LLM request and turn hook, so a copy must
   * not cost the whole history.
   */
  #length = -1;
  #lent = false;
  #modified = false;

  constructor(items: readonly ChatItem[] = []) {
    this.#items = [...items];
    this.#places = this.#items.map(() => this.#next++);
  }

  /** A place in the order, for an item that will be committed later. */
  reserve(): number {
    return this.#next++;
  }

  /** The items in order. */
  get items(): readonly ChatItem[] {
    this.#own();
    return this.#items;
  }

  /** Only the messages. */
  messages(): ChatMessage[] {
    return this.items.filter((item): item is ChatMessage => item.type === 'message');
  }

  addMessage(message: Omit<NewItem<ChatMessage>, 'interrupted'> & { interrupted?: boolean }, place?: number): ChatMessage {
    return this.insert({ interrupted: false, ...message, type: 'message', ...stamp('item', message) }, place);
  }

  addFunctionCall(call: NewItem<FunctionCall>): FunctionCall {
    return this.insert({ ...call, type: 'function_call', ...stamp('call', call) });
  }

  addFunctionCallOutput(output: NewItem<FunctionCallOutput>): FunctionCallOutput {
    return this.insert({ ...output, type: 'function_call_output', ...stamp('output', output) });
  }

  addHandoff(handoff: NewItem<AgentHandoffItem>): AgentHandoffItem {
    return this.insert({ ...handoff, type: 'agent_handoff', ...stamp('handoff', handoff) });
  }

  /** Adds an item built elsewhere, at `place` (from reserve()) or at the end. */
  insert<T extends ChatItem>(item: T, place: number = this.#next++): T {
    this.#own();
    this.#modified = true;
    let at = this.#items.length;
    while (at > 0 && this.#places[at - 1]! > place) at -= 1;
    if (this.#lent && at < this.#items.length) {
      // Copies see a prefix of these arrays: keep it as it is for them.
      this.#items = [...this.#items];
      this.#places = [...this.#places];
      this.#lent = false;
    }
    this.#items.splice(at, 0, item);
    this.#places.splice(at, 0, place);
    return item;
  }

  /** An independent copy: changing it does not change this context, nor the other way round. */
  copy(): ChatContext {
    const copy = new ChatContext();
    copy.#items = this.#items;
    copy.#places = this.#places;
    copy.#length = this.#length >= 0 ? this.#length : this.#items.length;
    copy.#next = this.#next;
    this.#lent = true;
    return copy;
  }

  /** Whether anything was added since this context was made (by copy() or the constructor). */
  get modified(): boolean {
    return this.#modified;
  }

  /** A view becomes a context of its own (its items copied out of the shared arrays). */
  #own(): void {
    if (this.#length < 0) return;
    this.#items = this.#items.slice(0, this.#length);
    this.#places = this.#places.slice(0, this.#length);
    this.#length = -1;
  }

  toJSON(): { items: readonly ChatItem[] } {
    return { items: this.items };
  }
}

function stamp(kind: string, item: { id?: string; createdAt?: number }): { id: string; createdAt: number } {
  return { id: item.id ?? newId(kind), createdAt: item.createdAt ?? Date.now() };
}
