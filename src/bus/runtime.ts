/**
 * AgentRuntime: the runtime event bus. Events are typed by RuntimeEventRegistry; plugins register
 * their handlers, tools and services as a unit; the lifecycle of attached sessions and jobs is
 * published on it (runs, tool calls, model use, voice, participants, the room).
 *
 *   const runtime = new AgentRuntime();
 *   runtime.on('run:completed', ({ runId, durationMs }) => console.log(runId, durationMs));
 *   runtime.attach(session);
 *
 * Handlers keep the EventEmitter's rules (src/events/emitter.ts, machines/listener.ts): a handler
 * is registered at most once per event, `off` removes it however it was added, an emit delivers
 * to the handlers registered when it was called, and a `once` handler runs at most once. Unlike
 * the EventEmitter, handlers never run inside `emit`: they start on the next microtask,
 * concurrently, and the promise `emit` returns resolves once they have all settled. Each is
 * isolated: one that throws, rejects or overruns its timeout is logged and reported as an `error`
 * event, and never stops the others nor rejects `emit`.
 */
import { ListenerError, TimeoutError, VoxstateError } from '../errors.js';
import { log } from '../log/logger.js';
import type { ToolSet } from '../llm/tool_set.js';
import type { JobContext } from '../job/job_context.js';
import type { AgentSession } from '../session/agent_session.js';
import { checkTimeout, within } from './deadline.js';
import { attachJob } from './job_publisher.js';
import { applyMiddleware, type Middleware, type MiddlewareError } from './middleware.js';
import { PluginHost, type Plugin } from './plugin.js';
import type { RuntimeEvent, RuntimeEventRegistry, RuntimeEventType } from './registry.js';
import { SessionPublisher } from './session_publisher.js';

/**
 * Handles event `K`. It may return a promise: `emit` waits for it (up to its timeout). It also
 * receives the runtime, so that a plugin's handlers can emit follow-up events.
 */
export type RuntimeEventHandler<K extends RuntimeEventType> = (payload: RuntimeEventRegistry[K], runtime: AgentRuntime) => unknown;

export interface HandlerOptions {
  /** ms the handler's promise may take before it is reported as timed out (default: the runtime's). */
  timeoutMs?: number;
}

export interface AgentRuntimeOptions {
  /** Default bound on each handler's promise, in ms; none by default. */
  handlerTimeoutMs?: number;
  /** Bound on each service's start() and stop(), in ms (default 10000). */
  serviceTimeoutMs?: number;
  /** ms after which a run (user turn) still going is reported as `run:timeout`; none by default. */
  runTimeoutMs?: number;
}

// biome-ignore lint: handlers of every event live in one table
type AnyHandler = (payload: any, runtime: AgentRuntime) => unknown;

interface Entry {
  readonly fn: AnyHandler;
  readonly once: boolean;
  /** The plugin that registered it; undefined for on() / once(). */
  readonly owner: string | undefined;
  readonly timeoutMs: number | undefined;
  /** A once entry that has been delivered: every emit whose snapshot still holds it skips it. */
  fired: boolean;
}

/** Handler lists by event, copy-on-write (see the EventEmitter's Table for why this shape). */
type Table = Record<string, readonly Entry[] | undefined>;
const Table = function Table() {} as unknown as new () => Table;
Table.prototype = Object.create(null);

const SETTLED: Promise<void> = Promise.resolve();

export class AgentRuntime {
  readonly #options: AgentRuntimeOptions;
  #handlers: Table = new Table();
  #middleware: readonly Middleware[] = [];
  readonly #plugins: PluginHost;
  readonly #detachers = new Map<object, () => void>();
  readonly #reportMiddleware = (error: MiddlewareError) => this.#fail(error.eventType, error, 'middleware');

  constructor(options: AgentRuntimeOptions = {}) {
    if (options.handlerTimeoutMs !== undefined) checkTimeout(options.handlerTimeoutMs, 'handlerTimeoutMs');
    if (options.serviceTimeoutMs !== undefined) checkTimeout(options.serviceTimeoutMs, 'serviceTimeoutMs');
    if (options.runTimeoutMs !== undefined) checkTimeout(options.runTimeoutMs, 'runTimeoutMs');
    this.#options = { ...options };
    this.#plugins = new PluginHost(this, {
      add: (type, fn, owner) => this.#add(type, fn, false, owner, undefined),
      removeOwned: (owner) => this.#removeOwned(owner),
      serviceTimeoutMs: options.serviceTimeoutMs ?? 10_000,
    });
  }

  // ---- handlers ----

  /** Runs `handler` on every `type` event until `off`. Registering it again is ignored. */
  on<K extends RuntimeEventType>(type: K, handler: RuntimeEventHandler<K>, options: HandlerOptions = {}): this {
    return this.#add(type, handler, false, undefined, options.timeoutMs);
  }

  /** Runs `handler` on the next `type` event only. Ignored if it is already registered. */
  once<K extends RuntimeEventType>(type: K, handler: RuntimeEventHandler<K>, options: HandlerOptions = {}): this {
    return this.#add(type, handler, true, undefined, options.timeoutMs);
  }

  /** Removes `handler` from `type`, whether it was added with on or once (not a plugin's: unregister the plugin). */
  off<K extends RuntimeEventType>(type: K, handler: RuntimeEventHandler<K>): this {
    const entries = this.#handlers[type];
    if (entries === undefined) return this;
    const index = entries.findIndex((entry) => entry.fn === handler && entry.owner === undefined);
    if (index >= 0) this.#remove(type, entries, index);
    return this;
  }

  /**
   * Removes the handlers added with on / once, of `type` or of every event. Plugins' handlers stay:
   * a plugin is removed as a unit, with its services, by unregisterPlugin.
   */
  removeAllListeners(type?: RuntimeEventType): this {
    const types = type === undefined ? Object.keys(this.#handlers) : [type];
    for (const key of types) {
      const entries = this.#handlers[key];
      if (entries === undefined) continue;
      const kept = entries.filter((entry) => entry.owner !== undefined);
      this.#handlers[key] = kept.length === 0 ? undefined : kept;
    }
    return this;
  }

  /** How many handlers `type` has (plugins' included). */
  listenerCount(type: RuntimeEventType): number {
    return this.#handlers[type]?.length ?? 0;
  }

  // ---- emitting ----

  /**
   * Publishes `payload` as a `type` event: it goes through the middleware now, then to the
   * handlers registered at this call, concurrently, on the next microtask. Resolves once every
   * handler has settled (or timed out); never rejects. Costs one property lookup when nobody
   * listens and no middleware is installed.
   */
  emit<K extends RuntimeEventType>(type: K, payload: RuntimeEventRegistry[K]): Promise<void> {
    if (this.#middleware.length === 0) {
      const entries = this.#handlers[type];
      return entries === undefined ? SETTLED : this.#deliver(type, entries, payload);
    }
    const event = applyMiddleware(this.#middleware, { type, payload } as RuntimeEvent, this.#reportMiddleware);
    if (event === null) return SETTLED;
    const entries = this.#handlers[event.type];
    return entries === undefined ? SETTLED : this.#deliver(event.type, entries, event.payload);
  }

  // ---- middleware ----

  /** Appends `middleware` to the chain; returns a function that removes it. */
  use(middleware: Middleware): () => void {
    if (typeof middleware !== 'function') throw new TypeError(`middleware must be a function, got ${typeof middleware}`);
    this.#middleware = [...this.#middleware, middleware];
    return () => {
      this.#middleware = this.#middleware.filter((m) => m !== middleware);
    };
  }

  // ---- plugins ----

  /**
   * Registers `plugin`: its handlers, its actions (tools), then starts its services in order,
   * publishing `service:started` for each. If a service fails to start, `service:error` is
   * published, what was registered is undone (started services stopped) and this rejects.
   */
  registerPlugin(plugin: Plugin): Promise<void> {
    return this.#plugins.register(plugin);
  }

  /**
   * Unregisters the plugin named `name` (or `plugin`): removes exactly its handlers and actions,
   * then stops its services in reverse order (`service:stopped`, or `service:error` for one that
   * fails: the others are still stopped). Unknown plugins are an error.
   */
  unregisterPlugin(plugin: string | Plugin): Promise<void> {
    return this.#plugins.unregister(typeof plugin === 'string' ? plugin : plugin?.name);
  }

  /** The names of the registered plugins, in registration order. */
  get plugins(): string[] {
    return this.#plugins.names();
  }

  /** The registered plugins' actions as one tool set, e.g. for `new Agent({ tools: runtime.actions })`. */
  get actions(): ToolSet {
    return this.#plugins.actions();
  }

  // ---- lifecycle publishing ----

  /**
   * Publishes `session`'s lifecycle on this runtime (runs, actions, messages, voice, model use)
   * until the session closes or the returned function is called. Attaching twice does nothing.
   * A session without a runtime pays nothing for the bus.
   */
  attach(session: AgentSession): () => void {
    const existing = this.#detachers.get(session);
    if (existing) return existing;
    const publisher = new SessionPublisher(this, session, this.#options.runTimeoutMs);
    const detach = () => {
      if (this.#detachers.get(session) !== detach) return;
      this.#detachers.delete(session);
      publisher.stop();
    };
    this.#detachers.set(session, detach);
    session.once('close', detach);
    return detach;
  }

  /**
   * Publishes `ctx`'s room (room:joined / room:left) and its participants (entity:joined / left /
   * updated), and attaches the job's primary session when it starts. A room already connected is
   * announced at once, with the participants already there. Until the returned function is called.
   */
  attachJob(ctx: JobContext): () => void {
    const existing = this.#detachers.get(ctx);
    if (existing) return existing;
    const stop = attachJob(this, ctx);
    const detach = () => {
      if (this.#detachers.get(ctx) !== detach) return;
      this.#detachers.delete(ctx);
      stop();
    };
    this.#detachers.set(ctx, detach);
    return detach;
  }

  /** Detaches every session and job, unregisters every plugin (latest first), removes all handlers. */
  async close(): Promise<void> {
    for (const detach of [...this.#detachers.values()]) detach();
    for (const name of this.#plugins.names().reverse()) await this.#plugins.unregister(name);
    this.#handlers = new Table();
    this.#middleware = [];
  }

  // ---- internals ----

  #add(type: RuntimeEventType, fn: AnyHandler, once: boolean, owner: string | undefined, timeoutMs: number | undefined): this {
    if (typeof type !== 'string') throw new TypeError(`event type must be a string, got ${typeof type}`);
    if (typeof fn !== 'function') throw new TypeError(`handler for "${type}" must be a function, got ${typeof fn}`);
    if (timeoutMs !== undefined) checkTimeout(timeoutMs, `timeoutMs of a "${type}" handler`);
    const entry: Entry = { fn, once, owner, timeoutMs: timeoutMs ?? this.#options.handlerTimeoutMs, fired: false };
    const entries = this.#handlers[type];
    if (entries === undefined) {
      this.#handlers[type] = [entry];
      return this;
    }
    for (let i = 0; i < entries.length; i++) if (entries[i]!.fn === fn && entries[i]!.owner === owner) return this;
    this.#handlers[type] = [...entries, entry];
    return this;
  }

  #remove(type: string, entries: readonly Entry[], index: number): void {
    this.#handlers[type] = entries.length === 1 ? undefined : entries.filter((_, i) => i !== index);
  }

  #removeOwned(owner: string): void {
    for (const key of Object.keys(this.#handlers)) {
      const entries = this.#handlers[key];
      if (entries === undefined || !entries.some((entry) => entry.owner === owner)) continue;
      const kept = entries.filter((entry) => entry.owner !== owner);
      this.#handlers[key] = kept.length === 0 ? undefined : kept;
    }
  }

  /** Delivers to `entries`, the snapshot taken by emit (never mutated: copy-on-write). */
  async #deliver(type: string, entries: readonly Entry[], payload: unknown): Promise<void> {
    // Handlers never run inside the emitter's call: a publisher (a session's listener) is never
    // re-entered by them, and a slow synchronous handler delays only this event's delivery.
    await undefined;
    let pending: Array<Promise<void>> | undefined;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      if (entry.once) {
        if (entry.fired) continue;
        entry.fired = true;
        const current = this.#handlers[type];
        const at = current?.indexOf(entry) ?? -1;
        if (at >= 0) this.#remove(type, current!, at);
      }
      let result: unknown;
      try {
        result = entry.fn.call(this, payload, this);
      } catch (error) {
        this.#fail(type, error, 'handler');
        continue;
      }
      if (result !== undefined && typeof (result as PromiseLike<unknown> | null)?.then === 'function') {
        (pending ??= []).push(this.#settle(type, entry, result as PromiseLike<unknown>));
      }
    }
    if (pending !== undefined) await Promise.all(pending);
  }

  #settle(type: string, entry: Entry, result: PromiseLike<unknown>): Promise<void> {
    const bounded = entry.timeoutMs === undefined ? result : within(result, entry.timeoutMs, `a handler of "${type}"`);
    return Promise.resolve(bounded).then(
      () => undefined,
      (error: unknown) => this.#fail(type, error, 'handler'),
    );
  }

  #fail(type: string, cause: unknown, source: 'handler' | 'middleware'): void {
    const error = cause instanceof TimeoutError || (source === 'middleware' && cause instanceof VoxstateError) ? cause : new ListenerError(type, cause);
    log().error({ err: cause, event: type, source }, error.message);
    // A failing error handler is only logged, never re-reported: that would loop.
    if (type !== 'error' && this.#handlers.error !== undefined) {
      void this.emit('error', { eventType: type, error: error as VoxstateError, source });
    }
  }
}
