/** Simulated time for a test file: every test runs on fake timers (XState's delays included). */
import { afterEach, beforeEach, vi } from 'vitest';

export function useFakeTime(): void {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });
}

/** Lets everything already due run (promises, zero-delay timers). */
export const flush = () => vi.advanceTimersByTimeAsync(0);

/** Lets every promise chain already started run to its end, `turns` rounds deep, without letting fake time pass. */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await vi.advanceTimersByTimeAsync(0);
}
