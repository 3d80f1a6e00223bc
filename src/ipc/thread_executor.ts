/**
 * ThreadExecutor: each job runs in its own worker thread of this process, taken from a pool of
 * prewarmed idle ones, under the same supervision and bounds as ProcessPool (a thread past them is
 * terminated). Lighter than a process, but the jobs share the process: a native crash or the
 * process's own memory exhaustion takes every job with it.
 */
import type { ResourceLimits } from 'node:worker_threads';
import type { AgentServer } from '../server/agent_server.js';
import { ExecutorPool, type ExecutorOptions } from './executor_pool.js';
import { openThreadChannel } from './thread_channel.js';

export interface ThreadExecutorOptions extends ExecutorOptions {
  /** V8 heap limits of each job thread, e.g. { maxOldGenerationSizeMb: 256 }: past them only that thread dies. */
  resourceLimits?: ResourceLimits;
}

export class ThreadExecutor extends ExecutorPool {
  // biome-ignore lint: a pool runs the jobs of any server
  constructor(server: AgentServer<any>, options: ThreadExecutorOptions = {}) {
    super('thread', server, options, (handlers, runtime) =>
      openThreadChannel(
        { ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}), ...(options.env ? { env: options.env } : {}) },
        handlers,
        runtime,
      ),
    );
  }
}
