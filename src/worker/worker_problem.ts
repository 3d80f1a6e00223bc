/** The typed error for each problem the worker machine reports (machines/worker.ts WorkerProblem). */
import type { WorkerProblem } from '../../machines/worker.js';
import { TimeoutError, VoxstateError, describe } from '../errors.js';
import { AssignmentTimeoutError, JobRequestTimeoutError, WorkerConnectionError, WorkerProtocolError } from './errors.js';

function asVoxstateError(error: unknown, code: string): VoxstateError {
  return error instanceof VoxstateError ? error : new VoxstateError(code, describe(error), { cause: error });
}

export function problemError(problem: WorkerProblem): VoxstateError {
  switch (problem.kind) {
    case 'connection':
      return asVoxstateError(problem.error, 'worker_connection_failed');
    case 'connect_timeout':
      return new WorkerConnectionError(`opening the connection to LiveKit timed out after ${problem.timeoutMs} ms`);
    case 'pong_timeout':
      return new WorkerConnectionError(`LiveKit did not answer a ping within ${problem.timeoutMs} ms: the connection is dead`);
    case 'register_timeout':
      return new TimeoutError('registration with LiveKit', problem.timeoutMs);
    case 'protocol':
      return new WorkerProtocolError(problem.detail);
    case 'assignment_timeout':
      return new AssignmentTimeoutError(problem.jobId, problem.timeoutMs);
    case 'request_timeout':
      return new JobRequestTimeoutError(problem.jobId, problem.timeoutMs);
    case 'unexpected_assignment':
      return new WorkerProtocolError(`an assignment of job ${problem.jobId}, which this worker is not waiting for, was reported as failed`);
    case 'load':
      return new VoxstateError('load_failed', `loadFnc failed: ${describe(problem.error)}; the last load is kept`, { cause: problem.error });
    case 'executor':
      return asVoxstateError(problem.error, 'executor_failed');
    case 'close':
      return asVoxstateError(problem.error, 'worker_close_failed');
  }
}
