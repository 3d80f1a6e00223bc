import type { AnyActorRef } from 'xstate';

/** Resolves once `actor` has stopped, reached its final state, or failed. */
export function whenStopped(actor: AnyActorRef): Promise<void> {
  if (actor.getSnapshot().status !== 'active') return Promise.resolve();
  return new Promise((resolve) => {
    actor.subscribe({ complete: () => resolve(), error: () => resolve() });
  });
}
