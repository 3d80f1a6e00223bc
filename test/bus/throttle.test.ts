/** throttle(): at most one emit per interval; the latest payload of an interval is emitted at its end. */
import { describe, expect, it, vi } from 'vitest';
import { AgentRuntime, throttle } from '../../src/index.js';
import { useFakeTime } from '../support/fake_time.js';

useFakeTime();

describe('throttle', () => {
  it('emits the first at once, keeps only the latest within the interval, emits it at the end, then rests', async () => {
    const runtime = new AgentRuntime();
    const seen: Array<[string, number]> = [];
    runtime.on('world:connected', ({ worldId }) => void seen.push([worldId, Date.now()]));
    const start = Date.now();
    const throttled = throttle(runtime, 'world:connected', { intervalMs: 100 });
    throttled.emit({ worldId: '1' });
    await vi.advanceTimersByTimeAsync(10);
    throttled.emit({ worldId: '2' });
    throttled.emit({ worldId: '3' });
    await vi.advanceTimersByTimeAsync(40);
    throttled.emit({ worldId: '4' });
    await vi.advanceTimersByTimeAsync(50);
    expect(seen.map(([id, at]) => [id, at - start])).toEqual([
      ['1', 0],
      ['4', 100],
    ]);
    expect(throttled.dropped).toBe(2);
    // Nothing kept: the interval after ends quietly; the next emit goes out at once.
    await vi.advanceTimersByTimeAsync(150);
    expect(vi.getTimerCount()).toBe(0);
    throttled.emit({ worldId: '5' });
    await vi.advanceTimersByTimeAsync(0);
    expect(seen.map(([id, at]) => [id, at - start])).toEqual([
      ['1', 0],
      ['4', 100],
      ['5', 250],
    ]);
  });

  it('flush() emits the kept payload now; cancel() drops it and the timer', async () => {
    const runtime = new AgentRuntime();
    const seen: string[] = [];
    runtime.on('world:connected', ({ worldId }) => void seen.push(worldId));
    const throttled = throttle(runtime, 'world:connected', { intervalMs: 100 });
    throttled.emit({ worldId: 'a' });
    throttled.emit({ worldId: 'b' });
    throttled.flush();
    throttled.emit({ worldId: 'c' });
    throttled.cancel();
    await vi.advanceTimersByTimeAsync(500);
    expect(seen).toEqual(['a', 'b']);
    expect(vi.getTimerCount()).toBe(0);
    expect(() => throttle(runtime, 'world:connected', { intervalMs: 0 })).toThrow(/intervalMs/);
  });
});
