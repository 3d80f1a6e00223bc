/**
 * A JobAssignment sealed for its way through the worker's actors. The assignment carries the
 * agent's room token, and it travels where inspectors look (the worker machine's
 * `server.assignment` event, the assigned job's input), so its content sits in a private field:
 * out of JSON, util.inspect, structured clones and property walks alike. Only the job's launch
 * opens it.
 */
import { inspect } from 'node:util';
import type { JobAssignment } from '@livekit/protocol';
import type { SealedAssignment } from '../../machines/assigned_job.js';

export class SealedJobAssignment implements SealedAssignment {
  readonly jobId: string;
  readonly #assignment: JobAssignment;

  constructor(jobId: string, assignment: JobAssignment) {
    this.jobId = jobId;
    this.#assignment = assignment;
  }

  /** The assignment itself, token included: for launching the job, nothing else. */
  open(): JobAssignment {
    return this.#assignment;
  }

  toJSON(): { jobId: string; sealed: true } {
    return { jobId: this.jobId, sealed: true };
  }

  [inspect.custom](): string {
    return `SealedJobAssignment(${this.jobId})`;
  }
}

/** The assignment inside `sealed`, which the worker made (the machine only passes it on). */
export function openAssignment(sealed: SealedAssignment): JobAssignment {
  if (!(sealed instanceof SealedJobAssignment)) throw new TypeError('not an assignment the worker sealed');
  return sealed.open();
}
