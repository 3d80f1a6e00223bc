/** The outcome of `session.run({ userInput })`: the events the turn produced, and assertions over them. */
import { RunAssert } from './run_assert.js';
import { formatEvents, type RunEvent } from './run_events.js';

export class RunResult {
  readonly expect: RunAssert;

  constructor(readonly events: readonly RunEvent[]) {
    this.expect = new RunAssert(events);
  }

  /** The events, one per line (what failure messages show). */
  toString(): string {
    return formatEvents(this.events);
  }
}
