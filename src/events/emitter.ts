/**
 * A typed event emitter with the semantics of LiveKit's rtc EventEmitter, specified by
 * machines/listener.ts:
 *
 * - a listener is registered at most once per event (registering it again, by on or once, is
 *   ignored), and `off` removes it however it was registered;
 * - `emit` delivers to the listeners registered when it started (a snapshot): one removed during
 *   the emit is still called if it had not run yet, one added is not called until the next emit;
 * - a `once` listener is removed before it is called and runs at most once, even when an emit
 *   re-entered from an earlier listener delivers it first (the outer emit then skips it);
 * - a listener that throws (or returns a promise that rejects) does not stop the others: the
 *   failure is logged and emitted as an `error` event carrying a ListenerError;
 * - a listener registered inside a job runs inside that job (its log scope, getJobContext()),
 *   whoever emits: a room's event that came from outside still reaches the job's code as the
 *   job's. Elsewhere a listener runs in the emitter's context, at no cost.
 *
 * Listener lists are copy-on-write arrays, so an emit iterates without copying: this is a hot
 * path and stays off the actors.
 */
import { ListenerError } from '../errors.js';
import { keepLogScope, log, type ScopeRunner } from '../log/logger.js';

// biome-ignore lint: listener signatures are arbitrary by design
type Listener = (...args: any[]) => unknown;

/** Maps event names to listener signatures, e.g. `{ greet: (name: string) => void }`. */
export type EventMap<T> = { [K in keyof T]: Listener };

interface Entry {
  readonly fn: Listener;
  readonly once: boolean;
  /** The job's context the listener was registered in, if any: it runs there. */
  readonly scope: ScopeRunner | undefined;
  /** A once entry that has been delivered: every emit whose snapshot still holds it skips it. */
  fired: boolean;
}

const NONE: readonly Entry[] = Object.freeze([]);

const deliver = (target: unknown, fn: Listener, args: unknown[]): unknown => fn.apply(target, args);

/**
 * Listener lists by event name. Nothing is inherited (its prototype has no prototype), so any
 * event name is safe, "constructor" or "__proto__" included; and unlike `Object.create(null)`,
 * which V8 keeps in dictionary mode, it is an ordinary fast-mode object, so emit's lookup of an
 * event name is a cached property load. Removing an event's last listener stores `undefined`
 * rather than deleting the key, which would turn the object into a dictionary.
 */
type Table = Record<string | symbol, readonly Entry[] | undefined>;
const Table = function Table() {} as unknown as new () => Table;
Table.prototype = Object.create(null);

export class EventEmitter<Events extends EventMap<Events>> {
  #listeners: Table = new Table();

  /** Calls `listener` on every `event` until `off`. Registering it twice is ignored. */
  on<E extends keyof Events>(event: E, listener: Events[E]): this {
    return this.#add(event, listener, false);
  }

  /** Calls `listener` on the next `event` only. Ignored if the listener is already registered. */
  once<E extends keyof Events>(event: E, listener: Events[E]): this {
    return this.#add(event, listener, true);
  }

  /** Removes `listener` from `event`, whether it was registered with on or once. */
  off<E extends keyof Events>(event: E, listener: Events[E]): this {
    const entries = this.#listeners[event as string | symbol];
    if (entries === undefined) return this;
    for (let i = 0; i < entries.length; i++) {
      if (entries[i]!.fn === listener) return this.#remove(event as string | symbol, entries, i);
    }
    return this;
  }

  /** Removes every listener of `event`, or of every event. */
  removeAllListeners(event?: keyof Events): this {
    if (event === undefined) this.#listeners = new Table();
    else if (this.#listeners[event as string | symbol] !== undefined) this.#listeners[event as string | symbol] = undefined;
    return this;
  }

  /** How many listeners `event` has. */
  listenerCount(event: keyof Events): number {
    return (this.#listeners[event as string | symbol] ?? NONE).length;
  }

  /** The listeners of `event`, in registration order. */
  listeners<E extends keyof Events>(event: E): Events[E][] {
    return (this.#listeners[event as string | symbol] ?? NONE).map((entry) => entry.fn as Events[E]);
  }

  /** Delivers `args` to the listeners of `event`; returns whether there were any. */
  emit<E extends keyof Events>(event: E, ...args: Parameters<Events[E]>): boolean {
    const entries = this.#listeners[event as string | symbol];
    if (entries === undefined) return false;
    // `entries` is never mutated (copy-on-write), so it is the snapshot this emit delivers to.
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      if (entry.once) {
        if (entry.fired) continue;
        entry.fired = true;
        this.#detach(event as string | symbol, entry);
      }
      let result: unknown;
      try {
        if (entry.scope !== undefined) {
          result = entry.scope(deliver, this, entry.fn, args);
        } else {
          switch (args.length) {
            case 0:
              result = entry.fn.call(this);
              break;
            case 1:
              result = entry.fn.call(this, args[0]);
              break;
            case 2:
              result = entry.fn.call(this, args[0], args[1]);
              break;
            default:
              result = entry.fn.apply(this, args);
          }
        }
      } catch (error) {
        this.#fail(event, error);
        continue;
      }
      if (result !== undefined && typeof (result as PromiseLike<unknown> | null)?.then === 'function') {
        (result as PromiseLike<unknown>).then(undefined, (error: unknown) => this.#fail(event, error));
      }
    }
    return true;
  }

  #add(event: keyof Events, listener: Listener, once: boolean): this {
    if (typeof listener !== 'function') {
      throw new TypeError(`listener for "${String(event)}" must be a function, got ${typeof listener}`);
    }
    const key = event as string | symbol;
    const entries = this.#listeners[key];
    if (entries === undefined) {
      this.#listeners[key] = [{ fn: listener, once, scope: keepLogScope(), fired: false }];
      return this;
    }
    for (let i = 0; i < entries.length; i++) if (entries[i]!.fn === listener) return this;
    this.#listeners[key] = [...entries, { fn: listener, once, scope: keepLogScope(), fired: false }];
    return this;
  }

  /** Removes this very registration (not a later one of the same function) if it is still there. */
  #detach(key: string | symbol, entry: Entry): void {
    const entries = this.#listeners[key];
    if (entries === undefined) return;
    const index = entries.indexOf(entry);
    if (index >= 0) this.#remove(key, entries, index);
  }

  #remove(key: string | symbol, entries: readonly Entry[], index: number): this {
    if (entries.length === 1) this.#listeners[key] = undefined;
    else this.#listeners[key] = entries.filter((_, i) => i !== index);
    return this;
  }

  #fail(event: keyof Events, cause: unknown): void {
    const error = new ListenerError(event as string | symbol, cause);
    log().error({ err: cause, event: String(event) }, error.message);
    // A failing error listener is only logged, never re-reported: that would loop.
    if (event !== 'error' && this.#listeners.error !== undefined) this.reportListenerError(error);
  }

  /**
   * Delivers a listener failure to the `error` listeners. Emitters whose `error` event carries a
   * richer payload (AgentSession's ErrorEvent) override this to wrap it.
   */
  protected reportListenerError(error: ListenerError): void {
    (this as unknown as EventEmitter<{ error: (error: ListenerError) => void }>).emit('error', error);
  }
}
