/**
 * Where the worker verbs run jobs: server.options.executor, 'process' (the default: a prewarmed
 * pool of child processes) or 'thread' (worker threads); dev --inspect runs them in this process.
 * Loaded on demand by run_worker.ts.
 */
import type { AgentServer } from '../server/agent_server.js';
import type { JobExecutor } from '../worker/running_job.js';
import type { ExecutorSettings } from './run_worker.js';

export async function createExecutor(server: AgentServer<any>, settings: ExecutorSettings): Promise<JobExecutor> {
  if (settings.inProcess) {
    const [{ InProcessExecutor }, { LiveKitRoom }] = await Promise.all([import('../worker/in_process_executor.js'), import('../room/livekit_room.js')]);
    return new InProcessExecutor(server, {
      roomFactory: (info) => new LiveKitRoom({ url: info.url, token: info.token, name: info.job.roomName }),
      logger: settings.logger,
    });
  }
  const options = { numIdleProcesses: settings.numIdleProcesses, logger: settings.logger };
  const kind = server.options.executor ?? 'process';
  if (kind === 'thread') {
    const { ThreadExecutor } = await import('../ipc/thread_executor.js');
    return new ThreadExecutor(server, options);
  }
  if (kind !== 'process') throw new TypeError(`AgentServer option executor must be 'process' or 'thread', got ${JSON.stringify(kind)}`);
  const { ProcessPool } = await import('../ipc/process_pool.js');
  return new ProcessPool(server, options);
}
