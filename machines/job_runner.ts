/**
 * The child's side of a job process (or thread): what it is doing between its parent's messages.
 *
 * waiting → initializing (the agent module loads, setupFnc runs) → idle → starting (its room
 * opens, the job starts) → running, until the job ends and the process exits.
 * - A shutdown before a job runs ends the process at once (`gone`). One that comes while the job
 *   starts waits for it (`starting.shutdownPending`) and is passed on once it runs and the parent
 *   has heard so (`job.started`); later ones go to the job (whose first reason wins).
 * - If the parent is gone, the process leaves by itself: at once without a job, else the job shuts
 *   down (`leaving`), bounded by shutdownProcessTimeout since nobody else will end this process.
 */
import { assign, setup } from 'xstate';

export interface JobRunnerMachineContext {
  /** ms the job may take to shut down once the parent is gone (from the parent's initialize). */
  shutdownProcessTimeout: number;
  /** The shutdown asked for while the job was starting. */
  shutdownReason: string | undefined;
}

export type JobRunnerMachineEvent =
  | { type: 'initialize'; shutdownProcessTimeout: number }
  | { type: 'initialized' }
  | { type: 'startJob' }
  | { type: 'job.started' }
  | { type: 'shutdown'; reason: string }
  | { type: 'parent.gone'; reason: string };

/** Why the process leaves on its own. */
const leaveReason = ({ event }: { event: JobRunnerMachineEvent }) => ({ reason: event.type === 'parent.gone' ? event.reason : 'unknown' });

/** Leaves before any job runs: nothing to wind down. */
const LEAVE_AT_ONCE = {
  target: '#jobRunner.gone',
  actions: [{ type: 'announceLeaving', params: leaveReason }, { type: 'exit', params: { code: 1 } }],
} as const;
/** A shutdown before any job runs: the process ends, its work done. */
const SHUT_DOWN_AT_ONCE = { target: '#jobRunner.gone', actions: { type: 'exit', params: { code: 0 } } } as const;

export const jobRunnerMachine = setup({
  types: {
    context: {} as JobRunnerMachineContext,
    events: {} as JobRunnerMachineEvent,
  },
  actions: {
    recordTimeout: assign({
      shutdownProcessTimeout: ({ context, event }) => (event.type === 'initialize' ? event.shutdownProcessTimeout : context.shutdownProcessTimeout),
    }),
    recordShutdown: assign({ shutdownReason: ({ event }) => (event.type === 'shutdown' ? event.reason : undefined) }),
    // Provided by src/ipc/job_runner.ts:
    /** Passes a shutdown to the running job. */
    shutDownJob: (_, _params: { reason: string }) => {},
    /** Logs that the process leaves on its own, and why. */
    announceLeaving: (_, _params: { reason: string }) => {},
    /** Logs that the job did not shut down in time. */
    announceOverdue: () => {},
    exit: (_, _params: { code: number }) => {},
  },
  delays: {
    shutdownProcessTimeout: ({ context }) => context.shutdownProcessTimeout,
  },
}).createMachine({
  id: 'jobRunner',
  context: { shutdownProcessTimeout: 10_000, shutdownReason: undefined },
  initial: 'waiting',
  states: {
    waiting: {
      on: {
        initialize: { target: 'initializing', actions: 'recordTimeout' },
        shutdown: SHUT_DOWN_AT_ONCE,
        'parent.gone': LEAVE_AT_ONCE,
      },
    },
    initializing: {
      on: {
        initialized: 'idle',
        shutdown: SHUT_DOWN_AT_ONCE,
        'parent.gone': LEAVE_AT_ONCE,
      },
    },
    idle: {
      on: {
        startJob: 'starting',
        shutdown: SHUT_DOWN_AT_ONCE,
        'parent.gone': LEAVE_AT_ONCE,
      },
    },
    starting: {
      initial: 'clear',
      states: {
        clear: {
          on: { shutdown: { target: 'shutdownPending', actions: 'recordShutdown' } },
        },
        // The first reason wins; the job gets it once it runs.
        shutdownPending: {
          on: {
            'job.started': {
              target: '#jobRunner.running',
              actions: { type: 'shutDownJob', params: ({ context }) => ({ reason: context.shutdownReason! }) },
            },
          },
        },
      },
      on: {
        'job.started': 'running',
        'parent.gone': LEAVE_AT_ONCE,
      },
    },
    running: {
      on: {
        shutdown: { actions: { type: 'shutDownJob', params: ({ event }) => ({ reason: event.reason }) } },
        'parent.gone': {
          target: 'leaving',
          actions: [
            { type: 'announceLeaving', params: leaveReason },
            { type: 'shutDownJob', params: ({ event }) => ({ reason: event.reason }) },
          ],
        },
      },
    },
    leaving: {
      after: {
        shutdownProcessTimeout: { target: 'gone', actions: ['announceOverdue', { type: 'exit', params: { code: 1 } }] },
      },
    },
    gone: { type: 'final' },
  },
});
