/**
 * The main module of a job thread (started by ThreadExecutor): a JobRunner over the thread's
 * message port. Its process.exit ends only this thread; its parent cannot vanish without it.
 */
import { parentPort } from 'node:worker_threads';
import { JobRunner } from './job_runner.js';

const port = parentPort;
if (port === null) throw new Error('voxstate: thread_main runs in a worker thread started by ThreadExecutor');

const runner = new JobRunner({
  send: async (message) => port.postMessage(message),
  exit: (code) => process.exit(code),
});
port.on('message', (raw) => runner.receive(raw));

let crashed = false;
process.on('uncaughtException', (error) => {
  if (crashed) return process.exit(1);
  crashed = true;
  void runner.crash(error);
});
