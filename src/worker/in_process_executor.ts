/**
 * InProcessExecutor: runs each job in this process, on a room made for it, through
 * server.startJob (the job's own shutdown contract, src/job/job.ts). For tests, demos and
 * development; production uses the process pool.
 */
import { ClosedError, describe } from '../errors.js';
import type { Job } from '../job/job.js';
import type { Logger } from '../log/logger.js';
import type { Room } from '../room/room.js';
import type { AgentServer } from '../server/agent_server.js';
import { dispatchedJob, type JobEnd, type JobExecutor, type JobHandle, type RunningJobInfo } from './running_job.js';

export interface InProcessExecutorOptions {
  /** The room a job joins, e.g. a LocalRoom in tests or an rtc-node room for info.url / info.token. */
  roomFactory: (info: RunningJobInfo) => Room;
  logger?: Logger;
}

export class InProcessExecutor implements JobExecutor {
  readonly #server: AgentServer<any>;
  readonly #roomFactory: (info: RunningJobInfo) => Room;
  readonly #logger: Logger | undefined;
  readonly #jobs = new Map<string, JobHandle>();
  #closed = false;

  constructor(server: AgentServer<any>, options: InProcessExecutorOptions) {
    this.#server = server;
    this.#roomFactory = options.roomFactory;
    this.#logger = options.logger;
  }

  async start(): Promise<void> {
    if (this.#closed) throw new ClosedError('the executor', 'start()', 'closed');
  }

  get activeJobs(): number {
    return this.#jobs.size;
  }

  /** The running jobs' handles, by job id. */
  get jobs(): ReadonlyMap<string, JobHandle> {
    return this.#jobs;
  }

  async launch(info: RunningJobInfo): Promise<JobHandle> {
    if (this.#closed) throw new ClosedError('the executor', 'launch()', 'closed');
    const room = this.#roomFactory(info);
    const job: Job<any> = await this.#server.startJob({
      room,
      job: dispatchedJob(info),
      ...(this.#logger ? { logger: this.#logger } : {}),
    });
    const ended: Promise<JobEnd> = job.result.then(
      (result) =>
        result.status === 'success'
          ? { status: 'success', reason: result.reason }
          : { status: 'failed', reason: result.reason, error: result.error?.message ?? 'the job failed' },
      (error: unknown) => ({ status: 'failed', reason: 'job failed', error: describe(error) }),
    );
    const handle: JobHandle = {
      id: info.job.id,
      ended,
      shutdown: async (reason) => {
        job.requestShutdown(reason, 'worker');
        await ended;
      },
    };
    this.#jobs.set(handle.id, handle);
    void ended.then(() => this.#jobs.delete(handle.id));
    return handle;
  }

  async close(reason: string): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#jobs.values()].map((handle) => handle.shutdown(reason)));
  }
}
