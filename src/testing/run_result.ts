/**
 * The outcome of `session.run({ userInput })`: the events the turn produced, and assertions over
 * them. Both ways of waiting for it work (see PendingRunResult):
 *
 *   const result = await session.run({ userInput: 'hi' });   // the Python seeds' form
 *   const result = session.run({ userInput: 'hi' });
 *   await result.wait();                                      // agents-js's form
 */
import { VoxstateError } from '../errors.js';
import { RunAssert } from './run_assert.js';
import { formatEvents, type RunEvent } from './run_events.js';

type Outcome = { events: readonly RunEvent[] } | { error: unknown };

export class RunResult {
  #outcome: Outcome | undefined;
  readonly #settled: Promise<void>;
  #expect: RunAssert | undefined;

  /** @internal Made by `session.run()` from the turn's work. */
  constructor(events: Promise<readonly RunEvent[]>) {
    this.#settled = events.then(
      (settled) => void (this.#outcome = { events: settled }),
      // Kept for wait(), whoever calls it; a failure nobody waits for is not an unhandled rejection.
      (error: unknown) => void (this.#outcome = { error }),
    );
  }

  /** Whether the run has finished (also when it failed). */
  done(): boolean {
    return this.#outcome !== undefined;
  }

  /** Resolves with this result once the run has finished; rejects with what made it fail. */
  async wait(): Promise<RunResult> {
    await this.#settled;
    this.#finished();
    return this;
  }

  /** The events of the run, in order. Throws before the run has finished, or if it failed. */
  get events(): readonly RunEvent[] {
    return this.#finished();
  }

  /** Assertions over the events; its cursor persists across reads of `expect`. */
  get expect(): RunAssert {
    this.#expect ??= new RunAssert(this.events);
    return this.#expect;
  }

  /** The events, one per line (what failure messages show). */
  toString(): string {
    if (!this.#outcome) return '(the run has not finished)';
    return 'events' in this.#outcome ? formatEvents(this.#outcome.events) : `(the run failed: ${String(this.#outcome.error)})`;
  }

  /** The events of a finished run; what made it fail, or that it has not finished, is thrown. */
  #finished(): readonly RunEvent[] {
    if (!this.#outcome) throw new VoxstateError('run_not_done', 'the run has not finished: await session.run(...), or result.wait(), before reading its events');
    if ('error' in this.#outcome) throw this.#outcome.error;
    return this.#outcome.events;
  }
}

/**
 * What `session.run()` returns: a promise of the RunResult (`await session.run(...)`, the Python
 * seeds' form) that is also the RunResult to come (`result.wait()`, `result.done()`, agents-js's).
 * A RunResult itself is not awaitable: a promise resolved with a thenable would wait on it again.
 */
export class PendingRunResult extends Promise<RunResult> {
  // then/catch/finally make plain promises, not runs.
  static override get [Symbol.species]() {
    return Promise;
  }

  readonly #result: RunResult;

  /** @internal */
  constructor(result: RunResult) {
    super((resolve) => resolve(result.wait()));
    this.#result = result;
    // A failure is the caller's to see through await or wait(); unobserved, it is not an unhandled rejection.
    this.catch(() => undefined);
  }

  /** Whether the run has finished (also when it failed). */
  done(): boolean {
    return this.#result.done();
  }

  /** Resolves with the result once the run has finished; rejects with what made it fail. */
  wait(): Promise<RunResult> {
    return this.#result.wait();
  }

  /** The events of the run, in order. Throws before the run has finished, or if it failed. */
  get events(): readonly RunEvent[] {
    return this.#result.events;
  }

  /** Assertions over the events (the same cursor as the result's own). */
  get expect(): RunAssert {
    return this.#result.expect;
  }
}
