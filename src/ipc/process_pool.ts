/**
 * ProcessPool: the default executor. Each job runs in its own child process, taken from a pool of
 * prewarmed idle ones; a crash, an out-of-memory abort, a process.exit or a blocked event loop in
 * one job ends only that process, and the job's end reaches its JobHandle.
 *
 *   const pool = new ProcessPool(server, { numIdleProcesses: 2 });
 *   await pool.start();
 *   const job = await pool.launch(info);
 *   const end = await job.ended; // { status: 'success' | 'failed', reason, error? }
 *   await pool.close('worker closing');
 */
import type { AgentServer } from '../server/agent_server.js';
import { ExecutorPool, type ExecutorOptions } from './executor_pool.js';
import { openProcessChannel } from './process_channel.js';

export interface ProcessPoolOptions extends ExecutorOptions {
  /** Extra node options for each job process, e.g. ['--max-old-space-size=512']. */
  execArgv?: readonly string[];
}

export class ProcessPool extends ExecutorPool {
  // biome-ignore lint: a pool runs the jobs of any server
  constructor(server: AgentServer<any>, options: ProcessPoolOptions = {}) {
    super('process', server, options, (handlers, runtime) =>
      openProcessChannel({ ...(options.execArgv ? { execArgv: options.execArgv } : {}), ...(options.env ? { env: options.env } : {}) }, handlers, runtime),
    );
  }
}
