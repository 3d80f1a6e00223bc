/** The job the running code belongs to, found in the async context (like LiveKit's get_job_context). */
import { runScoped, scoped, scopeKey } from '../async_scope.js';
import type { JobContext } from './job_context.js';

const JOB = scopeKey<JobContext>('job');

export function runInJob<T>(ctx: JobContext, fn: () => T): T {
  return runScoped(JOB, ctx, fn);
}

/** The JobContext of the job the caller runs in, or undefined outside any job. */
export function currentJobContext(): JobContext | undefined {
  return scoped(JOB);
}

/** The JobContext of the job the caller runs in; throws outside a job. */
export function getJobContext(): JobContext {
  const ctx = scoped(JOB);
  if (ctx === undefined) throw new Error('getJobContext() was called outside a job: call it from the entrypoint or code it runs');
  return ctx;
}
