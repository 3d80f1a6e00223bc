/**
 * A job process (or thread) collects its start-up garbage before it waits idle. Importing the
 * agent module, setupFnc and the warm runs leave V8 in the middle of an incremental marking, which
 * it would otherwise finish inside the next job's start (5 ms of a 3 ms start, measured under tsx);
 * a full collection now also starts V8's memory reducer, which gives back the young generation
 * grown by the imports (~10 MB of RSS) once the process has been idle for a few seconds.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Runs a full garbage collection (V8's `gc`, exposed to a throwaway context only). */
export function collectIdleHeap(): void {
  // Exposing gc to a new context leaves the process's own global without it; the context is
  // garbage after the call (kept, it would hold ~1 MB).
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}
