/**
 * Who asked a model for what it reports. A model instance may serve several sessions (one LLM or
 * VAD for every session of a process); its measurements are emitted from within the request that
 * caused them, so the session that made the request is found in the async context at emit time.
 */
import { runScoped, scoped, scopeKey } from '../async_scope.js';
import type { EventEmitter } from '../events/emitter.js';
import type { ModelMetrics } from './metrics.js';
import type { ModelEvents } from './model.js';

const REQUESTER = scopeKey<object>('requester');

/** Runs `work` (and everything it starts) as requests of `owner`. */
export function asRequester<T>(owner: object, work: () => T): T {
  return runScoped(REQUESTER, owner, work);
}

/** The owner of the request running now, if any (see asRequester). */
export function currentRequester(): object | undefined {
  return scoped(REQUESTER);
}

type MetricsListener = (metrics: ModelMetrics) => void;

/** One listener per model, handing each measurement to the owner of its request. */
interface MetricsRoute {
  readonly owners: Map<object, MetricsListener>;
  readonly relay: MetricsListener;
}

const routes = new WeakMap<EventEmitter<ModelEvents>, MetricsRoute>();

/**
 * Calls `listener` with the measurements `model` reports for `owner`'s requests, and with those
 * made outside anyone's request; returns the function that stops it. However many owners watch a
 * model, it has one listener that finds the one to call: a VAD shared by a process's sessions
 * reports its streams' metrics together (their windows share calls), and each measurement going to
 * every session to be filtered there cost sessions² calls at once (16,000 for 128 sessions).
 */
export function onRequestMetrics(model: EventEmitter<ModelEvents>, owner: object, listener: MetricsListener): () => void {
  let route = routes.get(model);
  if (route === undefined) {
    const owners = new Map<object, MetricsListener>();
    const relay: MetricsListener = (metrics) => {
      const requestedBy = currentRequester();
      if (requestedBy !== undefined) return owners.get(requestedBy)?.(metrics);
      for (const each of [...owners.values()]) each(metrics);
    };
    route = { owners, relay };
    routes.set(model, route);
    model.on('metrics_collected', relay);
  }
  const { owners, relay } = route;
  owners.set(owner, listener);
  return () => {
    if (owners.get(owner) !== listener) return;
    owners.delete(owner);
    if (owners.size > 0) return;
    model.off('metrics_collected', relay);
    routes.delete(model);
  };
}
