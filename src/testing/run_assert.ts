/**
 * Assertions over a run's events, as LiveKit's RunAssert: a cursor walks the events in order.
 *
 *   result.expect.nextEvent().isFunctionCall({ name: 'lookup', args: { city: 'Paris' } });
 *   result.expect.nextEvent().isFunctionCallOutput();
 *   result.expect.nextEvent().isMessage({ role: 'assistant' });
 *   result.expect.noMoreEvents();
 *
 * A failure throws an AssertionError-like error whose message shows the whole event timeline.
 */
import type { ChatRole } from '../llm/chat_context.js';
import { describeEvent, formatEvents, type RunEvent } from './run_events.js';

export class RunAssertionError extends Error {
  constructor(message: string, events: readonly RunEvent[], at?: number) {
    super(`${message}\nevents:\n${formatEvents(events, at)}`);
    this.name = 'AssertionError';
  }
}

export class EventAssert {
  constructor(
    readonly event: RunEvent,
    private readonly events: readonly RunEvent[],
    private readonly index: number,
  ) {}

  #fail(message: string): never {
    throw new RunAssertionError(`event [${this.index}] (${describeEvent(this.event)}): ${message}`, this.events, this.index);
  }

  /** A message, of `role` if given. */
  isMessage(expected: { role?: ChatRole; content?: string | RegExp } = {}): this {
    if (this.event.type !== 'message') this.#fail('expected a message');
    const item = this.event.item;
    if (expected.role !== undefined && item.role !== expected.role) this.#fail(`expected role ${expected.role}`);
    if (typeof expected.content === 'string' && item.content !== expected.content) this.#fail(`expected content ${JSON.stringify(expected.content)}`);
    if (expected.content instanceof RegExp && !expected.content.test(item.content)) this.#fail(`expected content matching ${expected.content}`);
    return this;
  }

  /** A function call, of `name` if given, whose arguments include `args` (a subset match). */
  isFunctionCall(expected: { name?: string; args?: Record<string, unknown> } = {}): this {
    if (this.event.type !== 'function_call') this.#fail('expected a function call');
    const item = this.event.item;
    if (expected.name !== undefined && item.name !== expected.name) this.#fail(`expected a call of ${expected.name}`);
    if (expected.args !== undefined) {
      let actual: unknown;
      try {
        actual = JSON.parse(item.arguments || '{}');
      } catch {
        this.#fail('its arguments are not JSON');
      }
      if (!includes(actual, expected.args)) this.#fail(`expected arguments including ${JSON.stringify(expected.args)}`);
    }
    return this;
  }

  /** A function call's output, equal to `output` and with `isError` if given. */
  isFunctionCallOutput(expected: { output?: string; isError?: boolean } = {}): this {
    if (this.event.type !== 'function_call_output') this.#fail('expected a function call output');
    const item = this.event.item;
    if (expected.output !== undefined && item.output !== expected.output) this.#fail(`expected output ${JSON.stringify(expected.output)}`);
    if (expected.isError !== undefined && item.isError !== expected.isError) this.#fail(`expected isError ${expected.isError}`);
    return this;
  }

  /** A handoff, to the agent `newAgentId` if given. */
  isAgentHandoff(expected: { newAgentId?: string } = {}): this {
    if (this.event.type !== 'agent_handoff') this.#fail('expected an agent handoff');
    if (expected.newAgentId !== undefined && this.event.item.newAgentId !== expected.newAgentId) this.#fail(`expected a handoff to ${expected.newAgentId}`);
    return this;
  }
}

export class RunAssert {
  #cursor = 0;

  constructor(private readonly events: readonly RunEvent[]) {}

  /** The next event (of `type`, skipping others, when given). */
  nextEvent(options: { type?: RunEvent['type'] } = {}): EventAssert {
    while (this.#cursor < this.events.length) {
      const index = this.#cursor++;
      const event = this.events[index]!;
      if (options.type === undefined || event.type === options.type) return new EventAssert(event, this.events, index);
    }
    throw new RunAssertionError(`expected another event${options.type ? ` of type ${options.type}` : ''}, but there is none`, this.events);
  }

  /** Skips `count` events. */
  skipNext(count = 1): this {
    if (this.#cursor + count > this.events.length) {
      throw new RunAssertionError(`cannot skip ${count} event(s): only ${this.events.length - this.#cursor} left`, this.events, this.#cursor);
    }
    this.#cursor += count;
    return this;
  }

  /** No event left after the cursor. */
  noMoreEvents(): void {
    if (this.#cursor < this.events.length) {
      throw new RunAssertionError(`expected no more events, found ${this.events.length - this.#cursor}`, this.events, this.#cursor);
    }
  }

  /** The event at `index` (negative counts from the end), without moving the cursor. */
  at(index: number): EventAssert {
    const at = index < 0 ? this.events.length + index : index;
    const event = this.events[at];
    if (event === undefined) throw new RunAssertionError(`there is no event [${index}]`, this.events);
    return new EventAssert(event, this.events, at);
  }

  /** Some event (anywhere) is a call of `name` with arguments including `args`. */
  containsFunctionCall(expected: { name?: string; args?: Record<string, unknown> } = {}): EventAssert {
    return this.#contains('a matching function call', (event) => event.isFunctionCall(expected));
  }

  /** Some event is a message of `role`. */
  containsMessage(expected: { role?: ChatRole; content?: string | RegExp } = {}): EventAssert {
    return this.#contains('a matching message', (event) => event.isMessage(expected));
  }

  /** Some event is a function call output. */
  containsFunctionCallOutput(expected: { output?: string; isError?: boolean } = {}): EventAssert {
    return this.#contains('a matching function call output', (event) => event.isFunctionCallOutput(expected));
  }

  /** Some event is a handoff. */
  containsAgentHandoff(expected: { newAgentId?: string } = {}): EventAssert {
    return this.#contains('a matching agent handoff', (event) => event.isAgentHandoff(expected));
  }

  #contains(what: string, check: (event: EventAssert) => EventAssert): EventAssert {
    for (let index = 0; index < this.events.length; index++) {
      try {
        return check(new EventAssert(this.events[index]!, this.events, index));
      } catch (error) {
        if (!(error instanceof RunAssertionError)) throw error;
      }
    }
    throw new RunAssertionError(`expected ${what} among the events`, this.events);
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
