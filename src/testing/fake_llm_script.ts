/**
 * What a FakeLLM answers, in one of two forms, told apart by `input`:
 * - ordered (voxstate's form): the n-th request gets the n-th reply;
 * - keyed by input (agents-js's `FakeLLMResponse`): a request gets the reply whose `input` is its
 *   last input — the user's message, or the output of the tool call it follows.
 * Every reply is checked when it is given: an unknown field, a wrong type, a reply that says nothing,
 * a mix of the two forms or an input given twice is a FakeLLMScriptError naming what is accepted, so
 * a misspelt field never becomes a silent empty reply.
 */
import { VoxstateError } from '../errors.js';
import type { ChatRequest } from '../llm/llm.js';

/** A reply of the ordered script. */
export interface ScriptedReply {
  text?: string;
  toolCalls?: Array<{ name: string; arguments?: unknown; callId?: string }>;
  /** Throw this instead of answering. */
  error?: Error;
  /** Wait for release() before answering; the reply is read again then, so a test may fill it in meanwhile. */
  hold?: boolean;
  /** ms before the first token (setTimeout: fake timers drive it). */
  ttftMs?: number;
}

/** A reply keyed by input, as agents-js's FakeLLM takes it (times in ms, on setTimeout). */
export interface FakeLLMResponse {
  /** The text of the request's last input: the user's message, or a tool call's output. */
  input: string;
  type?: 'llm';
  content?: string;
  /** ms before the first token. */
  ttft?: number;
  /** ms from the request to the end of the reply (at least `ttft`). */
  duration?: number;
  toolCalls?: Array<{ name: string; args?: Record<string, unknown> }>;
}

/** A reply as FakeLLM plays it. */
export interface Reply {
  text: string;
  toolCalls: Array<{ name: string; arguments: string; callId?: string }>;
  error?: Error;
  /** The ordered reply this was read from, to read again when released. */
  held?: ScriptedReply;
  ttftMs: number;
  /** ms from the request to the end of the stream. */
  durationMs: number;
}

/** A FakeLLM was given a reply it cannot play. */
export class FakeLLMScriptError extends VoxstateError {
  constructor(message: string) {
    super('invalid_fake_llm_script', `FakeLLM: ${message}`);
  }
}

/** A keyed FakeLLM was asked something it has no reply for. */
export class FakeLLMNoReplyError extends VoxstateError {
  constructor(message: string) {
    super('fake_llm_no_reply', `FakeLLM: ${message}`);
  }
}

const ORDERED_FIELDS = ['text', 'toolCalls', 'error', 'hold', 'ttftMs'];
const KEYED_FIELDS = ['input', 'type', 'content', 'ttft', 'duration', 'toolCalls'];
const FORMS =
  `an ordered reply takes ${ORDERED_FIELDS.join(', ')}; ` +
  `a reply keyed by input (agents-js's form) takes ${KEYED_FIELDS.join(', ')}`;

export type Script = OrderedScript | KeyedScript;

/** The script `entries` make: keyed if they have `input`, ordered if none has. */
export function newScript(entries: readonly unknown[]): Script {
  const script = entries.some((entry) => isRecord(entry) && 'input' in entry) ? new KeyedScript() : new OrderedScript();
  script.add(entries);
  return script;
}

export class OrderedScript {
  readonly #replies: Reply[] = [];

  add(entries: readonly unknown[]): void {
    this.#replies.push(...entries.map(orderedReply));
  }

  /** The next reply, if any is left. */
  answer(_request: ChatRequest): Reply | undefined {
    return this.#replies.shift();
  }
}

export class KeyedScript {
  readonly #byInput = new Map<string, Reply>();

  add(entries: readonly unknown[]): void {
    const replies = entries.map(keyedReply);
    for (const [input, reply] of replies) {
      if (this.#byInput.has(input)) throw new FakeLLMScriptError(`two replies for the input ${JSON.stringify(input)}`);
      this.#byInput.set(input, reply);
    }
  }

  /**
   * The reply to `request`'s last input: the last item when it is the user's message or a tool's
   * output. After anything else (the agent's own message, a handoff: a new agent's onEnter
   * replying) there is nothing to answer, and the reply is empty, as agents-js's FakeLLM's.
   */
  answer(request: ChatRequest): Reply {
    const last = request.chatCtx.items.at(-1);
    if (last === undefined) throw new FakeLLMNoReplyError('it answers by input, and the history of this request is empty');
    const input = last.type === 'function_call_output' ? last.output : last.type === 'message' && last.role === 'user' ? last.content : undefined;
    if (input === undefined) return { text: '', toolCalls: [], ttftMs: 0, durationMs: 0 };
    const reply = this.#byInput.get(input);
    if (!reply) {
      const known = [...this.#byInput.keys()].map((key) => JSON.stringify(key)).join(', ');
      throw new FakeLLMNoReplyError(`no reply for the input ${JSON.stringify(input)} (its inputs: ${known || 'none'})`);
    }
    return reply;
  }
}

/** An ordered reply, checked; `index` is its place in the list it came in. */
export function orderedReply(entry: unknown, index: number): Reply {
  const fields = checkFields(entry, index, 'ordered');
  return {
    text: optional(fields, 'text', index, isString, 'a string') ?? '',
    toolCalls: toolCalls(fields, index, ['name', 'arguments', 'callId'], 'arguments', (call) => {
      if (call.callId !== undefined && !isString(call.callId)) throw new FakeLLMScriptError(`reply [${index}]: a tool call's callId must be a string`);
      const args = typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments ?? {});
      return { name: call.name as string, arguments: args, ...(call.callId ? { callId: call.callId } : {}) };
    }),
    ...(fields.error === undefined ? {} : { error: required(fields, 'error', index, (v): v is Error => v instanceof Error, 'an Error') }),
    ...(optional(fields, 'hold', index, (v): v is boolean => typeof v === 'boolean', 'a boolean') ? { held: fields as ScriptedReply } : {}),
    ttftMs: optional(fields, 'ttftMs', index, isDuration, 'a number of ms ≥ 0') ?? 0,
    durationMs: 0,
  };
}

/** A reply keyed by input, checked, with its input. */
function keyedReply(entry: unknown, index: number): [string, Reply] {
  const fields = checkFields(entry, index, 'keyed');
  const input = required(fields, 'input', index, isString, 'a string');
  if (fields.type !== undefined && fields.type !== 'llm') throw new FakeLLMScriptError(`reply [${index}]: type must be 'llm', got ${JSON.stringify(fields.type)}`);
  if (fields.content === undefined && fields.toolCalls === undefined) {
    throw new FakeLLMScriptError(`reply [${index}] (input ${JSON.stringify(input)}) says nothing: give content and/or toolCalls`);
  }
  const ttftMs = optional(fields, 'ttft', index, isDuration, 'a number of ms ≥ 0') ?? 0;
  const reply: Reply = {
    text: optional(fields, 'content', index, isString, 'a string') ?? '',
    toolCalls: toolCalls(fields, index, ['name', 'args'], 'args', (call) => {
      if (call.args !== undefined && !isRecord(call.args)) throw new FakeLLMScriptError(`reply [${index}]: a tool call's args must be an object`);
      return { name: call.name as string, arguments: JSON.stringify(call.args ?? {}) };
    }),
    ttftMs,
    durationMs: optional(fields, 'duration', index, isDuration, 'a number of ms ≥ 0') ?? ttftMs,
  };
  return [input, reply];
}

type Fields = Record<string, unknown>;

/** `entry` as an object with fields of its form only, and at least one of them. */
function checkFields(entry: unknown, index: number, form: 'ordered' | 'keyed'): Fields {
  if (!isRecord(entry)) throw new FakeLLMScriptError(`reply [${index}] must be an object (${FORMS})`);
  if (('input' in entry) !== (form === 'keyed')) {
    throw new FakeLLMScriptError(
      `reply [${index}] ${form === 'keyed' ? 'has no "input" but others have' : 'has "input" but others do not'}: give every reply an input (answers by input) or none (answers in order)`,
    );
  }
  const accepted = form === 'keyed' ? KEYED_FIELDS : ORDERED_FIELDS;
  const unknown = Object.keys(entry).filter((key) => !accepted.includes(key));
  if (unknown.length > 0) throw new FakeLLMScriptError(`reply [${index}] has unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((key) => `"${key}"`).join(', ')}: ${FORMS}`);
  if (Object.keys(entry).length === 0) throw new FakeLLMScriptError(`reply [${index}] is empty: ${FORMS}`);
  return entry;
}

function toolCalls<T>(fields: Fields, index: number, accepted: string[], argsField: string, read: (call: Fields) => T): T[] {
  const calls = fields.toolCalls;
  if (calls === undefined) return [];
  if (!Array.isArray(calls)) throw new FakeLLMScriptError(`reply [${index}]: toolCalls must be an array`);
  return calls.map((call) => {
    if (!isRecord(call) || !isString(call.name) || call.name === '') throw new FakeLLMScriptError(`reply [${index}]: each tool call needs a name`);
    const unknown = Object.keys(call).filter((key) => !accepted.includes(key));
    if (unknown.length > 0) {
      throw new FakeLLMScriptError(`reply [${index}]: tool call ${call.name} has unknown field ${unknown.map((key) => `"${key}"`).join(', ')} (a tool call takes ${accepted.join(', ')}; its arguments go in ${argsField})`);
    }
    return read(call);
  });
}

function optional<T>(fields: Fields, key: string, index: number, is: (value: unknown) => value is T, what: string): T | undefined {
  return fields[key] === undefined ? undefined : required(fields, key, index, is, what);
}

function required<T>(fields: Fields, key: string, index: number, is: (value: unknown) => value is T, what: string): T {
  const value = fields[key];
  if (!is(value)) throw new FakeLLMScriptError(`reply [${index}]: ${key} must be ${what}, got ${value === undefined ? 'nothing' : JSON.stringify(value) ?? typeof value}`);
  return value;
}

const isRecord = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value);
const isString = (value: unknown): value is string => typeof value === 'string';
const isDuration = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 0;
