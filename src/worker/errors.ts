/** What can go wrong between a worker and LiveKit, as typed errors (see src/errors.ts). */
import { VoxstateError, describe } from '../errors.js';

/** LiveKit refused the worker's credentials (HTTP 401/403 on the WebSocket upgrade). Not retried. */
export class WorkerAuthError extends VoxstateError {
  constructor(readonly status: number) {
    super(
      'worker_auth_refused',
      `LiveKit refused the worker's credentials (HTTP ${status}): check LIVEKIT_API_KEY and LIVEKIT_API_SECRET`,
    );
  }
}

/** The connection to LiveKit could not be opened, or it dropped. */
export class WorkerConnectionError extends VoxstateError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('worker_connection_failed', message, options);
  }
}

/** The worker gave up: the connection failed, and so did every retry (maxRetry in a row). */
export class WorkerUnreachableError extends VoxstateError {
  constructor(
    readonly retries: number,
    cause: unknown,
  ) {
    super('worker_unreachable', `LiveKit is unreachable: gave up after ${retries} retries in a row (last error: ${describe(cause)})`, { cause });
  }
}

/** The server sent something the protocol does not allow: a malformed frame, or a message out of order. */
export class WorkerProtocolError extends VoxstateError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super('worker_protocol_error', `LiveKit protocol error: ${detail}`, options);
  }
}

/** An accepted job's JobAssignment did not come in time; the job was dropped. */
export class AssignmentTimeoutError extends VoxstateError {
  constructor(
    readonly jobId: string,
    readonly timeoutMs: number,
  ) {
    super('assignment_timeout', `job ${jobId} was accepted but not assigned within ${timeoutMs} ms; it was dropped`);
  }
}

/** The program's requestFnc threw; the job was rejected. */
export class JobRequestError extends VoxstateError {
  constructor(
    readonly jobId: string,
    cause: unknown,
  ) {
    super('job_request_failed', `requestFnc failed for job ${jobId}: ${describe(cause)}; the job was rejected`, { cause });
  }
}

/**
 * requestFnc did not answer an offer within the worker's requestTimeout: the worker declined the
 * job (without terminating the dispatch), so that LiveKit can offer it to another worker before
 * its own wait (10 s) runs out. An answer given later is refused with this error.
 */
export class JobRequestTimeoutError extends VoxstateError {
  constructor(
    readonly jobId: string,
    readonly timeoutMs: number,
  ) {
    super('job_request_timeout', `requestFnc did not answer job ${jobId} within ${timeoutMs} ms; the job was declined so that LiveKit can offer it to another worker`);
  }
}

/** accept() was given something other than text for the agent's name, identity or metadata, or attributes that are not text, or unknown fields. */
export class JobAcceptError extends VoxstateError {
  constructor(
    readonly jobId: string,
    problem: string,
  ) {
    super('job_accept_invalid', `job ${jobId} could not be accepted: ${problem}`);
  }
}

/** A job could not be launched in the executor. */
export class JobLaunchError extends VoxstateError {
  constructor(
    readonly jobId: string,
    cause: unknown,
  ) {
    super('job_launch_failed', `job ${jobId} could not be launched: ${describe(cause)}`, { cause });
  }
}
