/**
 * AgentRuntime's bus: the EventEmitter's registration rules (machines/listener.ts) with async,
 * isolated delivery: handlers run after emit returns, concurrently; emit resolves once all have
 * settled; a handler that throws, rejects or overruns its timeout is logged and reported as an
 * `error` event and never stops the others.
 */
import { describe, expect, it, vi } from 'vitest';
import { AgentRuntime, ListenerError, TimeoutError, type BusErrorPayload } from '../../src/index.js';
import { flush, useFakeTime } from '../support/fake_time.js';
import { captureLogs } from './log_lines.js';

useFakeTime();
const logs = captureLogs();

const world = (worldId: string) => ({ worldId });
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('registration (the emitter semantics)', () => {
  it('a handler is registered once per event; once runs once; off removes it however it was added', async () => {
    const runtime = new AgentRuntime();
    const seen: string[] = [];
    const handler = (p: { worldId: string }) => void seen.push(`on ${p.worldId}`);
    const onceHandler = (p: { worldId: string }) => void seen.push(`once ${p.worldId}`);
    runtime.on('world:joined', handler).on('world:joined', handler).once('world:joined', handler);
    runtime.once('world:joined', onceHandler);
    expect(runtime.listenerCount('world:joined')).toBe(2);
    await runtime.emit('world:joined', world('a'));
    await runtime.emit('world:joined', world('b'));
    runtime.off('world:joined', handler);
    await runtime.emit('world:joined', world('c'));
    expect(seen).toEqual(['on a', 'once a', 'on b']);
    runtime.once('world:joined', handler);
    runtime.off('world:joined', handler);
    await runtime.emit('world:joined', world('d'));
    expect(seen).toEqual(['on a', 'once a', 'on b']);
  });

  it('handlers start in registration order; an emit delivers to the handlers registered when it was called', async () => {
    const runtime = new AgentRuntime();
    const seen: string[] = [];
    const late = () => void seen.push('late');
    const second = () => void seen.push('second');
    runtime.on('world:left', () => {
      seen.push('first');
      runtime.off('world:left', second); // removed during the delivery: still called this time
      runtime.on('world:left', late); // added during the delivery: called from the next emit
    });
    runtime.on('world:left', second);
    const pending = runtime.emit('world:left', world('w'));
    runtime.on('world:left', () => void seen.push('after emit')); // after the call: not in its snapshot
    await pending;
    expect(seen).toEqual(['first', 'second']);
    await runtime.emit('world:left', world('w'));
    // 'after emit' was registered before the first delivery added 'late'.
    expect(seen).toEqual(['first', 'second', 'first', 'after emit', 'late']);
  });

  it('handlers never run inside emit: they start on the next microtask, with the payload and the runtime', async () => {
    const runtime = new AgentRuntime();
    const calls: unknown[][] = [];
    runtime.on('world:joined', (...args) => void calls.push(args));
    const payload = world('x');
    const pending = runtime.emit('world:joined', payload);
    expect(calls).toEqual([]);
    await pending;
    expect(calls).toEqual([[payload, runtime]]);
  });

  it('a once handler delivered by two emits in flight runs once', async () => {
    const runtime = new AgentRuntime();
    const once = vi.fn();
    runtime.once('world:joined', once);
    await Promise.all([runtime.emit('world:joined', world('1')), runtime.emit('world:joined', world('2'))]);
    expect(once).toHaveBeenCalledTimes(1);
    expect(once.mock.calls[0]![0]).toEqual(world('1'));
    expect(runtime.listenerCount('world:joined')).toBe(0);
  });

  it('removeAllListeners(type) and removeAllListeners()', async () => {
    const runtime = new AgentRuntime();
    const joined = vi.fn();
    const left = vi.fn();
    runtime.on('world:joined', joined).on('world:left', left);
    runtime.removeAllListeners('world:joined');
    await runtime.emit('world:joined', world('a'));
    await runtime.emit('world:left', world('a'));
    expect(joined).not.toHaveBeenCalled();
    expect(left).toHaveBeenCalledTimes(1);
    runtime.removeAllListeners();
    await runtime.emit('world:left', world('b'));
    expect(left).toHaveBeenCalledTimes(1);
    expect(runtime.listenerCount('world:left')).toBe(0);
  });

  it('bad input gets a clear error', () => {
    const runtime = new AgentRuntime();
    expect(() => runtime.on('world:joined', 'nope' as never)).toThrow(/handler for "world:joined" must be a function/);
    expect(() => runtime.on(42 as never, () => {})).toThrow(/event type must be a string/);
    expect(() => runtime.on('world:joined', () => {}, { timeoutMs: -1 })).toThrow(/timeoutMs .* must be a finite number of ms > 0/);
    expect(() => new AgentRuntime({ handlerTimeoutMs: Number.NaN })).toThrow(/handlerTimeoutMs/);
    expect(() => runtime.use(null as never)).toThrow(/middleware must be a function/);
  });
});

describe('emit settles when every handler has', () => {
  it('resolves after the slowest handler, not before; handlers run concurrently', async () => {
    const runtime = new AgentRuntime();
    const done: string[] = [];
    runtime.on('world:joined', async () => {
      await wait(300);
      done.push('slow');
    });
    runtime.on('world:joined', async () => {
      await wait(100);
      done.push('fast');
    });
    let settled = false;
    void runtime.emit('world:joined', world('w')).then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(299);
    expect(done).toEqual(['fast']);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(done).toEqual(['fast', 'slow']);
    expect(settled).toBe(true);
  });

  it('resolves at once when nobody listens', async () => {
    const runtime = new AgentRuntime();
    let settled = false;
    void runtime.emit('world:joined', world('w')).then(() => (settled = true));
    await flush();
    expect(settled).toBe(true);
  });
});

describe('isolation', () => {
  it('a handler that throws, one that rejects and one that times out are each reported; the others run; emit resolves', async () => {
    const runtime = new AgentRuntime({ handlerTimeoutMs: 1_000 });
    const errors: BusErrorPayload[] = [];
    runtime.on('error', (event) => void errors.push(event));
    const after = vi.fn();
    runtime.on('world:joined', () => {
      throw new Error('sync boom');
    });
    runtime.on('world:joined', async () => {
      throw new Error('async boom');
    });
    runtime.on('world:joined', () => new Promise(() => {}));
    runtime.on('world:joined', () => new Promise((resolve) => setTimeout(resolve, 50)), { timeoutMs: 10 });
    runtime.on('world:joined', after);
    let settled = false;
    void runtime.emit('world:joined', world('w')).then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(10);
    expect(after).toHaveBeenCalledTimes(1);
    expect(errors.map((e) => e.error.message)).toEqual([
      'a listener of "world:joined" failed: sync boom',
      'a listener of "world:joined" failed: async boom',
      'a handler of "world:joined" did not finish within 10 ms',
    ]);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(990);
    expect(settled).toBe(true);
    expect(errors).toHaveLength(4);
    expect(errors[3]!.error).toBeInstanceOf(TimeoutError);
    expect(errors[0]!.error).toBeInstanceOf(ListenerError);
    expect(errors.every((e) => e.eventType === 'world:joined' && e.source === 'handler')).toBe(true);
    expect(logs.errors().map((line) => [line.event, line.msg])).toEqual(errors.map((e) => ['world:joined', e.error.message]));
  });

  it('a failing error handler is only logged (no loop); without error handlers the failure is still logged', async () => {
    const runtime = new AgentRuntime();
    runtime.on('world:joined', () => {
      throw new Error('first');
    });
    await runtime.emit('world:joined', world('w'));
    expect(logs.errors().map((line) => line.msg)).toEqual(['a listener of "world:joined" failed: first']);
    const errorHandler = vi.fn(() => {
      throw new Error('error handler fails too');
    });
    runtime.on('error', errorHandler);
    await runtime.emit('world:joined', world('w'));
    await flush();
    expect(errorHandler).toHaveBeenCalledTimes(1);
    expect(logs.errors().map((line) => line.msg)).toEqual([
      'a listener of "world:joined" failed: first',
      'a listener of "world:joined" failed: first',
      'a listener of "error" failed: error handler fails too',
    ]);
  });

  it('a handler that exceeds its timeout keeps running, but emit does not wait for it', async () => {
    const runtime = new AgentRuntime();
    let finished = false;
    runtime.on(
      'world:joined',
      async () => {
        await wait(500);
        finished = true;
      },
      { timeoutMs: 100 },
    );
    let settled = false;
    void runtime.emit('world:joined', world('w')).then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(100);
    expect(settled).toBe(true);
    expect(finished).toBe(false);
    await vi.advanceTimersByTimeAsync(400);
    expect(finished).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });
});
