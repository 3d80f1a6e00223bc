/** Middleware: an ordered chain that observes, transforms or drops each event before its handlers. */
import { describe, expect, it, vi } from 'vitest';
import { AgentRuntime, MiddlewareError, type BusErrorPayload, type RuntimeEvent } from '../../src/index.js';
import { flush, useFakeTime } from '../support/fake_time.js';
import { captureLogs } from './log_lines.js';

useFakeTime();
const logs = captureLogs();

describe('middleware', () => {
  it('run in the order added, before the handlers, and see every event, in emit order', async () => {
    const runtime = new AgentRuntime();
    const seen: string[] = [];
    runtime.use((event) => void seen.push(`a ${event.type}`));
    runtime.use((event) => void seen.push(`b ${event.type}`));
    runtime.on('world:joined', () => void seen.push('handler'));
    const first = runtime.emit('world:joined', { worldId: 'w' });
    const second = runtime.emit('world:left', { worldId: 'w' });
    expect(seen).toEqual(['a world:joined', 'b world:joined', 'a world:left', 'b world:left']);
    await Promise.all([first, second]);
    expect(seen.at(-1)).toBe('handler');
  });

  it('transform: the handlers get what the chain returns, possibly of another type', async () => {
    const runtime = new AgentRuntime();
    runtime.use((event) => (event.type === 'world:joined' ? { ...event, payload: { ...event.payload, metadata: { tagged: true } } } : undefined));
    runtime.use((event): RuntimeEvent | undefined => (event.type === 'world:connected' ? { type: 'world:joined', payload: event.payload } : undefined));
    const joined = vi.fn();
    const connected = vi.fn();
    runtime.on('world:joined', joined).on('world:connected', connected);
    await runtime.emit('world:joined', { worldId: 'a' });
    await runtime.emit('world:connected', { worldId: 'b' });
    expect(joined.mock.calls.map((call) => call[0])).toEqual([{ worldId: 'a', metadata: { tagged: true } }, { worldId: 'b' }]);
    expect(connected).not.toHaveBeenCalled();
  });

  it('drop: returning null stops the event; the middleware after it do not see it', async () => {
    const runtime = new AgentRuntime();
    const after = vi.fn();
    const handler = vi.fn();
    runtime.use((event) => (event.type === 'world:left' ? null : undefined));
    runtime.use(after);
    runtime.on('world:left', handler).on('world:joined', handler);
    await runtime.emit('world:left', { worldId: 'w' });
    await runtime.emit('world:joined', { worldId: 'w' });
    expect(handler).toHaveBeenCalledTimes(1);
    expect(after).toHaveBeenCalledTimes(1);
  });

  it('a middleware that throws (or returns a non-event) is reported and skipped: the event goes on', async () => {
    const runtime = new AgentRuntime();
    const errors: BusErrorPayload[] = [];
    runtime.on('error', (error) => void errors.push(error));
    // (Error events go through the middleware too: these fail on the others only.)
    runtime.use(function redact(event) {
      if (event.type !== 'error') throw new Error('boom');
    });
    runtime.use((event) => (event.type === 'error' ? undefined : (42 as never)));
    const handler = vi.fn();
    runtime.on('world:joined', handler);
    await runtime.emit('world:joined', { worldId: 'w' });
    await flush();
    expect(handler).toHaveBeenCalledWith({ worldId: 'w' }, runtime);
    expect(errors.map((e) => [e.eventType, e.source, e.error.message])).toEqual([
      ['world:joined', 'middleware', 'middleware redact failed on "world:joined": boom'],
      ['world:joined', 'middleware', 'middleware #2 failed on "world:joined": returned something that is not an event { type, payload }'],
    ]);
    expect(errors[0]!.error).toBeInstanceOf(MiddlewareError);
    expect(logs.errors()).toHaveLength(2);
  });

  it('use() returns the function that removes the middleware', async () => {
    const runtime = new AgentRuntime();
    const drop = runtime.use(() => null);
    const handler = vi.fn();
    runtime.on('world:joined', handler);
    await runtime.emit('world:joined', { worldId: 'w' });
    drop();
    await runtime.emit('world:joined', { worldId: 'w' });
    expect(handler).toHaveBeenCalledTimes(1);
  });
});
