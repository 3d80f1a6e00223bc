/**
 * The statechart as an oracle: replays events through the machine's pure transition function (no
 * actions run, no actors start) and returns what the machine emits, so a test can compare a real
 * object's actor, after the same events, with what the statechart says.
 */
import { initialTransition, transition, type AnyStateMachine, type EventObject, type InputFrom, type SnapshotFrom } from 'xstate';

export class ModelReplay<TMachine extends AnyStateMachine> {
  snapshot: SnapshotFrom<TMachine>;

  constructor(
    readonly machine: TMachine,
    input: InputFrom<TMachine>,
  ) {
    [this.snapshot] = initialTransition(machine, input) as unknown as [SnapshotFrom<TMachine>, unknown[]];
  }

  /** Applies `events` in order; returns the events the machine emitted meanwhile. */
  apply(events: readonly EventObject[]): Array<{ type: string } & Record<string, unknown>> {
    const emitted: Array<{ type: string } & Record<string, unknown>> = [];
    for (const event of events) {
      const [next, actions] = transition(this.machine, this.snapshot as never, event as never) as unknown as [
        SnapshotFrom<TMachine>,
        Array<{ type: string; params?: { event?: { type: string } & Record<string, unknown> } }>,
      ];
      this.snapshot = next;
      for (const action of actions) if (action.type === 'xstate.emit' && action.params?.event) emitted.push(action.params.event);
    }
    return emitted;
  }
}
