/**
 * The life of one supervised job process (or worker thread), as its parent sees it.
 *
 * spawning → initializing → ready (idle → starting → running → exiting) → exited | killed.
 *
 * - `initializing`: the child imports the agent module and runs its setupFnc (prewarm); it must
 *   answer within `initializeProcessTimeout`, else it is killed. A setup that fails makes the child
 *   exit by itself.
 * - `ready`: the child is pinged every `pingInterval` and answers with its memory use; with no pong
 *   for `pingTimeout` it is `unresponsive` (its event loop is blocked) and killed. Over
 *   `memoryLimitMb` it is killed, over `memoryWarnMb` a warning is emitted (again only after 50 MB
 *   more). Both timers are the machine's delays, so they run on the actor's clock.
 * - One job per process: `launch` → `starting` until the entrypoint runs → `running`.
 * - `exiting` holds whoever started the shutdown (the parent's `shutdown`, or the job itself:
 *   ctx.shutdown, the room closing, a crash): while the job winds down its entrypoint and session
 *   (`winding`) the child gets `shutdownBudget` (entrypoint grace + session close + shutdown
 *   timeout); once its shutdown callbacks run (`closing`) it gets `shutdownProcessTimeout` to finish
 *   and exit. Past either, it is killed.
 * - `killing`: the kill (SIGKILL, or terminating the thread) is sent and the parent keeps watching
 *   until the process has exited. Whatever the state, the process exiting ends the machine.
 */
import { assign, cancel, emit, enqueueActions, raise, setup } from 'xstate';

export type JobProcessState =
  | 'spawning'
  | 'initializing'
  | 'idle'
  | 'starting'
  | 'running'
  | 'exiting.winding'
  | 'exiting.closing'
  | 'killing'
  | 'exited'
  | 'killed';

/** Why the parent killed a process. */
export type KillReason = 'initialize timeout' | 'unresponsive' | 'memory limit' | 'shutdown timeout' | 'closed';

/** What the child reported when its job ended. */
export interface ReportedJobEnd {
  status: 'success' | 'failed';
  reason: string;
  error: string | undefined;
}

export interface JobProcessMachineInput {
  initializeProcessTimeout: number;
  /** Bound of the whole shutdown while the job winds down its entrypoint and session. */
  shutdownBudget: number;
  /** Bound of the rest of the shutdown once the job's shutdown callbacks run. */
  shutdownProcessTimeout: number;
  /** 0: never warn. */
  memoryWarnMb: number;
  /** 0: no limit. */
  memoryLimitMb: number;
  /** How often a ready child is pinged. */
  pingInterval: number;
  /** A child that has not answered a ping for this long is unresponsive. */
  pingTimeout: number;
}

export interface JobProcessMachineContext extends JobProcessMachineInput {
  state: JobProcessState;
  killReason: KillReason | undefined;
  /** Why the job or process is shutting down, when known. */
  shutdownReason: string | undefined;
  initializeError: string | undefined;
  jobEnd: ReportedJobEnd | undefined;
  exit: { code: number | null; signal: string | null } | undefined;
  /** The memory use of the last warning, in MB. */
  memoryWarnedAtMb: number | undefined;
  /** The last memory use reported, in MB. */
  memoryMb: number | undefined;
}

export type JobProcessMachineEvent =
  | { type: 'spawned' }
  | { type: 'initialized' }
  | { type: 'initialize.failed'; error: string }
  | { type: 'launch' }
  | { type: 'job.started' }
  /** The job began to shut down (whoever started it). */
  | { type: 'job.shuttingDown'; reason: string }
  /** The job is past its entrypoint and session: its shutdown callbacks run. */
  | { type: 'job.closing' }
  | ({ type: 'job.ended' } & ReportedJobEnd)
  /** The parent asks the job (or the idle process) to shut down. */
  | { type: 'shutdown'; reason: string }
  /** The child answered a ping, reporting its memory use. */
  | { type: 'pong'; usedMb: number }
  /** Raised by the machine: the next ping is due. */
  | { type: 'ping.due' }
  /** Raised by the machine: no pong for pingTimeout. */
  | { type: 'unresponsive' }
  | { type: 'exited'; code: number | null; signal: string | null };

export type JobProcessMachineEmitted =
  | { type: 'process_state_changed'; oldState: JobProcessState; newState: JobProcessState }
  | { type: 'memory_warning'; usedMb: number; warnMb: number }
  | { type: 'killing'; reason: KillReason; memoryMb: number | undefined };

export interface JobProcessMachineOutput {
  outcome: 'exited' | 'killed';
  killReason: KillReason | undefined;
  shutdownReason: string | undefined;
  initializeError: string | undefined;
  jobEnd: ReportedJobEnd | undefined;
  exit: { code: number | null; signal: string | null } | undefined;
  memoryMb: number | undefined;
}

/** Warn again only once the process has grown this much more. */
const WARN_GROWTH_MB = 50;

export const jobProcessMachine = setup({
  types: {
    input: {} as JobProcessMachineInput,
    context: {} as JobProcessMachineContext,
    events: {} as JobProcessMachineEvent,
    emitted: {} as JobProcessMachineEmitted,
    output: {} as JobProcessMachineOutput,
  },
  delays: {
    pingInterval: ({ context }) => context.pingInterval,
    pingTimeout: ({ context }) => context.pingTimeout,
    initializeProcessTimeout: ({ context }) => context.initializeProcessTimeout,
    shutdownBudget: ({ context }) => context.shutdownBudget,
    shutdownProcessTimeout: ({ context }) => context.shutdownProcessTimeout,
  },
  guards: {
    overMemoryLimit: ({ context, event }) => event.type === 'pong' && context.memoryLimitMb > 0 && event.usedMb > context.memoryLimitMb,
    overMemoryWarning: ({ context, event }) =>
      event.type === 'pong' &&
      context.memoryWarnMb > 0 &&
      event.usedMb > context.memoryWarnMb &&
      (context.memoryWarnedAtMb === undefined || event.usedMb >= context.memoryWarnedAtMb + WARN_GROWTH_MB),
  },
  actions: {
    enterState: emit(({ context }, params: { state: JobProcessState }) => ({
      type: 'process_state_changed' as const,
      oldState: context.state,
      newState: params.state,
    })),
    trackState: assign((_, params: { state: JobProcessState }) => ({ state: params.state })),
    // src/ipc provides the I/O ones.
    sendInitialize: () => {},
    sendStartJob: () => {},
    sendShutdown: () => {},
    sendPing: () => {},
    kill: () => {},
    schedulePing: raise({ type: 'ping.due' }, { delay: 'pingInterval', id: 'ping' }),
    stopPinging: cancel('ping'),
    // Restarted by every pong: the deadline is pingTimeout after the last sign of life.
    awaitPong: raise({ type: 'unresponsive' }, { delay: 'pingTimeout', id: 'pongDeadline' }),
    stopAwaitingPong: cancel('pongDeadline'),
    recordMemory: assign(({ event }) => (event.type === 'pong' ? { memoryMb: event.usedMb } : {})),
    warnMemory: enqueueActions<
      JobProcessMachineContext,
      JobProcessMachineEvent,
      undefined,
      JobProcessMachineEvent,
      never,
      never,
      never,
      never,
      JobProcessMachineEmitted
    >(({ context, event, enqueue }) => {
      if (event.type !== 'pong') return;
      enqueue.assign({ memoryWarnedAtMb: event.usedMb });
      enqueue.emit({ type: 'memory_warning', usedMb: event.usedMb, warnMb: context.memoryWarnMb });
    }),
    recordKill: assign((_, params: { reason: KillReason }) => ({ killReason: params.reason })),
    announceKill: emit(({ context }) => ({ type: 'killing' as const, reason: context.killReason ?? 'closed', memoryMb: context.memoryMb })),
    recordShutdown: assign(({ context, event }) =>
      (event.type === 'shutdown' || event.type === 'job.shuttingDown') && context.shutdownReason === undefined ? { shutdownReason: event.reason } : {},
    ),
    recordInitializeError: assign(({ event }) => (event.type === 'initialize.failed' ? { initializeError: event.error } : {})),
    recordJobEnd: assign(({ event }) =>
      event.type === 'job.ended' ? { jobEnd: { status: event.status, reason: event.reason, error: event.error } } : {},
    ),
    recordExit: assign(({ event }) => (event.type === 'exited' ? { exit: { code: event.code, signal: event.signal } } : {})),
  },
}).createMachine({
  id: 'jobProcess',
  context: ({ input }) => ({
    ...input,
    state: 'spawning',
    killReason: undefined,
    shutdownReason: undefined,
    initializeError: undefined,
    jobEnd: undefined,
    exit: undefined,
    memoryWarnedAtMb: undefined,
    memoryMb: undefined,
  }),
  initial: 'spawning',
  // However it happens, the process is gone: nothing more can be done with it.
  on: { exited: { target: '.exited', actions: 'recordExit' } },
  states: {
    spawning: {
      on: {
        spawned: 'initializing',
        shutdown: { target: 'killing', actions: ['recordShutdown', { type: 'recordKill', params: { reason: 'closed' } }] },
      },
    },
    initializing: {
      entry: [...stateEntry('initializing').entry, 'sendInitialize'],
      after: {
        initializeProcessTimeout: { target: 'killing', actions: { type: 'recordKill', params: { reason: 'initialize timeout' } } },
      },
      on: {
        initialized: 'ready',
        // The child exits by itself after a failed setup; it gets the shutdown bounds to do so.
        'initialize.failed': { target: 'ready.exiting.closing', actions: 'recordInitializeError' },
        shutdown: { target: 'killing', actions: ['recordShutdown', { type: 'recordKill', params: { reason: 'closed' } }] },
      },
    },
    ready: {
      entry: ['schedulePing', 'awaitPong'],
      exit: ['stopPinging', 'stopAwaitingPong'],
      initial: 'idle',
      on: {
        'ping.due': { actions: ['sendPing', 'schedulePing'] },
        unresponsive: { target: 'killing', actions: { type: 'recordKill', params: { reason: 'unresponsive' } } },
        pong: [
          { guard: 'overMemoryLimit', target: 'killing', actions: ['recordMemory', { type: 'recordKill', params: { reason: 'memory limit' } }] },
          { guard: 'overMemoryWarning', actions: ['recordMemory', 'warnMemory', 'stopAwaitingPong', 'awaitPong'] },
          { actions: ['recordMemory', 'stopAwaitingPong', 'awaitPong'] },
        ],
      },
      states: {
        idle: {
          ...stateEntry('idle'),
          on: {
            launch: { target: 'starting', actions: 'sendStartJob' },
            shutdown: { target: 'exiting.closing', actions: ['recordShutdown', 'sendShutdown'] },
          },
        },
        starting: {
          ...stateEntry('starting'),
          on: {
            'job.started': 'running',
            shutdown: { target: 'exiting.winding', actions: ['recordShutdown', 'sendShutdown'] },
            // The job could not start (the child reports why, then exits).
            'job.ended': { target: 'exiting.closing', actions: 'recordJobEnd' },
          },
        },
        running: {
          ...stateEntry('running'),
          on: {
            shutdown: { target: 'exiting.winding', actions: ['recordShutdown', 'sendShutdown'] },
            'job.shuttingDown': { target: 'exiting.winding', actions: 'recordShutdown' },
          },
        },
        exiting: {
          initial: 'winding',
          states: {
            winding: {
              ...stateEntry('exiting.winding'),
              after: {
                shutdownBudget: { target: '#jobProcess.killing', actions: { type: 'recordKill', params: { reason: 'shutdown timeout' } } },
              },
              on: { 'job.closing': 'closing' },
            },
            closing: {
              ...stateEntry('exiting.closing'),
              after: {
                shutdownProcessTimeout: {
                  target: '#jobProcess.killing',
                  actions: { type: 'recordKill', params: { reason: 'shutdown timeout' } },
                },
              },
              on: { 'job.ended': { actions: 'recordJobEnd' } },
            },
          },
        },
      },
    },
    killing: {
      entry: [...stateEntry('killing').entry, 'announceKill', 'kill'],
      on: { exited: { target: 'killed', actions: 'recordExit' } },
    },
    exited: { type: 'final', ...stateEntry('exited') },
    killed: { type: 'final', ...stateEntry('killed') },
  },
  output: ({ context }) => ({
    outcome: context.state === 'killed' ? 'killed' : 'exited',
    killReason: context.killReason,
    shutdownReason: context.shutdownReason,
    initializeError: context.initializeError,
    jobEnd: context.jobEnd,
    exit: context.exit,
    memoryMb: context.memoryMb,
  }),
});

/** Entry actions every observable process state shares: announce the change, then remember it. */
function stateEntry(state: JobProcessState) {
  return {
    entry: [
      { type: 'enterState', params: { state } },
      { type: 'trackState', params: { state } },
    ],
  } as const;
}
