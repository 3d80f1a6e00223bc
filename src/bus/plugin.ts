/**
 * Plugins: event handlers, actions (function tools) and services that register and unregister as
 * a unit. The runtime remembers which handlers each plugin added, so unregistering removes exactly
 * those (never a handler the same function registered elsewhere) and stops its services.
 *
 *   const audit: Plugin = {
 *     name: 'audit',
 *     events: { 'action:completed': [({ name, durationMs }) => log().info({ name, durationMs }, 'tool ran')] },
 *     services: [{ name: 'db', start: () => db.open(), stop: () => db.close() }],
 *   };
 *   await runtime.registerPlugin(audit);
 */
import { HookError, TimeoutError, VoxstateError, describe } from '../errors.js';
import type { ToolSet } from '../llm/tool_set.js';
import { log } from '../log/logger.js';
import { within } from './deadline.js';
import type { RuntimeEventType } from './registry.js';
import type { AgentRuntime, RuntimeEventHandler } from './runtime.js';

/** A plugin's handlers: for each event, the handlers to register (in order). */
export type PluginEvents = { [K in RuntimeEventType]?: ReadonlyArray<RuntimeEventHandler<K>> };

/** Something a plugin runs while it is registered: a connection, a poller, a cache. */
export interface Service {
  readonly name: string;
  /** Called at registration, in the plugin's order; the plugin is registered once all have started. */
  start(runtime: AgentRuntime): unknown;
  /** Called at unregistration, in reverse order. */
  stop(runtime: AgentRuntime): unknown;
}

export interface Plugin {
  /** Unique among the runtime's plugins. */
  readonly name: string;
  readonly description?: string;
  readonly events?: PluginEvents;
  /** Function tools the plugin offers to agents (`runtime.actions`). */
  readonly actions?: ToolSet;
  readonly services?: readonly Service[];
}

/** Typed identity, so that a plugin written inline gets its handlers' payloads inferred. */
export function definePlugin(plugin: Plugin): Plugin {
  return plugin;
}

/** What the runtime lets its PluginHost do with the handler table. */
export interface PluginTable {
  add(type: RuntimeEventType, handler: RuntimeEventHandler<RuntimeEventType>, owner: string): void;
  removeOwned(owner: string): void;
  serviceTimeoutMs: number;
}

interface Registration {
  readonly plugin: Plugin;
  /** Services started so far, in start order. */
  readonly started: Service[];
  /** Set once unregistering began: later calls wait for the same work. */
  stopping?: Promise<void>;
}

/** @internal the runtime's plugin bookkeeping */
export class PluginHost {
  readonly #plugins = new Map<string, Registration>();

  constructor(
    private readonly runtime: AgentRuntime,
    private readonly table: PluginTable,
  ) {}

  names(): string[] {
    return [...this.#plugins.keys()];
  }

  actions(): ToolSet {
    const tools: ToolSet = {};
    for (const { plugin } of this.#plugins.values()) Object.assign(tools, plugin.actions);
    return tools;
  }

  async register(plugin: Plugin): Promise<void> {
    check(plugin);
    if (this.#plugins.has(plugin.name)) throw new VoxstateError('duplicate_plugin', `a plugin named "${plugin.name}" is already registered`);
    const taken = new Set(Object.keys(this.actions()));
    const clash = Object.keys(plugin.actions ?? {}).find((name) => taken.has(name));
    if (clash) throw new VoxstateError('duplicate_action', `plugin "${plugin.name}": another plugin already offers an action named "${clash}"`);
    const registration: Registration = { plugin, started: [] };
    // Reserved before the first await, so a concurrent registration of the same name is refused.
    this.#plugins.set(plugin.name, registration);
    for (const [type, handlers] of Object.entries(plugin.events ?? {})) {
      for (const handler of handlers as ReadonlyArray<RuntimeEventHandler<RuntimeEventType>>) {
        this.table.add(type as RuntimeEventType, handler, plugin.name);
      }
    }
    for (const service of plugin.services ?? []) {
      const error = await this.#run(plugin, service, 'start');
      if (error) {
        await this.unregister(plugin.name);
        throw new VoxstateError('plugin_failed', `plugin "${plugin.name}" was not registered: ${error.message}`, { cause: error });
      }
      registration.started.push(service);
      if (registration.stopping) {
        // Unregistered while this service was starting: the unregistration did not see it.
        await this.#run(plugin, service, 'stop');
        throw new VoxstateError('plugin_unregistered', `plugin "${plugin.name}" was unregistered while its services were starting`);
      }
      void this.runtime.emit('service:started', { plugin: plugin.name, service: service.name });
    }
  }

  unregister(name: string | undefined): Promise<void> {
    const registration = name === undefined ? undefined : this.#plugins.get(name);
    if (registration === undefined) {
      return Promise.reject(new VoxstateError('unknown_plugin', `no plugin named "${String(name)}" is registered`));
    }
    registration.stopping ??= this.#unregister(registration);
    return registration.stopping;
  }

  async #unregister(registration: Registration): Promise<void> {
    const { plugin } = registration;
    this.table.removeOwned(plugin.name);
    for (const service of [...registration.started].reverse()) {
      const error = await this.#run(plugin, service, 'stop');
      if (!error) void this.runtime.emit('service:stopped', { plugin: plugin.name, service: service.name });
    }
    this.#plugins.delete(plugin.name);
  }

  /** Starts or stops `service`, bounded; a failure is logged, published and returned. */
  async #run(plugin: Plugin, service: Service, phase: 'start' | 'stop'): Promise<VoxstateError | undefined> {
    const what = `service ${plugin.name}/${service.name}`;
    try {
      await within(
        new Promise((resolve) => resolve(service[phase](this.runtime))),
        this.table.serviceTimeoutMs,
        `${what} ${phase}`,
      );
      return undefined;
    } catch (cause) {
      const error = cause instanceof TimeoutError ? cause : new HookError(phase, what, cause);
      log().error({ err: cause, plugin: plugin.name, service: service.name, phase }, error.message);
      void this.runtime.emit('service:error', { plugin: plugin.name, service: service.name, phase, error });
      return error;
    }
  }
}

/** Throws a clear error for anything that is not a well-formed plugin. */
function check(plugin: Plugin): void {
  const bad = (problem: string) => new VoxstateError('invalid_plugin', `invalid plugin${typeof plugin?.name === 'string' ? ` "${plugin.name}"` : ''}: ${problem}`);
  if (plugin === null || typeof plugin !== 'object') throw bad(`expected an object, got ${describe(plugin)}`);
  if (typeof plugin.name !== 'string' || plugin.name.trim() === '') throw bad('name must be a non-empty string');
  if (plugin.events !== undefined) {
    if (plugin.events === null || typeof plugin.events !== 'object') throw bad('events must be an object of handler arrays');
    for (const [type, handlers] of Object.entries(plugin.events)) {
      if (!Array.isArray(handlers)) throw bad(`events["${type}"] must be an array of handlers`);
      if (handlers.some((handler) => typeof handler !== 'function')) throw bad(`events["${type}"] holds something that is not a function`);
    }
  }
  if (plugin.actions !== undefined && (plugin.actions === null || typeof plugin.actions !== 'object')) throw bad('actions must be a tool set');
  if (plugin.services !== undefined) {
    if (!Array.isArray(plugin.services)) throw bad('services must be an array');
    for (const service of plugin.services) {
      if (typeof service?.name !== 'string' || typeof service.start !== 'function' || typeof service.stop !== 'function') {
        throw bad('each service needs a name, start() and stop()');
      }
    }
    const names = plugin.services.map((service) => service.name);
    const twice = names.find((name, i) => names.indexOf(name) !== i);
    if (twice !== undefined) throw bad(`two services are named "${twice}"`);
  }
}
