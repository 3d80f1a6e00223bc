/**
 * One job LiveKit assigned to the worker, as the worker runs it: a child actor of the worker
 * machine (`job.<id>`, one per job), from the assignment until the job has ended.
 *
 * launching (toRun | toShutDown) → launched (running → shuttingDown) → ended.
 *
 * - The job runs in its executor (a process from the pool, a thread, or this process) under the
 *   `runJob` actor for the whole life of this one: it launches the job, says when it runs
 *   (`job.launched`) and how it ended (`job.ended`), and carries out the shutdown it is ordered.
 * - `launching`: the executor starts the job. A launch that fails ends the job at once (failed,
 *   "launch failed"). A shutdown ordered meanwhile (LiveKit terminated the job, the worker drains
 *   or closes) waits in `toShutDown` and is carried out as soon as the job runs.
 * - `launched`: the worker tells LiveKit the job runs. While `running`, a shutdown order sends the
 *   job its shutdown (`shuttingDown`, through the job's own contract); the first reason wins,
 *   later orders are ignored. However the job ends (by itself, shut down, crashed, killed), the
 *   worker tells LiveKit how.
 * - `ended` is final: the worker forgets the job.
 */
import { assign, fromCallback, sendTo, setup } from 'xstate';
import type { PendingJob } from './worker.js';

/** How a job ended, as the worker reports it (UpdateJobStatus JS_SUCCESS / JS_FAILED). */
export type JobEnd = { status: 'success'; reason: string } | { status: 'failed'; reason: string; error: string };

/**
 * A JobAssignment as the implementation holds it (src/worker/sealed_assignment.ts): it carries the
 * agent's room token, which no event, input or snapshot may show, so it is opaque here.
 */
export interface SealedAssignment {
  readonly jobId: string;
}

/** What an assigned job's actor is started with. */
export interface AssignedJobInput {
  jobId: string;
  /** The job as accepted, and who the agent is in its room. */
  pending: PendingJob;
  assignment: SealedAssignment;
  workerId: string;
}

/** What the runJob actor is told. */
export type JobOrder = { type: 'shutdown'; reason: string };

export interface AssignedJobMachineContext {
  launch: AssignedJobInput;
  /** Why the job is shut down, once it is ordered to. */
  reason: string | undefined;
}

export type AssignedJobMachineEvent =
  | JobOrder
  /** Sent by runJob: the job runs in its executor. */
  | { type: 'job.launched' }
  /** Sent by runJob: the job is over (or could not be launched). */
  | { type: 'job.ended'; end: JobEnd };

export const assignedJobMachine = setup({
  types: {
    input: {} as AssignedJobInput,
    context: {} as AssignedJobMachineContext,
    events: {} as AssignedJobMachineEvent,
  },
  actors: {
    // src/worker provides it. It never fails: a launch that fails is a job that ended failed.
    runJob: fromCallback<JobOrder, AssignedJobInput>(() => () => {}),
  },
  actions: {
    // src/worker provides these: the job's status to LiveKit and the worker's events.
    reportStarted: () => {},
    reportEnded: (_, _end: JobEnd) => {},
    recordReason: assign((_, params: { reason: string }) => params),
    orderShutdown: sendTo('runJob', ({ context }) => ({ type: 'shutdown', reason: context.reason ?? 'shutdown' }) satisfies JobOrder),
  },
}).createMachine({
  id: 'assignedJob',
  context: ({ input }) => ({ launch: input, reason: undefined }),
  invoke: { id: 'runJob', src: 'runJob', input: ({ context }) => context.launch },
  initial: 'launching',
  on: {
    'job.ended': { target: '.ended', actions: { type: 'reportEnded', params: ({ event }) => event.end } },
  },
  states: {
    launching: {
      initial: 'toRun',
      states: {
        toRun: {
          on: {
            'job.launched': '#assignedJob.launched',
            shutdown: { target: 'toShutDown', actions: { type: 'recordReason', params: ({ event }) => ({ reason: event.reason }) } },
          },
        },
        toShutDown: {
          on: { 'job.launched': '#assignedJob.launched.shuttingDown' },
        },
      },
    },
    launched: {
      entry: 'reportStarted',
      initial: 'running',
      states: {
        running: {
          on: { shutdown: { target: 'shuttingDown', actions: { type: 'recordReason', params: ({ event }) => ({ reason: event.reason }) } } },
        },
        shuttingDown: {
          entry: 'orderShutdown',
        },
      },
    },
    ended: { type: 'final' },
  },
});
