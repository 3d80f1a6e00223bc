import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { collectIdleHeap } from '../../src/ipc/idle_heap.js';

describe('collectIdleHeap', () => {
  it('collects the garbage a job process leaves at start-up, without exposing gc to its code', async () => {
    const hadGc = typeof (globalThis as { gc?: unknown }).gc;
    // A WeakRef's target stays alive until the turn that made it ends.
    const ref = new WeakRef({ startUpGarbage: new Array(1000).fill(1) });
    await nextTurn();
    collectIdleHeap();
    expect(ref.deref()).toBeUndefined();
    expect(typeof (globalThis as { gc?: unknown }).gc).toBe(hadGc);
  });
});
