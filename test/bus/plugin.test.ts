/** Plugins register and unregister as a unit: handlers, actions and services. */
import { describe, expect, it, vi } from 'vitest';
import { AgentRuntime, definePlugin, functionTool, type RuntimeEvent, type Service } from '../../src/index.js';
import { flush, useFakeTime } from '../support/fake_time.js';
import { captureLogs } from './log_lines.js';

useFakeTime();
const logs = captureLogs();

function recordServices(runtime: AgentRuntime): string[] {
  const seen: string[] = [];
  runtime.on('service:started', ({ plugin, service }) => void seen.push(`started ${plugin}/${service}`));
  runtime.on('service:stopped', ({ plugin, service }) => void seen.push(`stopped ${plugin}/${service}`));
  runtime.on('service:error', ({ plugin, service, phase, error }) => void seen.push(`error ${plugin}/${service} ${phase}: ${error.message}`));
  return seen;
}

function service(name: string, log: string[], overrides: Partial<Service> = {}): Service {
  return { name, start: () => void log.push(`start ${name}`), stop: () => void log.push(`stop ${name}`), ...overrides };
}

describe('plugins', () => {
  it('unregistering removes exactly the plugin’s handlers, not the same function registered by on() or another plugin', async () => {
    const runtime = new AgentRuntime();
    const shared = vi.fn();
    const own = vi.fn();
    runtime.on('world:joined', shared);
    await runtime.registerPlugin({ name: 'a', events: { 'world:joined': [shared, own], 'world:left': [own] } });
    await runtime.registerPlugin({ name: 'b', events: { 'world:joined': [shared] } });
    expect(runtime.listenerCount('world:joined')).toBe(4);
    await runtime.emit('world:joined', { worldId: 'w' });
    expect(shared).toHaveBeenCalledTimes(3);
    await runtime.unregisterPlugin('a');
    expect(runtime.plugins).toEqual(['b']);
    expect(runtime.listenerCount('world:joined')).toBe(2);
    expect(runtime.listenerCount('world:left')).toBe(0);
    await runtime.emit('world:joined', { worldId: 'w' });
    expect(shared).toHaveBeenCalledTimes(5);
    expect(own).toHaveBeenCalledTimes(1);
    // off() and removeAllListeners() leave plugins alone.
    runtime.off('world:joined', shared);
    runtime.removeAllListeners();
    expect(runtime.listenerCount('world:joined')).toBe(1);
  });

  it('services start in order (service:started), stop in reverse (service:stopped); actions come and go with the plugin', async () => {
    const runtime = new AgentRuntime();
    const seen = recordServices(runtime);
    const calls: string[] = [];
    const lookup = functionTool({ description: 'look up', execute: () => 'found' });
    await runtime.registerPlugin(
      definePlugin({ name: 'crm', actions: { lookup }, services: [service('db', calls), service('cache', calls)] }),
    );
    expect(runtime.actions).toEqual({ lookup });
    await runtime.unregisterPlugin('crm');
    await flush();
    expect(calls).toEqual(['start db', 'start cache', 'stop cache', 'stop db']);
    expect(seen).toEqual(['started crm/db', 'started crm/cache', 'stopped crm/cache', 'stopped crm/db']);
    expect(runtime.actions).toEqual({});
    expect(runtime.plugins).toEqual([]);
  });

  it('a service that fails to start: service:error, the plugin is rolled back (handlers gone, started services stopped) and registerPlugin rejects', async () => {
    const runtime = new AgentRuntime();
    const seen = recordServices(runtime);
    const calls: string[] = [];
    const handler = vi.fn();
    const registering = runtime.registerPlugin({
      name: 'flaky',
      events: { 'world:joined': [handler] },
      services: [
        service('db', calls),
        service('broker', calls, {
          start: async () => {
            throw new Error('connection refused');
          },
        }),
        service('never', calls),
      ],
    });
    await expect(registering).rejects.toThrow('plugin "flaky" was not registered: service flaky/broker.start failed: connection refused');
    await flush();
    expect(calls).toEqual(['start db', 'stop db']);
    expect(seen).toEqual(['started flaky/db', 'error flaky/broker start: service flaky/broker.start failed: connection refused', 'stopped flaky/db']);
    expect(runtime.plugins).toEqual([]);
    await runtime.emit('world:joined', { worldId: 'w' });
    expect(handler).not.toHaveBeenCalled();
    expect(logs.errors().map((line) => line.msg)).toEqual(['service flaky/broker.start failed: connection refused']);
  });

  it('a service that fails or hangs on stop is reported; the others still stop; unregisterPlugin resolves', async () => {
    const runtime = new AgentRuntime({ serviceTimeoutMs: 1_000 });
    const seen = recordServices(runtime);
    const calls: string[] = [];
    await runtime.registerPlugin({
      name: 'p',
      services: [
        service('a', calls),
        service('hangs', calls, { stop: () => new Promise(() => {}) }),
        service('throws', calls, {
          stop: () => {
            throw new Error('nope');
          },
        }),
      ],
    });
    const unregistering = runtime.unregisterPlugin('p');
    await vi.advanceTimersByTimeAsync(1_000);
    await unregistering;
    await flush();
    expect(calls).toEqual(['start a', 'start hangs', 'start throws', 'stop a']);
    expect(seen.slice(3)).toEqual([
      'error p/throws stop: service p/throws.stop failed: nope',
      'error p/hangs stop: service p/hangs stop did not finish within 1000 ms',
      'stopped p/a',
    ]);
  });

  it('bad plugins, duplicates and unknown names get clear errors', async () => {
    const runtime = new AgentRuntime();
    await expect(runtime.registerPlugin(null as never)).rejects.toThrow(/invalid plugin: expected an object/);
    await expect(runtime.registerPlugin({ name: '' })).rejects.toThrow(/name must be a non-empty string/);
    await expect(runtime.registerPlugin({ name: 'x', events: { 'world:joined': (() => {}) as never } })).rejects.toThrow(
      /invalid plugin "x": events\["world:joined"\] must be an array of handlers/,
    );
    await expect(runtime.registerPlugin({ name: 'x', events: { 'world:joined': [42 as never] } })).rejects.toThrow(/not a function/);
    await expect(runtime.registerPlugin({ name: 'x', services: [{ name: 's' } as never] })).rejects.toThrow(/each service needs a name, start\(\) and stop\(\)/);
    const tool = functionTool({ description: 't', execute: () => 'ok' });
    await runtime.registerPlugin({ name: 'x', actions: { tool } });
    await expect(runtime.registerPlugin({ name: 'x' })).rejects.toThrow('a plugin named "x" is already registered');
    await expect(runtime.registerPlugin({ name: 'y', actions: { tool } })).rejects.toThrow('plugin "y": another plugin already offers an action named "tool"');
    await expect(runtime.unregisterPlugin('nope')).rejects.toThrow('no plugin named "nope" is registered');
    expect(runtime.plugins).toEqual(['x']);
  });

  it('handlers of a plugin receive the runtime and can chain events', async () => {
    const runtime = new AgentRuntime();
    const seen: RuntimeEvent[] = [];
    await runtime.registerPlugin({
      name: 'chain',
      events: {
        'world:joined': [(payload, rt) => rt.emit('world:connected', { worldId: `${payload.worldId}!` })],
        'world:connected': [(payload) => void seen.push({ type: 'world:connected', payload })],
      },
    });
    await runtime.emit('world:joined', { worldId: 'w' });
    expect(seen).toEqual([{ type: 'world:connected', payload: { worldId: 'w!' } }]);
  });

  it('close() unregisters every plugin, latest first', async () => {
    const runtime = new AgentRuntime();
    const calls: string[] = [];
    await runtime.registerPlugin({ name: 'one', services: [service('s1', calls)] });
    await runtime.registerPlugin({ name: 'two', services: [service('s2', calls)] });
    await runtime.close();
    expect(calls).toEqual(['start s1', 'start s2', 'stop s2', 'stop s1']);
    expect(runtime.plugins).toEqual([]);
  });
});
