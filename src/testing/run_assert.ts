/**
 * Assertions over a run's events, as LiveKit's RunAssert: a cursor walks the events in order.
 *
 *   result.expect.skipNextEventIf({ type: 'message', role: 'assistant' });
 *   result.expect.nextEvent().isFunctionCall({ name: 'lookup', args: { city: 'Paris' } });
 *   result.expect.nextEvent().isFunctionCallOutput();
 *   await result.expect.nextEvent().isMessage({ role: 'assistant' }).judge(llm, { intent: 'gives the weather' });
 *   result.expect.noMoreEvents();
 *   result.expect.range(0, 2).containsFunctionCall({ name: 'lookup' });
 *
 * A failure throws a AssertionError whose message shows the whole event timeline. Options that
 * an assertion does not know are a VoxstateError (`invalid_expectation`), not a silent match.
 */
import type { Agent } from '../agent/agent.js';
import { VoxstateError } from '../errors.js';
import type { ChatRole } from '../llm/chat_context.js';
import type { LLM } from '../llm/llm.js';
import { checkIntent } from './judge.js';
import {
  type AgentHandoffEvent,
  type ChatMessageEvent,
  describeEvent,
  type EventType,
  formatEvents,
  type FunctionCallEvent,
  type FunctionCallOutputEvent,
  type RunEvent,
} from './run_events.js';

/** A failed expectation on a run (agents-js's AssertionError): the message, then the run's events with a `>>>` marker. */
export class AssertionError extends Error {
  constructor(message: string, events: readonly RunEvent[], at?: number) {
    super(`${message}\nevents:\n${formatEvents(events, at)}`);
    this.name = 'AssertionError';
  }
}

export interface MessageAssertOptions {
  role?: ChatRole;
  /** The whole text, or a pattern it matches. */
  content?: string | RegExp;
}

export interface FunctionCallAssertOptions {
  name?: string;
  /** Arguments the call includes (a subset match). */
  args?: Record<string, unknown>;
}

export interface FunctionCallOutputAssertOptions {
  output?: string;
  isError?: boolean;
}

// biome-ignore lint: any Agent subclass
type AgentClass = abstract new (...args: any[]) => Agent;

export interface AgentHandoffAssertOptions {
  /** The new agent's id. */
  newAgentId?: string;
  /** The new agent's class (an instance of it, or of a subclass). */
  newAgentType?: AgentClass;
}

/** What `skipNextEventIf` skips: an event of `type` matching that type's options. */
export type SkipCondition =
  | ({ type: 'message' } & MessageAssertOptions)
  | ({ type: 'function_call' } & FunctionCallAssertOptions)
  | ({ type: 'function_call_output' } & FunctionCallOutputAssertOptions)
  | ({ type: 'agent_handoff' } & AgentHandoffAssertOptions);

type AssertFor<T extends EventType> = {
  message: MessageAssert;
  function_call: FunctionCallAssert;
  function_call_output: FunctionCallOutputAssert;
  agent_handoff: AgentHandoffAssert;
}[T];

export class EventAssert<E extends RunEvent = RunEvent> {
  constructor(
    protected readonly _event: E,
    protected readonly events: readonly RunEvent[],
    protected readonly index: number,
  ) {}

  /** The event asserted on. */
  event(): E {
    return this._event;
  }

  protected fail(message: string): never {
    throw new AssertionError(`event [${this.index}] (${describeEvent(this._event)}): ${message}`, this.events, this.index);
  }

  /** A message, of `role` and with `content` if given. */
  isMessage(expected: MessageAssertOptions = {}): MessageAssert {
    checkOptions('isMessage', expected, ['role', 'content']);
    const event = this._event;
    if (event.type !== 'message') return this.fail('expected a message');
    const item = event.item;
    if (expected.role !== undefined && item.role !== expected.role) this.fail(`expected role ${expected.role}`);
    if (typeof expected.content === 'string' && item.content !== expected.content) this.fail(`expected content ${JSON.stringify(expected.content)}`);
    if (expected.content instanceof RegExp && !expected.content.test(item.content)) this.fail(`expected content matching ${expected.content}`);
    return new MessageAssert(event, this.events, this.index);
  }

  /** A function call, of `name` if given, whose arguments include `args` (a subset match). */
  isFunctionCall(expected: FunctionCallAssertOptions = {}): FunctionCallAssert {
    checkOptions('isFunctionCall', expected, ['name', 'args']);
    const event = this._event;
    if (event.type !== 'function_call') return this.fail('expected a function call');
    const item = event.item;
    if (expected.name !== undefined && item.name !== expected.name) this.fail(`expected a call of ${expected.name}`);
    if (expected.args !== undefined) {
      let actual: unknown;
      try {
        actual = JSON.parse(item.arguments || '{}');
      } catch {
        this.fail('its arguments are not JSON');
      }
      if (!includes(actual, expected.args)) this.fail(`expected arguments including ${JSON.stringify(expected.args)}`);
    }
    return new FunctionCallAssert(event, this.events, this.index);
  }

  /** A function call's output, equal to `output` and with `isError` if given. */
  isFunctionCallOutput(expected: FunctionCallOutputAssertOptions = {}): FunctionCallOutputAssert {
    checkOptions('isFunctionCallOutput', expected, ['output', 'isError']);
    const event = this._event;
    if (event.type !== 'function_call_output') return this.fail('expected a function call output');
    const item = event.item;
    if (expected.output !== undefined && item.output !== expected.output) this.fail(`expected output ${JSON.stringify(expected.output)}`);
    if (expected.isError !== undefined && item.isError !== expected.isError) this.fail(`expected isError ${expected.isError}`);
    return new FunctionCallOutputAssert(event, this.events, this.index);
  }

  /** A handoff, to the agent `newAgentId`, or of class `newAgentType`, if given. */
  isAgentHandoff(expected: AgentHandoffAssertOptions = {}): AgentHandoffAssert {
    checkOptions('isAgentHandoff', expected, ['newAgentId', 'newAgentType']);
    const event = this._event;
    if (event.type !== 'agent_handoff') return this.fail('expected an agent handoff');
    if (expected.newAgentId !== undefined && event.item.newAgentId !== expected.newAgentId) this.fail(`expected a handoff to ${expected.newAgentId}`);
    const agent: Agent = event.newAgent;
    if (expected.newAgentType !== undefined && !(agent instanceof expected.newAgentType)) {
      this.fail(`expected a handoff to a ${expected.newAgentType.name}, got a ${event.newAgent.constructor.name}`);
    }
    return new AgentHandoffAssert(event, this.events, this.index);
  }
}

export class MessageAssert extends EventAssert<ChatMessageEvent> {
  /**
   * Asks `llm` whether this message fulfils `intent` (LLM-as-judge, as agents-js's): the LLM must
   * answer by calling a `check_intent` tool with `{ success, reason }`. Rejects with a
   * AssertionError carrying the judge's reason when the intent is not met, or when the LLM did
   * not answer with a valid call; with the LLM's own error if the request failed.
   *
   * @example
   *   await result.expect.nextEvent().isMessage({ role: 'assistant' }).judge(llm, { intent: 'asks for the drink size' });
   */
  async judge(llm: LLM, options: { intent: string }): Promise<MessageAssert> {
    const content = this._event.item.content;
    if (content.trim() === '') this.fail('the message is empty: there is nothing to judge');
    const verdict = await checkIntent(llm, content, options?.intent);
    if ('problem' in verdict) this.fail(`the judge could not decide: ${verdict.problem}`);
    if (!verdict.success) this.fail(`Judgment failed: ${verdict.reason}\nintent: ${options.intent}`);
    return this;
  }
}

export class FunctionCallAssert extends EventAssert<FunctionCallEvent> {}

export class FunctionCallOutputAssert extends EventAssert<FunctionCallOutputEvent> {}

export class AgentHandoffAssert extends EventAssert<AgentHandoffEvent> {}

/** Searches a slice of the events: `result.expect.range(start, end)` (indices as Array#slice). */
export class EventRangeAssert {
  readonly #from: number;
  readonly #to: number;

  constructor(
    private readonly events: readonly RunEvent[],
    start = 0,
    end = events.length,
  ) {
    const at = (index: number) => Math.min(events.length, Math.max(0, index < 0 ? events.length + index : index));
    this.#from = at(start);
    this.#to = Math.max(this.#from, at(end));
  }

  /** A function call in the range with `name` and arguments including `args`. */
  containsFunctionCall(expected: FunctionCallAssertOptions = {}): FunctionCallAssert {
    return this.#contains('a matching function call', (event) => event.isFunctionCall(expected));
  }

  /** A message in the range, of `role` and with `content` if given. */
  containsMessage(expected: MessageAssertOptions = {}): MessageAssert {
    return this.#contains('a matching message', (event) => event.isMessage(expected));
  }

  /** A function call output in the range. */
  containsFunctionCallOutput(expected: FunctionCallOutputAssertOptions = {}): FunctionCallOutputAssert {
    return this.#contains('a matching function call output', (event) => event.isFunctionCallOutput(expected));
  }

  /** A handoff in the range. */
  containsAgentHandoff(expected: AgentHandoffAssertOptions = {}): AgentHandoffAssert {
    return this.#contains('a matching agent handoff', (event) => event.isAgentHandoff(expected));
  }

  #contains<A>(what: string, check: (event: EventAssert) => A): A {
    for (let index = this.#from; index < this.#to; index++) {
      const found = attempt(() => check(new EventAssert(this.events[index]!, this.events, index)));
      if (found !== undefined) return found;
    }
    const where = this.#from === 0 && this.#to === this.events.length ? 'among the events' : `among events [${this.#from}, ${this.#to})`;
    throw new AssertionError(`expected ${what} ${where}`, this.events);
  }
}

export class RunAssert {
  #cursor = 0;

  constructor(private readonly events: readonly RunEvent[]) {}

  /** The next event (of `type`, skipping others, when given). */
  nextEvent(options: { type?: EventType } = {}): EventAssert {
    checkOptions('nextEvent', options, ['type']);
    while (this.#cursor < this.events.length) {
      const index = this.#cursor++;
      const event = this.events[index]!;
      if (options.type === undefined || event.type === options.type) return new EventAssert(event, this.events, index);
    }
    throw new AssertionError(`expected another event${options.type ? ` of type ${options.type}` : ''}, but there is none`, this.events);
  }

  /** Skips `count` events. */
  skipNext(count = 1): this {
    if (this.#cursor + count > this.events.length) {
      throw new AssertionError(`cannot skip ${count} event(s): only ${this.events.length - this.#cursor} left`, this.events, this.#cursor);
    }
    this.#cursor += count;
    return this;
  }

  /**
   * Skips the next event if it matches `condition` and returns its assertion; otherwise (or with no
   * event left) leaves the cursor where it is and returns undefined. For replies that may or may
   * not come first, e.g. a message before a tool call.
   */
  skipNextEventIf<C extends SkipCondition>(condition: C): AssertFor<C['type']> | undefined {
    const { type, ...expected } = condition;
    const check = MATCHERS[type];
    if (!check) throw new VoxstateError('invalid_expectation', `skipNextEventIf: unknown type ${JSON.stringify(type)} (one of ${Object.keys(MATCHERS).join(', ')})`);
    const event = this.events[this.#cursor];
    if (event === undefined) return undefined;
    const matched = attempt(() => check(new EventAssert(event, this.events, this.#cursor), expected));
    if (matched !== undefined) this.#cursor += 1;
    return matched as AssertFor<C['type']> | undefined;
  }

  /** No event left after the cursor. */
  noMoreEvents(): void {
    if (this.#cursor < this.events.length) {
      throw new AssertionError(`expected no more events, found ${this.events.length - this.#cursor}`, this.events, this.#cursor);
    }
  }

  /** The event at `index` (negative counts from the end), without moving the cursor. */
  at(index: number): EventAssert {
    const at = index < 0 ? this.events.length + index : index;
    const event = this.events[at];
    if (event === undefined) throw new AssertionError(`there is no event [${index}]`, this.events);
    return new EventAssert(event, this.events, at);
  }

  /** The events from `start` to `end` (excluded; negative counts from the end), to search. */
  range(start?: number, end?: number): EventRangeAssert {
    return new EventRangeAssert(this.events, start, end);
  }

  /** Some event (anywhere) is a call of `name` with arguments including `args`. */
  containsFunctionCall(expected: FunctionCallAssertOptions = {}): FunctionCallAssert {
    return this.range().containsFunctionCall(expected);
  }

  /** Some event is a message of `role`. */
  containsMessage(expected: MessageAssertOptions = {}): MessageAssert {
    return this.range().containsMessage(expected);
  }

  /** Some event is a function call output. */
  containsFunctionCallOutput(expected: FunctionCallOutputAssertOptions = {}): FunctionCallOutputAssert {
    return this.range().containsFunctionCallOutput(expected);
  }

  /** Some event is a handoff. */
  containsAgentHandoff(expected: AgentHandoffAssertOptions = {}): AgentHandoffAssert {
    return this.range().containsAgentHandoff(expected);
  }
}

const MATCHERS: Record<EventType, (event: EventAssert, expected: object) => EventAssert> = {
  message: (event, expected) => event.isMessage(expected),
  function_call: (event, expected) => event.isFunctionCall(expected),
  function_call_output: (event, expected) => event.isFunctionCallOutput(expected),
  agent_handoff: (event, expected) => event.isAgentHandoff(expected),
};

/** What `check` returns, or undefined if it fails as an assertion (other errors go through). */
function attempt<A>(check: () => A): A | undefined {
  try {
    return check();
  } catch (error) {
    if (error instanceof AssertionError) return undefined;
    throw error;
  }
}

/** Refuses options an assertion does not know: a misspelt one would otherwise match anything. */
function checkOptions(assertion: string, options: object, known: readonly string[]): void {
  if (options === null || typeof options !== 'object') throw new VoxstateError('invalid_expectation', `${assertion}: options must be an object`);
  const unknown = Object.keys(options).filter((key) => !known.includes(key));
  if (unknown.length > 0) {
    throw new VoxstateError('invalid_expectation', `${assertion}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (it takes ${known.join(', ')})`);
  }
}

/** Whether `actual` includes everything in `expected` (objects by subset, the rest by equality). */
function includes(actual: unknown, expected: unknown): boolean {
  if (expected === null || typeof expected !== 'object') return Object.is(actual, expected);
  if (actual === null || typeof actual !== 'object') return false;
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && actual.length === expected.length && expected.every((item, i) => includes(actual[i], item));
  }
  return Object.entries(expected).every(([key, value]) => includes((actual as Record<string, unknown>)[key], value));
}
