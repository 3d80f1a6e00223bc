/**
 * Throttling: emits an event at most once per interval. The first call emits at once; calls
 * within the interval replace one another and the last one is emitted when the interval ends
 * (so the latest value is never lost); the interval then starts again.
 *
 *   const level = throttle(runtime, 'meter:level', { intervalMs: 250 });
 *   for (const frame of frames) level.emit({ rms: rms(frame) });
 */
import { checkTimeout } from './deadline.js';
import type { RuntimeEventRegistry, RuntimeEventType } from './registry.js';
import type { AgentRuntime } from './runtime.js';

export interface Throttled<K extends RuntimeEventType> {
  /** Emits now, or keeps `payload` for the end of the interval (replacing any kept one). */
  emit(payload: RuntimeEventRegistry[K]): void;
  /** Emits the kept payload now, if any. */
  flush(): void;
  /** Drops the kept payload and stops the timer. */
  cancel(): void;
  /** Payloads replaced before they were emitted, so far. */
  readonly dropped: number;
}

export function throttle<K extends RuntimeEventType>(runtime: AgentRuntime, type: K, options: { intervalMs: number }): Throttled<K> {
  checkTimeout(options?.intervalMs, 'intervalMs');
  const { intervalMs } = options;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let kept: { payload: RuntimeEventRegistry[K] } | undefined;
  let dropped = 0;
  const open = () => {
    timer = setTimeout(() => {
      timer = undefined;
      if (kept === undefined) return;
      const { payload } = kept;
      kept = undefined;
      void runtime.emit(type, payload);
      open();
    }, intervalMs);
  };
  return {
    emit(payload) {
      if (timer === undefined) {
        void runtime.emit(type, payload);
        open();
        return;
      }
      if (kept !== undefined) dropped += 1;
      kept = { payload };
    },
    flush() {
      if (kept === undefined) return;
      const { payload } = kept;
      kept = undefined;
      void runtime.emit(type, payload);
    },
    cancel() {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      kept = undefined;
    },
    get dropped() {
      return dropped;
    },
  };
}
