/**
 * The life of one job: the shutdown contract as a statechart.
 *
 * pending → started (connecting → running (awaitingParticipant → attended)) → shuttingDown → done.
 *
 * - `start` launches the entrypoint; the job is `started`: `connecting` until the room is
 *   connected, then `running`. The entrypoint returning does not end the job (as in LiveKit): only
 *   a shutdown does, and neither does a session closing.
 * - While running, the job watches who is in the room (LiveKit's rule: "the job runs until all
 *   standard and SIP participants leave the room"). From the connection on, it is
 *   `awaitingParticipant` until a standard or SIP participant is there (a room nobody has joined
 *   yet waits for one), then `attended`; when the last of them leaves, it shuts down with reason
 *   "all participants left". The implementation reports the presence as events.
 * - Shutdown triggers: ctx.shutdown(reason), the room disconnecting, a request from the worker,
 *   the last participant leaving, the entrypoint throwing ("job crashed"), and a part of the job
 *   failing (`fail`, e.g. the console's audio input); a job not started yet takes requests and
 *   failures too. The first one wins: once shutting down, later triggers are ignored, except that
 *   a crash or a failure is still recorded as a problem.
 * - Shutting down runs bounded phases (machines/bounded_phase.ts) in order: the job's AbortSignal
 *   fires on entry; the entrypoint (and participant entrypoints) are awaited up to
 *   `entrypointGrace`, then cancelled; the primary session is drained and closed (its active
 *   agent's onExit runs there), bounded by `sessionCloseTimeout`; the shutdown callbacks run
 *   concurrently, bounded together by `shutdownProcessTimeout`; the room is disconnected, bounded
 *   by `roomDisconnectTimeout`.
 * - `done` outputs the reason, and status `failed` with the first error when the entrypoint threw,
 *   a part of the job failed, a phase failed or ran out of time, or a shutdown callback failed;
 *   otherwise `success`.
 */
import { assign, emit, enqueueActions, fromPromise, setup, spawnChild, stopChild, type ErrorActorEvent } from 'xstate';
import { boundedPhase } from './bounded_phase.js';

export type JobStatus = 'success' | 'failed';
export type ShutdownSource = 'user' | 'room' | 'worker' | 'participants' | 'crash' | 'failure';

/** Why a job shuts down when no standard or SIP participant is left in its room. */
export const ALL_PARTICIPANTS_LEFT = 'all participants left';

/** One word for where a job is, as `job.state`, `ctx.state` and the `state_changed` events say. */
export type JobState =
  | 'pending'
  | 'connecting'
  | 'running'
  | 'shuttingDown.awaitingEntrypoint'
  | 'shuttingDown.closingSession'
  | 'shuttingDown.runningCallbacks'
  | 'shuttingDown.disconnectingRoom'
  | 'done';
export type JobPhase = 'entrypoint' | 'session' | 'callbacks' | 'room';

export interface JobMachineInput {
  jobId: string;
  entrypointGrace: number;
  sessionCloseTimeout: number;
  shutdownProcessTimeout: number;
  roomDisconnectTimeout: number;
  /** Warn when the room is still not connected this long after start (ms). */
  connectWarningDelay: number;
}

/** What bounds each shutdown phase: a delay of the job machine, and a field of its input. */
const PHASE_BOUNDS = {
  entrypoint: 'entrypointGrace',
  session: 'sessionCloseTimeout',
  callbacks: 'shutdownProcessTimeout',
  room: 'roomDisconnectTimeout',
} as const satisfies Record<JobPhase, keyof JobMachineInput>;

/** A problem met while the job ran or shut down; the implementation wraps it in a typed error. */
export type JobProblem =
  | { kind: 'crash'; error: unknown }
  /** A part of the job failed while it ran (the `fail` event). */
  | { kind: 'failure'; error: unknown }
  | { kind: 'failed'; phase: JobPhase; error: unknown }
  | { kind: 'timeout'; phase: JobPhase; timeoutMs: number };

export interface JobMachineContext extends JobMachineInput {
  reason: string | undefined;
  source: ShutdownSource | undefined;
  problems: JobProblem[];
}

export type JobMachineEvent =
  | { type: 'start' }
  | { type: 'room.connected' }
  /** A standard or SIP participant is in the room (one joined, or was there at the connection). */
  | { type: 'participants.present' }
  /** No standard or SIP participant is left in the room. */
  | { type: 'participants.gone' }
  | { type: 'shutdown'; reason: string; source: ShutdownSource }
  /** A part of the job failed: the job shuts down for `reason` and ends failed with `error`. */
  | { type: 'fail'; reason: string; error: unknown }
  /** A shutdown callback failed; recorded at once, so a later timeout cannot hide it. */
  | { type: 'callback.failed'; error: unknown }
  | ErrorActorEvent;

export type JobMachineEmitted =
  | { type: 'shutdown_started'; reason: string; source: ShutdownSource }
  | { type: 'problem'; problem: JobProblem }
  | { type: 'connect_overdue'; afterMs: number };

export interface JobMachineOutput {
  reason: string;
  status: JobStatus;
  problems: JobProblem[];
}

export const jobMachine = setup({
  types: {
    input: {} as JobMachineInput,
    context: {} as JobMachineContext,
    events: {} as JobMachineEvent,
    emitted: {} as JobMachineEmitted,
    output: {} as JobMachineOutput,
  },
  actors: {
    // src/job provides these; here each one finishes at once. Joining user code, closing the
    // session and running the callbacks never fail (they settle and report what failed inside);
    // leaving the room can.
    entrypoint: fromPromise<void>(async () => {}),
    joinEntrypoints: fromPromise<void>(async () => {}),
    closeSession: fromPromise<void, { reason: string }>(async () => {}),
    runShutdownCallbacks: fromPromise<void, { reason: string }>(async () => {}),
    disconnectRoom: fromPromise<void>(async () => {}),
  },
  delays: {
    entrypointGrace: ({ context }) => context.entrypointGrace,
    sessionCloseTimeout: ({ context }) => context.sessionCloseTimeout,
    shutdownProcessTimeout: ({ context }) => context.shutdownProcessTimeout,
    roomDisconnectTimeout: ({ context }) => context.roomDisconnectTimeout,
    connectWarningDelay: ({ context }) => context.connectWarningDelay,
  },
  actions: {
    launchEntrypoint: spawnChild('entrypoint', { id: 'entrypoint' }),
    // Cancels the entrypoint actor (its AbortSignal fires); the job stops waiting for user code.
    cancelEntrypoints: stopChild('entrypoint'),
    recordShutdown: assign((_, params: { reason: string; source: ShutdownSource }) => params),
    announceShutdown: emit(({ context }) => ({
      type: 'shutdown_started' as const,
      reason: context.reason ?? 'unknown',
      source: context.source ?? 'user',
    })),
    // src/job provides it: aborts the job's AbortSignal.
    fireAbortSignal: () => {},
    recordProblem: enqueueActions<JobMachineContext, JobMachineEvent, JobProblem, JobMachineEvent, never, never, never, never, JobMachineEmitted>(({ context, enqueue }, problem) => {
      enqueue.assign({ problems: [...context.problems, problem] });
      enqueue.emit({ type: 'problem', problem });
    }),
    /** A shutdown phase did not finish within its bound. */
    recordTimeout: enqueueActions<JobMachineContext, JobMachineEvent, { phase: JobPhase }, JobMachineEvent, never, { type: 'recordProblem'; params: JobProblem }, never, never, JobMachineEmitted>(
      ({ context, enqueue }, { phase }) => enqueue({ type: 'recordProblem', params: { kind: 'timeout', phase, timeoutMs: context[PHASE_BOUNDS[phase]] } }),
    ),
    warnConnectOverdue: emit(({ context }) => ({ type: 'connect_overdue' as const, afterMs: context.connectWarningDelay })),
  },
}).createMachine({
  id: 'job',
  context: ({ input }) => ({ ...input, reason: undefined, source: undefined, problems: [] }),
  initial: 'pending',
  states: {
    pending: {
      on: {
        start: { target: 'started', actions: 'launchEntrypoint' },
        shutdown: shuttingDown(),
        fail: failing(),
      },
    },
    // Every trigger but the last participant leaving holds from the start to the shutdown.
    started: {
      initial: 'connecting',
      on: {
        shutdown: shuttingDown(),
        fail: failing(),
        'xstate.error.actor.entrypoint': {
          target: 'shuttingDown',
          actions: [
            { type: 'recordShutdown', params: { reason: 'job crashed', source: 'crash' } },
            { type: 'recordProblem', params: ({ event }) => ({ kind: 'crash', error: event.error }) },
          ],
        },
      },
      states: {
        connecting: {
          after: { connectWarningDelay: { actions: 'warnConnectOverdue' } },
          on: { 'room.connected': 'running' },
        },
        running: {
          initial: 'awaitingParticipant',
          states: {
            awaitingParticipant: {
              on: { 'participants.present': 'attended' },
            },
            attended: {
              on: {
                'participants.gone': {
                  target: '#job.shuttingDown',
                  actions: { type: 'recordShutdown', params: { reason: ALL_PARTICIPANTS_LEFT, source: 'participants' } },
                },
              },
            },
          },
        },
      },
    },
    shuttingDown: {
      entry: ['fireAbortSignal', 'announceShutdown'],
      initial: 'awaitingEntrypoint',
      on: {
        // A late crash of user code, or a late failure, is still worth reporting; it does not change the reason.
        'xstate.error.actor.entrypoint': {
          actions: { type: 'recordProblem', params: ({ event }) => ({ kind: 'crash', error: event.error }) },
        },
        fail: { actions: { type: 'recordProblem', params: ({ event }) => ({ kind: 'failure', error: event.error }) } },
      },
      states: {
        awaitingEntrypoint: {
          invoke: { id: 'joinEntrypoints', src: 'joinEntrypoints', onDone: 'closingSession' },
          ...shutdownPhase('entrypoint', 'closingSession', 'cancelEntrypoints'),
        },
        closingSession: {
          invoke: { id: 'closeSession', src: 'closeSession', input: ({ context }) => ({ reason: context.reason ?? 'unknown' }), onDone: 'runningCallbacks' },
          ...shutdownPhase('session', 'runningCallbacks'),
        },
        runningCallbacks: {
          invoke: {
            id: 'runShutdownCallbacks',
            src: 'runShutdownCallbacks',
            input: ({ context }) => ({ reason: context.reason ?? 'unknown' }),
            onDone: 'disconnectingRoom',
          },
          on: {
            'callback.failed': {
              actions: { type: 'recordProblem', params: ({ event }) => ({ kind: 'failed', phase: 'callbacks', error: event.error }) },
            },
          },
          ...shutdownPhase('callbacks', 'disconnectingRoom'),
        },
        disconnectingRoom: {
          invoke: {
            id: 'disconnectRoom',
            src: 'disconnectRoom',
            onDone: '#job.done',
            onError: {
              target: '#job.done',
              actions: { type: 'recordProblem', params: ({ event }) => ({ kind: 'failed', phase: 'room', error: event.error }) },
            },
          },
          ...shutdownPhase('room', '#job.done'),
        },
      },
    },
    done: { type: 'final' },
  },
  output: ({ context }) => ({
    reason: context.reason ?? 'unknown',
    status: context.problems.length > 0 ? 'failed' : 'success',
    problems: context.problems,
  }),
});

/**
 * Shutdown phase `phase`, held to its bound: past it, the timeout is recorded as a problem (after
 * `cutShort`, what stopping the phase early takes) and the shutdown moves on to `next`.
 */
function shutdownPhase<const TNext extends string>(phase: JobPhase, next: TNext, cutShort?: 'cancelEntrypoints') {
  const recordTimeout = { type: 'recordTimeout', params: { phase } } as const;
  return boundedPhase(PHASE_BOUNDS[phase], { target: next, actions: cutShort ? [cutShort, recordTimeout] : [recordTimeout] });
}

/** A shutdown request: the job shuts down for its reason, on behalf of its source. */
function shuttingDown() {
  return {
    target: '#job.shuttingDown',
    actions: { type: 'recordShutdown', params: ({ event }: { event: { reason: string; source: ShutdownSource } }) => ({ reason: event.reason, source: event.source }) },
  } as const;
}

/** A part of the job failed: shut down for its reason, with the failure recorded as a problem. */
function failing() {
  return {
    target: '#job.shuttingDown',
    actions: [
      { type: 'recordShutdown', params: ({ event }: { event: { reason: string } }) => ({ reason: event.reason, source: 'failure' as const }) },
      { type: 'recordProblem', params: ({ event }: { event: { error: unknown } }) => ({ kind: 'failure' as const, error: event.error }) },
    ],
  } as const;
}
