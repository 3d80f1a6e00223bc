/**
 * The main module of a job process (forked by ProcessPool). It runs a JobRunner over the IPC
 * channel and watches for its parent: if the parent is gone (the channel closes, or the process is
 * re-parented), the job shuts down by itself and the process exits, bounded, so no job process
 * outlives its worker; an orphan whose event loop is blocked is killed by its watchdog thread.
 */
import { JobRunner } from './job_runner.js';
import { startOrphanWatchdog } from './orphan_watchdog.js';

const send = process.send?.bind(process);
if (send === undefined) {
  process.stderr.write('voxstate: this is a job process; it is started by the worker, not by hand\n');
  process.exit(2);
}

const parentPid = process.ppid;
const runner = new JobRunner({
  send: (message) =>
    new Promise<void>((resolve) => {
      if (!process.connected) return resolve();
      try {
        send(message, undefined, {}, () => resolve());
      } catch {
        resolve(); // the parent is gone: leave() handles that
      }
    }),
  exit: (code) => process.exit(code),
});

process.on('message', (raw) => runner.receive(raw));
process.on('disconnect', () => runner.leave('parent process gone'));
// A parent killed while the channel stays open (it was inherited) still re-parents this process.
startOrphanWatchdog(parentPid, () => runner.leave('parent process gone'));

// Ctrl-C reaches the whole process group: the worker decides how its jobs end, not the terminal.
process.on('SIGINT', () => {});
// Asked by the system to stop (e.g. systemd stopping a unit signals every process): wind down.
process.on('SIGTERM', () => runner.leave('SIGTERM'));

let crashed = false;
process.on('uncaughtException', (error) => {
  if (crashed) return process.exit(1);
  crashed = true;
  void runner.crash(error);
});
