/**
 * A job LiveKit offers to the worker, as the program's requestFnc sees it (JobRequest in
 * src/server/agent_server.ts). It is answered once: accept() or reject(). The worker rejects
 * (without terminating the dispatch) a request that requestFnc left unanswered.
 */
import { VoxstateError } from '../errors.js';
import type { JobRequest } from '../server/agent_server.js';
import { AGENT_NAME_ATTRIBUTE } from './protocol.js';
import type { AcceptArguments, AssignedJob } from './running_job.js';

export type JobAnswer = { available: true; acceptArguments: AcceptArguments } | { available: false; terminate: boolean };

export class WorkerJobRequest implements JobRequest {
  #answered = false;

  constructor(
    readonly job: AssignedJob,
    readonly agentName: string,
    /** Sends the answer to LiveKit; throws when it cannot be sent. */
    readonly send: (answer: JobAnswer) => void,
  ) {}

  /** Whether accept() or reject() was called. */
  get answered(): boolean {
    return this.#answered;
  }

  async accept(args: Partial<AcceptArguments> = {}): Promise<void> {
    this.#answer();
    this.send({
      available: true,
      acceptArguments: {
        identity: args.identity || `agent-${this.job.id}`,
        name: args.name ?? '',
        metadata: args.metadata ?? '',
        attributes: { ...args.attributes, [AGENT_NAME_ATTRIBUTE]: this.agentName },
      },
    });
  }

  async reject(options: { terminate?: boolean } = {}): Promise<void> {
    this.#answer();
    this.send({ available: false, terminate: options.terminate ?? true });
  }

  #answer(): void {
    if (this.#answered) throw new VoxstateError('job_request_answered', `job ${this.job.id} was already accepted or rejected`);
    this.#answered = true;
  }
}
