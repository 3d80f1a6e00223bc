/** EventBatcher: payloads handed over by size or by interval, whichever comes first. */
import { describe, expect, it, vi } from 'vitest';
import { AgentRuntime, EventBatcher, type BusErrorPayload } from '../../src/index.js';
import { flush, useFakeTime } from '../support/fake_time.js';
import { captureLogs } from './log_lines.js';

useFakeTime();
const logs = captureLogs();

const w = (worldId: string) => ({ worldId });

describe('EventBatcher', () => {
  it('hands over a batch when maxSize payloads gathered, in order', async () => {
    const runtime = new AgentRuntime();
    const batches: string[][] = [];
    new EventBatcher(runtime, 'world:joined', { maxSize: 3, intervalMs: 1_000, onBatch: (batch) => void batches.push(batch.map((p) => p.worldId)) });
    for (const id of ['a', 'b', 'c', 'd']) await runtime.emit('world:joined', w(id));
    await flush();
    expect(batches).toEqual([['a', 'b', 'c']]);
  });

  it('hands over what gathered intervalMs after the first payload of a batch; idle, no timer runs', async () => {
    const runtime = new AgentRuntime();
    const batches: string[][] = [];
    const batcher = new EventBatcher(runtime, 'world:joined', { maxSize: 100, intervalMs: 1_000, onBatch: (batch) => void batches.push(batch.map((p) => p.worldId)) });
    expect(vi.getTimerCount()).toBe(0);
    await runtime.emit('world:joined', w('a'));
    await vi.advanceTimersByTimeAsync(600);
    await runtime.emit('world:joined', w('b'));
    expect(batcher.pending).toBe(2);
    await vi.advanceTimersByTimeAsync(399);
    expect(batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(batches).toEqual([['a', 'b']]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('batches are handed over one at a time even when onBatch is slow; stop() hands over the rest and stops listening', async () => {
    const runtime = new AgentRuntime();
    const log: string[] = [];
    const batcher = new EventBatcher(runtime, 'world:joined', {
      maxSize: 1,
      intervalMs: 1_000,
      onBatch: async ([payload]) => {
        log.push(`begin ${payload!.worldId}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
        log.push(`end ${payload!.worldId}`);
      },
    });
    await runtime.emit('world:joined', w('a'));
    await runtime.emit('world:joined', w('b'));
    await vi.advanceTimersByTimeAsync(200);
    expect(log).toEqual(['begin a', 'end a', 'begin b', 'end b']);
    const stopped = batcher.stop();
    await stopped;
    await runtime.emit('world:joined', w('c'));
    expect(batcher.pending).toBe(0);
    expect(runtime.listenerCount('world:joined')).toBe(0);
  });

  it('an onBatch that fails is logged and reported; later batches still go', async () => {
    const runtime = new AgentRuntime();
    const errors: BusErrorPayload[] = [];
    runtime.on('error', (e) => void errors.push(e));
    let calls = 0;
    new EventBatcher(runtime, 'world:joined', {
      maxSize: 1,
      intervalMs: 1_000,
      onBatch: () => {
        calls += 1;
        if (calls === 1) throw new Error('disk full');
      },
    });
    await runtime.emit('world:joined', w('a'));
    await runtime.emit('world:joined', w('b'));
    await flush();
    expect(calls).toBe(2);
    expect(errors.map((e) => e.error.message)).toEqual(['a listener of "world:joined (batch)" failed: disk full']);
    expect(logs.errors()).toHaveLength(1);
  });

  it('bad options are refused', () => {
    const runtime = new AgentRuntime();
    expect(() => new EventBatcher(runtime, 'world:joined', { maxSize: 0, intervalMs: 1, onBatch: () => {} })).toThrow(/maxSize/);
    expect(() => new EventBatcher(runtime, 'world:joined', { maxSize: 1, intervalMs: -5, onBatch: () => {} })).toThrow(/intervalMs/);
    expect(() => new EventBatcher(runtime, 'world:joined', { maxSize: 1, intervalMs: 5, onBatch: 'x' as never })).toThrow(/onBatch/);
  });
});
