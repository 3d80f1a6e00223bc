/** The job the running code belongs to, found through AsyncLocalStorage (like LiveKit's get_job_context). */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { JobContext } from './job_context.js';

const scope = new AsyncLocalStorage<JobContext>();

export function runInJob<T>(ctx: JobContext, fn: () => T): T {
  return scope.run(ctx, fn);
}

/** The JobContext of the job the caller runs in, or undefined outside any job. */
export function currentJobContext(): JobContext | undefined {
  return scope.getStore();
}

/** The JobContext of the job the caller runs in; throws outside a job. */
export function getJobContext(): JobContext {
  const ctx = scope.getStore();
  if (ctx === undefined) throw new Error('getJobContext() was called outside a job: call it from the entrypoint or code it runs');
  return ctx;
}
