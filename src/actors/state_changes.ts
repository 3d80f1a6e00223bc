/**
 * How the objects that run the worker, job-process and job machines tell of their state changing:
 * by comparing, snapshot after snapshot, one word for where their actor is. The machines announce
 * nothing themselves, so no state has to remember to announce itself and a state value is never
 * copied into context.
 */
import type { AnyActorRef, SnapshotFrom, Subscription } from 'xstate';

/**
 * Calls `changed(from, to)` each time `stateOf` the actor's snapshot gives another word than it
 * gave for the snapshot before: once per macrostep at most, after the snapshot is published (so
 * `actor.getSnapshot()` already says `to`), the final snapshot included.
 *
 * @example
 * onStateChange(job.actor, jobStateOf, (from, to) => ctx.emit('state_changed', { oldState: from, newState: to }));
 */
export function onStateChange<TActor extends AnyActorRef, TState>(
  actor: TActor,
  stateOf: (snapshot: SnapshotFrom<TActor>) => TState,
  changed: (from: TState, to: TState) => void,
): Subscription {
  let state = stateOf(actor.getSnapshot());
  return actor.subscribe((snapshot: SnapshotFrom<TActor>) => {
    const next = stateOf(snapshot);
    if (next === state) return;
    const from = state;
    state = next;
    changed(from, next);
  });
}
