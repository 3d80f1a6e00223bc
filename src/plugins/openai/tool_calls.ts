/**
 * Reassembles streamed tool calls. OpenAI sends each call in pieces: a first delta with its index,
 * id and name, then fragments of the JSON arguments, each tagged with the same index; several
 * indexes in one response are parallel calls. Calls are released whole, in index order, once the
 * response says it is finished (its finish reason: see chunks.ts), and only if their arguments are
 * complete JSON: a response cut off in the middle of a call (by the connection, or by the length
 * limit) never yields half of it, but a typed error.
 */
import { newId } from '../../ids.js';
import { ProviderError } from '../../provider/provider_error.js';
import { PROVIDER } from './errors.js';

/** One fragment of a streamed tool call (the shape of `delta.tool_calls[i]`). */
export interface ToolCallDelta {
  index?: number;
  id?: string | null;
  function?: { name?: string | null; arguments?: string | null } | null;
}

export interface AssembledToolCall {
  callId: string;
  name: string;
  /** JSON text; "{}" when the model sent none. */
  arguments: string;
}

interface Pending {
  id: string;
  name: string;
  arguments: string;
}

export class ToolCallAssembler {
  readonly #calls = new Map<number, Pending>();
  #last: number | undefined;

  /** Takes the tool call fragments of one chunk. */
  push(deltas: readonly ToolCallDelta[]): void {
    for (const delta of deltas) {
      const index = this.#indexOf(delta);
      let call = this.#calls.get(index);
      if (call === undefined) {
        call = { id: '', name: '', arguments: '' };
        this.#calls.set(index, call);
      }
      this.#last = index;
      // The id and the name come whole in the first fragment; a server that repeats them later
      // does not change them.
      if (delta.id && call.id === '') call.id = delta.id;
      if (delta.function?.name && call.name === '') call.name = delta.function.name;
      if (delta.function?.arguments) call.arguments += delta.function.arguments;
    }
  }

  /** Whether a call is being assembled. */
  get pending(): boolean {
    return this.#calls.size > 0;
  }

  /** Names of the calls being assembled, in index order. */
  get pendingNames(): string[] {
    return this.#ordered().map((call) => call.name || '(no name)');
  }

  /**
   * The calls assembled so far, whole and in index order; forgets them. Calls without a name are
   * dropped. Throws a recoverable ProviderError if a call's arguments are not complete JSON.
   */
  take(): AssembledToolCall[] {
    const calls = this.#ordered()
      .filter((call) => call.name !== '')
      .map((call) => ({
        callId: call.id || newId('call'),
        name: call.name,
        arguments: call.arguments.trim() === '' ? '{}' : call.arguments,
      }));
    this.#calls.clear();
    this.#last = undefined;
    for (const call of calls) {
      if (!isCompleteJson(call.arguments)) {
        throw new ProviderError(PROVIDER, true, `tool call ${call.name} came with arguments that are not complete JSON (${call.arguments.length} characters)`);
      }
    }
    return calls;
  }

  #ordered(): Pending[] {
    return [...this.#calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call);
  }

  /**
   * Servers that omit the index: a fragment with a new id starts a new call, one without an id
   * continues the last call.
   */
  #indexOf(delta: ToolCallDelta): number {
    if (typeof delta.index === 'number') return delta.index;
    if (delta.id) {
      for (const [index, call] of this.#calls) if (call.id === delta.id) return index;
      return this.#calls.size === 0 ? 0 : Math.max(...this.#calls.keys()) + 1;
    }
    return this.#last ?? 0;
  }
}

function isCompleteJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
