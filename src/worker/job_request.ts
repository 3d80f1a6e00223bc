/**
 * A job LiveKit offers to the worker, as the program's requestFnc sees it (JobRequest in
 * src/server/agent_server.ts). It is answered once: accept() or reject(). The worker rejects a
 * request that requestFnc left unanswered, or did not answer within the worker's requestTimeout.
 */
import { VoxstateError } from '../errors.js';
import type { AcceptOptions, JobRequest } from '../server/agent_server.js';
import { JobAcceptError } from './errors.js';
import { AGENT_NAME_ATTRIBUTE } from './protocol.js';
import type { AcceptArguments, AssignedJob } from './running_job.js';

export type JobAnswer = { available: true; acceptArguments: AcceptArguments } | { available: false; terminate: boolean };

const ACCEPT_FIELDS = ['identity', 'name', 'metadata', 'attributes'];

export class WorkerJobRequest implements JobRequest {
  #answered = false;

  constructor(
    readonly job: AssignedJob,
    /** The worker's agent name, put in the agent's attributes. */
    readonly workerAgentName: string,
    /** LiveKit offers again a job whose worker went away (AvailabilityRequest.resuming). */
    readonly resuming: boolean,
    /** Sends the answer to LiveKit; throws when it cannot be sent. */
    readonly send: (answer: JobAnswer) => void,
  ) {}

  get id(): string {
    return this.job.id;
  }

  get room(): { readonly name: string; readonly sid: string } {
    return { name: this.job.roomName, sid: this.job.roomSid };
  }

  get publisher(): { readonly identity: string } | undefined {
    return this.job.participantIdentity === undefined ? undefined : { identity: this.job.participantIdentity };
  }

  get agentName(): string {
    return this.job.agentName;
  }

  /** Whether accept() or reject() was called. */
  get answered(): boolean {
    return this.#answered;
  }

  accept(options?: AcceptOptions): Promise<void>;
  accept(name?: string, identity?: string, metadata?: string, attributes?: Record<string, string>): Promise<void>;
  async accept(first?: AcceptOptions | string, identity?: string, metadata?: string, attributes?: Record<string, string>): Promise<void> {
    const args = typeof first === 'object' && first !== null ? this.#keywords(first) : { name: first, identity, metadata, attributes };
    for (const field of ['name', 'identity', 'metadata'] as const) {
      if (args[field] !== undefined && typeof args[field] !== 'string') throw new JobAcceptError(this.job.id, `${field} must be text, got ${typeof args[field]}`);
    }
    const given = args.attributes;
    if (given !== undefined && (typeof given !== 'object' || given === null || Object.values(given).some((value) => typeof value !== 'string'))) {
      throw new JobAcceptError(this.job.id, 'attributes must map names to text');
    }
    this.#answer();
    this.send({
      available: true,
      acceptArguments: {
        identity: args.identity || `agent-${this.job.id}`,
        name: args.name ?? '',
        metadata: args.metadata ?? '',
        attributes: { ...given, [AGENT_NAME_ATTRIBUTE]: this.workerAgentName },
      },
    });
  }

  async reject(options: { terminate?: boolean } = {}): Promise<void> {
    this.#answer();
    this.send({ available: false, terminate: options.terminate ?? false });
  }

  #keywords(options: AcceptOptions): AcceptOptions {
    const unknown = Object.keys(options).filter((key) => !ACCEPT_FIELDS.includes(key));
    if (unknown.length > 0) throw new JobAcceptError(this.job.id, `unknown field ${unknown.join(', ')} (accept takes ${ACCEPT_FIELDS.join(', ')})`);
    return options;
  }

  #answer(): void {
    if (this.#answered) throw new VoxstateError('job_request_answered', `job ${this.job.id} was already accepted or rejected`);
    this.#answered = true;
  }
}
