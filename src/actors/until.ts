import type { AnyActorRef, SnapshotFrom } from 'xstate';

/** Resolves once `reached(snapshot)` holds, checking now and after every change of `actor`. */
export function until<TActor extends AnyActorRef>(actor: TActor, reached: (snapshot: SnapshotFrom<TActor>) => boolean): Promise<void> {
  if (reached(actor.getSnapshot())) return Promise.resolve();
  return new Promise((resolve) => {
    const check = () => {
      if (!reached(actor.getSnapshot())) return;
      subscription.unsubscribe();
      resolve();
    };
    // A stopped or failed actor changes no more: check one last time on completion and error.
    const subscription = actor.subscribe({ next: check, complete: resolve, error: () => resolve() });
  });
}

/** Resolves once `actor` has stopped, reached its final state, or failed. */
export function whenStopped(actor: AnyActorRef): Promise<void> {
  return until(actor, (snapshot) => snapshot.status !== 'active');
}
