/**
 * Request / response over the bus: emit a request event and wait for the first response event
 * that answers it, within a deadline.
 *
 *   const { celsius } = await request(runtime, 'weather:requested', { requestId, city }, {
 *     response: 'weather:answered',
 *     match: (answer) => answer.requestId === requestId,
 *     timeoutMs: 2000,
 *   });
 */
import { ClosedError, TimeoutError } from '../errors.js';
import { checkTimeout } from './deadline.js';
import type { RuntimeEventRegistry, RuntimeEventType } from './registry.js';
import type { AgentRuntime } from './runtime.js';

export interface RequestOptions<Res extends RuntimeEventType> {
  /** The event that carries the answer. */
  response: Res;
  /** Which responses answer this request (default: the first one). */
  match?: (payload: RuntimeEventRegistry[Res]) => boolean;
  /** How long to wait for the answer, in ms. */
  timeoutMs: number;
  /** Gives up early (rejects with a ClosedError). */
  signal?: AbortSignal;
}

/**
 * Emits `type` with `payload` and resolves with the payload of the first matching `response`
 * event. Listens before emitting, so an answer given by a handler of the request is not missed.
 * Rejects with TimeoutError when none came within `timeoutMs`.
 */
export function request<Req extends RuntimeEventType, Res extends RuntimeEventType>(
  runtime: AgentRuntime,
  type: Req,
  payload: RuntimeEventRegistry[Req],
  options: RequestOptions<Res>,
): Promise<RuntimeEventRegistry[Res]> {
  checkTimeout(options?.timeoutMs, 'request() timeoutMs');
  const { response, match, timeoutMs, signal } = options;
  if (signal?.aborted) return Promise.reject(new ClosedError(`request "${type}"`, 'request()', 'aborted'));
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      runtime.off(response, answered);
      signal?.removeEventListener('abort', aborted);
    };
    const answered = (answer: RuntimeEventRegistry[Res]) => {
      // A match that throws fails this request, not the handlers of the response.
      let fits: boolean;
      try {
        fits = match === undefined || match(answer);
      } catch (error) {
        done();
        reject(error);
        return;
      }
      if (!fits) return;
      done();
      resolve(answer);
    };
    const aborted = () => {
      done();
      reject(new ClosedError(`request "${type}"`, 'request()', 'aborted'));
    };
    const timer = setTimeout(() => {
      done();
      reject(new TimeoutError(`a "${response}" answering "${type}"`, timeoutMs));
    }, timeoutMs);
    signal?.addEventListener('abort', aborted, { once: true });
    runtime.on(response, answered);
    void runtime.emit(type, payload);
  });
}
