/**
 * Who asked a model for what it reports. A model instance may serve several sessions (one LLM or
 * VAD for every session of a process); its measurements are emitted from within the request that
 * caused them, so the session that made the request is found in the async context at emit time.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const requester = new AsyncLocalStorage<object>();

/** Runs `work` (and everything it starts) as requests of `owner`. */
export function asRequester<T>(owner: object, work: () => T): T {
  return requester.run(owner, work);
}

/** The owner of the request running now, if any (see asRequester). */
export function currentRequester(): object | undefined {
  return requester.getStore();
}
