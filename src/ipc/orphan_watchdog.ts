/**
 * How a job process notices that its worker is gone, even while its job blocks the event loop.
 *
 * A thread of the process (its own event loop) watches the parent: once the process has been
 * re-parented, it tells the main thread, which winds the job down (bounded by
 * shutdownProcessTimeout). The main thread proves it is alive by a heartbeat in shared memory; an
 * orphan whose event loop has not turned for STALL_MS can wind nothing down (a busy loop, a
 * blocked shutdown callback), so the thread kills the process itself.
 */
import { Worker } from 'node:worker_threads';
import { describe } from '../errors.js';
import { log } from '../log/logger.js';

/** How often the heartbeat is written and read. */
const BEAT_MS = 200;
/** An orphan whose event loop has not turned for this long is killed. */
const STALL_MS = 1_000;

// Plain CommonJS, evaluated in the thread: no loader, no module of ours, nothing to wait for.
const WATCHDOG = `
const { parentPort, workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const { parentPid, beats, beatMs, stallMs } = workerData;
let lastBeat = Atomics.load(beats, 0);
let stalledMs = 0;
let told = false;
setInterval(() => {
  const beat = Atomics.load(beats, 0);
  stalledMs = beat === lastBeat ? stalledMs + beatMs : 0;
  lastBeat = beat;
  if (process.ppid === parentPid) return;
  if (!told) {
    told = true;
    parentPort.postMessage('orphaned');
  }
  if (stalledMs < stallMs) return;
  // The main thread cannot log (its loop is blocked): one line straight to stderr, then the end.
  const line = { level: 50, time: Date.now(), pid: process.pid, msg: 'job process orphaned with its event loop blocked for ' + stalledMs + ' ms: killing itself' };
  try { writeSync(2, JSON.stringify(line) + '\\n'); } catch {}
  process.kill(process.pid, 'SIGKILL');
}, beatMs);
`;

/**
 * Starts watching for `parentPid` to go away; `onOrphaned` runs on the main thread once it has
 * (if that thread still turns). Neither the thread nor the heartbeat keeps the process alive.
 */
export function startOrphanWatchdog(parentPid: number, onOrphaned: () => void): void {
  const beats = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  setInterval(() => Atomics.add(beats, 0, 1), BEAT_MS).unref();
  // No execArgv: the process's loaders (tsx) and flags have nothing to do in this thread.
  const thread = new Worker(WATCHDOG, { eval: true, execArgv: [], workerData: { parentPid, beats, beatMs: BEAT_MS, stallMs: STALL_MS } });
  thread.on('message', () => onOrphaned());
  // A watchdog that fails leaves the main thread's own checks (the IPC channel closing) in place.
  thread.on('error', (error) => log().error({ err: error }, `the orphan watchdog failed: ${describe(error)}`));
  thread.unref();
}
