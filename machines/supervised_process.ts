/**
 * The life of one supervised job process (or worker thread), as its parent sees it
 * (src/ipc/supervised_process.ts). Not to be confused with JobProcess, what a job is told of the
 * process it runs in (`ctx.proc`, its userData).
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
import { boundedPhase } from './bounded_phase.js';

/** One word for where a supervised process is, as its `state` and `state_changed` events say. */
export type SupervisedProcessState =
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

export interface SupervisedProcessMachineInput {
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

export interface SupervisedProcessMachineContext extends SupervisedProcessMachineInput {
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

export type SupervisedProcessMachineEvent =
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

export type SupervisedProcessMachineEmitted =
  | { type: 'memory_warning'; usedMb: number; warnMb: number }
  | { type: 'killing'; reason: KillReason; memoryMb: number | undefined };

export interface SupervisedProcessMachineOutput {
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

export const supervisedProcessMachine = setup({
  types: {
    input: {} as SupervisedProcessMachineInput,
    context: {} as SupervisedProcessMachineContext,
    events: {} as SupervisedProcessMachineEvent,
    emitted: {} as SupervisedProcessMachineEmitted,
    output: {} as SupervisedProcessMachineOutput,
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
      SupervisedProcessMachineContext,
      SupervisedProcessMachineEvent,
      undefined,
      SupervisedProcessMachineEvent,
      never,
      never,
      never,
      never,
      SupervisedProcessMachineEmitted
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
  id: 'supervisedProcess',
  context: ({ input }) => ({
    ...input,
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
      entry: 'sendInitialize',
      ...boundedPhase('initializeProcessTimeout', killFor('initialize timeout')),
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
        unresponsive: killFor('unresponsive'),
        pong: [
          { guard: 'overMemoryLimit', target: 'killing', actions: ['recordMemory', { type: 'recordKill', params: { reason: 'memory limit' } }] },
          { guard: 'overMemoryWarning', actions: ['recordMemory', 'warnMemory', 'stopAwaitingPong', 'awaitPong'] },
          { actions: ['recordMemory', 'stopAwaitingPong', 'awaitPong'] },
        ],
      },
      states: {
        idle: {
          on: {
            launch: { target: 'starting', actions: 'sendStartJob' },
            shutdown: { target: 'exiting.closing', actions: ['recordShutdown', 'sendShutdown'] },
          },
        },
        starting: {
          on: {
            'job.started': 'running',
            shutdown: { target: 'exiting.winding', actions: ['recordShutdown', 'sendShutdown'] },
            // The job could not start (the child reports why, then exits).
            'job.ended': { target: 'exiting.closing', actions: 'recordJobEnd' },
          },
        },
        running: {
          on: {
            shutdown: { target: 'exiting.winding', actions: ['recordShutdown', 'sendShutdown'] },
            'job.shuttingDown': { target: 'exiting.winding', actions: 'recordShutdown' },
          },
        },
        exiting: {
          initial: 'winding',
          states: {
            winding: {
              on: { 'job.closing': 'closing' },
              ...boundedPhase('shutdownBudget', killFor('shutdown timeout')),
            },
            closing: {
              on: { 'job.ended': { actions: 'recordJobEnd' } },
              ...boundedPhase('shutdownProcessTimeout', killFor('shutdown timeout')),
            },
          },
        },
      },
    },
    killing: {
      entry: ['announceKill', 'kill'],
      on: { exited: { target: 'killed', actions: 'recordExit' } },
    },
    exited: { type: 'final', output: { outcome: 'exited' } },
    killed: { type: 'final', output: { outcome: 'killed' } },
  },
  // `event` is the final state's: its output says which one was reached.
  output: ({ context, event }) => ({
    outcome: (event.output as Pick<SupervisedProcessMachineOutput, 'outcome'>).outcome,
    killReason: context.killReason,
    shutdownReason: context.shutdownReason,
    initializeError: context.initializeError,
    jobEnd: context.jobEnd,
    exit: context.exit,
    memoryMb: context.memoryMb,
  }),
});

/** The process is killed for `reason`: the kill is sent, and the parent watches it go. */
function killFor(reason: KillReason) {
  return { target: '#supervisedProcess.killing', actions: { type: 'recordKill', params: { reason } } } as const;
}
