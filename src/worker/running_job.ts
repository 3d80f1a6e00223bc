/**
 * What the worker (the LiveKit connection) and the executors (where jobs run: a child process, a
 * worker thread) agree on. The worker accepts a job from LiveKit and hands a RunningJobInfo to an
 * executor; the executor reports back only through a JobHandle, so a job's crash, kill or timeout
 * reaches the worker as a JobEnd, never as an exception.
 */
import type { JobEnd } from '../../machines/assigned_job.js';
import type { AcceptedAs, OfferedJob } from '../../machines/worker.js';

export type { JobEnd } from '../../machines/assigned_job.js';

/** The job as LiveKit assigned it (the fields of livekit.Job that a job needs); the worker machine's OfferedJob. */
export type AssignedJob = OfferedJob;

/** What the worker answered in AvailabilityResponse: who the agent is in the room. */
export type AcceptArguments = AcceptedAs;

/** Everything an executor needs to run one job. */
export interface RunningJobInfo {
  job: AssignedJob;
  acceptArguments: AcceptArguments;
  /** The LiveKit server URL to join the room with (JobAssignment.url, or the worker's URL). */
  url: string;
  /** The agent's token for the room (JobAssignment.token). A secret: never logged. */
  token: string;
  workerId: string;
}

/** One job running in an executor. */
export interface JobHandle {
  readonly id: string;
  /** Settles (never rejects) once the job is over and its process or thread is gone or back in the pool. */
  readonly ended: Promise<JobEnd>;
  /**
   * Shuts the job down through the contract with `reason`; after shutdownProcessTimeout the
   * process or thread is killed. Resolves when the job has ended. Idempotent.
   */
  shutdown(reason: string): Promise<void>;
}

/** What a job is told about itself (ctx.job) from its assignment. */
export function dispatchedJob(info: RunningJobInfo) {
  const { job } = info;
  return {
    id: job.id,
    metadata: job.metadata,
    roomSid: job.roomSid,
    dispatchId: job.dispatchId,
    participantIdentity: job.participantIdentity,
    attributes: job.attributes,
    workerId: info.workerId,
  };
}

/** Where jobs run. The process pool and the thread executor implement it. */
export interface JobExecutor {
  /**
   * Starts the executor: checks that it can run jobs and begins warming its idle processes in the
   * background, without waiting for them (a launch waits for a ready one). Rejects when it cannot run jobs.
   */
  start(): Promise<void>;
  /** Runs a job; resolves once its entrypoint is running, rejects (typed) if it could not start. */
  launch(info: RunningJobInfo): Promise<JobHandle>;
  /** Jobs launched and not yet ended. */
  readonly activeJobs: number;
  /**
   * Shuts every running job down through the contract with `reason`, stops idle processes and
   * waits until none is left. Idempotent.
   */
  close(reason: string): Promise<void>;
}
