/**
 * Job: runs one entrypoint under the shutdown contract of machines/job.ts, providing its phases:
 * the entrypoint itself, joining user code, closing the primary session, the shutdown callbacks
 * and leaving the room. It tells the machine who is in the room (machines/job.ts: the job runs
 * until no standard or SIP participant is left).
 */
import { toPromise, type Actor, type SnapshotFrom } from 'xstate';
import { fromTask } from '../actors/from_task.js';
import {
  jobMachine,
  type JobMachineEvent,
  type JobMachineOutput,
  type JobProblem,
  type JobState,
  type JobStatus,
  type ShutdownSource,
} from '../../machines/job.js';
import { hostOf, startActor, type Clock } from '../actors/start_actor.js';
import { onStateChange } from '../actors/state_changes.js';
import {
  EntrypointError,
  ShutdownCallbackError,
  ShutdownPhaseError,
  TimeoutError,
  VoxstateError,
  describe,
} from '../errors.js';
import { log, rootLogger, type Logger } from '../log/logger.js';
import type { Room } from '../room/room.js';
import { attends, isAttended } from './attendance.js';
import { JobContext, type JobControl } from './job_context.js';
import type { JobInfo } from './job_info.js';
import type { JobProcess } from './job_process.js';
import { traceJob } from '../telemetry/job_tracing.js';
import { Timeline } from '../report/timeline.js';

export type Entrypoint<UserData extends Record<string, unknown> = Record<string, unknown>> = (
  ctx: JobContext<UserData>,
) => unknown;

/** The bounds of the shutdown contract, in ms. */
export interface JobTimeouts {
  /** How long a shutdown waits for the entrypoint (and participant entrypoints) before cancelling them. */
  entrypointGrace: number;
  /** Upper bound for draining and closing the primary session (its agent's onExit included). */
  sessionCloseTimeout: number;
  /** Upper bound for all shutdown callbacks together. */
  shutdownProcessTimeout: number;
  /** Upper bound for leaving the room. */
  roomDisconnectTimeout: number;
  /** Warn when the room is not connected this long after the job started. */
  connectWarningDelay: number;
}

export const DEFAULT_JOB_TIMEOUTS: JobTimeouts = {
  entrypointGrace: 15_000,
  sessionCloseTimeout: 60_000,
  shutdownProcessTimeout: 10_000,
  roomDisconnectTimeout: 5_000,
  connectWarningDelay: 10_000,
};

export interface JobResult {
  jobId: string;
  reason: string;
  status: JobStatus;
  /** The first thing that went wrong, when status is failed. */
  error: VoxstateError | undefined;
  /** Everything that went wrong, in order. */
  errors: VoxstateError[];
}

/** Thrown as the reason of the job's AbortSignal. */
export class JobShutdownError extends VoxstateError {
  constructor(readonly reason: string) {
    super('job_shutdown', `the job is shutting down: ${reason}`);
  }
}

/** Runs once the job's session has closed (see AgentServer.rtcSession). */
export type SessionEndCallback<UserData extends Record<string, unknown> = Record<string, unknown>> = (ctx: JobContext<UserData>) => void | Promise<void>;

export interface JobInit<UserData extends Record<string, unknown>> {
  info: JobInfo;
  room: Room;
  proc: JobProcess<UserData>;
  entrypoint: Entrypoint<UserData>;
  onSessionEnd?: SessionEndCallback<UserData>;
  timeouts?: Partial<JobTimeouts>;
  logger?: Logger;
  clock?: Clock;
}

export class Job<UserData extends Record<string, unknown> = Record<string, unknown>> {
  static readonly #machine = jobMachine.provide({
    actors: {
      entrypoint: fromTask(async ({ system }) => {
        const job = hostOf<Job>(system);
        await job.ctx._track(job.ctx.runAsJob(async () => job.#entrypoint(job.ctx)));
      }),
      joinEntrypoints: fromTask(async ({ system }) => {
        await Promise.allSettled(hostOf<Job>(system).ctx._userTasks);
      }),
      closeSession: fromTask(async ({ system }) => {
        const job = hostOf<Job>(system);
        const session = job.ctx.primarySession;
        if (session === undefined) return;
        if (session.state !== 'closed') {
          session.shutdown({ drain: true, reason: 'job_shutdown' });
          await session.closed();
        }
        // Closed; aclose() resolves once what closing writes (a recording) is written too.
        await session.aclose();
        if (job.#onSessionEnd) await job.ctx.runAsJob(async () => job.#onSessionEnd!(job.ctx));
      }),
      runShutdownCallbacks: fromTask(({ input, system }) => hostOf<Job>(system).#runCallbacks(input.reason)),
      disconnectRoom: fromTask(({ system }) => hostOf<Job>(system).#room.disconnect()),
    },
    actions: {
      fireAbortSignal: ({ context, system }) => hostOf<Job>(system).#abort.abort(new JobShutdownError(context.reason ?? 'unknown')),
    },
  });

  readonly ctx: JobContext<UserData>;
  readonly actor: Actor<typeof jobMachine>;
  readonly result: Promise<JobResult>;
  readonly #abort = new AbortController();
  readonly #pendingCallbacks = new Set<string>();
  readonly #entrypoint: Entrypoint<UserData>;
  readonly #onSessionEnd: SessionEndCallback<UserData> | undefined;
  readonly #room: Room;
  /** The job's transitions, for its session's report. */
  readonly #timeline = new Timeline();

  constructor(init: JobInit<UserData>) {
    const timeouts = { ...DEFAULT_JOB_TIMEOUTS, ...init.timeouts };
    const room = init.room;
    const control: JobControl = {
      signal: this.#abort.signal,
      state: () => this.state,
      connected: () => {
        this.#send({ type: 'room.connected' });
        // Who is there counts from the connection on; a room nobody has joined yet waits for someone.
        if (isAttended(room)) this.#send({ type: 'participants.present' });
      },
      requestShutdown: (reason, source) => this.requestShutdown(reason, source),
      report: (error, source) => this.#report(error, source),
      timeline: this.#timeline,
    };
    this.ctx = new JobContext({ room, job: init.info, proc: init.proc, control, logger: init.logger ?? rootLogger() });
    const ctx = this.ctx;
    this.#entrypoint = init.entrypoint;
    this.#onSessionEnd = init.onSessionEnd;
    this.#room = init.room;
    this.actor = startActor(Job.#machine, {
      name: `job ${init.info.id}`,
      host: this,
      input: { jobId: init.info.id, ...timeouts },
      onError: (error) => this.#report(error instanceof VoxstateError ? error : new VoxstateError('job_failed', describe(error), { cause: error }), 'job'),
      ...(init.clock ? { clock: init.clock } : {}),
    });
    this.#timeline.watch(this.actor, 'job');
    onStateChange(this.actor, jobStateOf, (from, to) => {
      ctx.logger.debug({ from, to }, 'job state changed');
      ctx.emit('state_changed', { oldState: from, newState: to });
    });
    this.actor.on('*', (event) => {
      switch (event.type) {
        case 'shutdown_started':
          ctx.logger.info({ reason: event.reason, source: event.source }, 'job shutting down');
          ctx.emit('shutdown', { reason: event.reason, source: event.source });
          return;
        case 'problem':
          this.#report(this.#toError(event.problem), 'job');
          return;
        case 'connect_overdue':
          ctx.logger.warn(
            `the room was not connected within ${event.afterMs} ms of the job starting: call ctx.connect() or start an AgentSession with ctx.room`,
          );
          return;
      }
    });
    room.on('disconnected', () => this.requestShutdown('room disconnected', 'room'));
    room.on('participantConnected', (participant) => {
      if (attends(participant)) this.#send({ type: 'participants.present' });
    });
    room.on('participantDisconnected', (participant) => {
      if (attends(participant) && !isAttended(room)) this.#send({ type: 'participants.gone' });
    });
    this.result = toPromise(this.actor).then(
      (output) => this.#result(output),
      (error: unknown) => {
        const failure = new VoxstateError('job_failed', describe(error), { cause: error });
        return { jobId: init.info.id, reason: 'job failed', status: 'failed' as const, error: failure, errors: [failure] };
      },
    );
    traceJob(this);
  }

  /** Where the job is in its lifecycle. */
  get state(): JobState {
    return jobStateOf(this.actor.getSnapshot());
  }

  /** Runs the entrypoint. */
  start(): this {
    this.#send({ type: 'start' });
    return this;
  }

  /** Asks the job to shut down (the worker's request by default). The first reason wins. */
  requestShutdown(reason: string, source: ShutdownSource = 'worker'): void {
    this.#send({ type: 'shutdown', reason, source });
  }

  /**
   * A part of the job failed (e.g. the console's audio input): the job shuts down for `reason`
   * (unless it already is) and ends failed, with `error` among its errors.
   */
  fail(error: VoxstateError, reason = error.message): void {
    this.#send({ type: 'fail', reason, error });
  }

  /**
   * Every event reaches the machine inside the job's scope, whoever sends it (the worker, the
   * room, a terminal): what the transition starts — closing the session, its agents' onExit, the
   * shutdown callbacks, the timers — runs as code of the job and logs with its fields.
   */
  #send(event: JobMachineEvent): void {
    this.ctx.runAsJob(() => this.actor.send(event));
  }

  /** Runs every callback at once; each failure is recorded as it happens, none stops the others. */
  async #runCallbacks(reason: string): Promise<void> {
    await Promise.all(
      this.ctx._shutdownCallbacks.map(async (callback, index) => {
        const name = `#${index + 1}${callback.name ? ` (${callback.name})` : ''}`;
        this.#pendingCallbacks.add(name);
        try {
          await this.ctx.runAsJob(async () => callback(reason));
        } catch (error) {
          this.#send({ type: 'callback.failed', error: new ShutdownCallbackError(name, error) });
        } finally {
          this.#pendingCallbacks.delete(name);
        }
      }),
    );
  }

  #toError(problem: JobProblem): VoxstateError {
    switch (problem.kind) {
      case 'crash':
        return new EntrypointError(this.ctx.job.id, problem.error);
      case 'failure':
        return problem.error instanceof VoxstateError ? problem.error : new VoxstateError('job_failed', describe(problem.error), { cause: problem.error });
      case 'failed':
        return problem.error instanceof VoxstateError ? problem.error : new ShutdownPhaseError(problem.phase, problem.error);
      case 'timeout': {
        const error = new TimeoutError(`the job's ${PHASE_NAMES[problem.phase]}`, problem.timeoutMs);
        if (problem.phase === 'callbacks' && this.#pendingCallbacks.size > 0) {
          error.message += `; still running: shutdown callback ${[...this.#pendingCallbacks].join(', ')}`;
        }
        return error;
      }
    }
  }

  #report(error: VoxstateError, source: string): void {
    (this.ctx?.logger ?? log()).error({ err: error, source }, error.message);
    this.ctx?.emit('error', { type: 'error', error, source });
  }

  #result(output: JobMachineOutput): JobResult {
    const errors = output.problems.map((problem) => this.#toError(problem));
    return { jobId: this.ctx.job.id, reason: output.reason, status: output.status, error: errors[0], errors };
  }
}

/** The one word for where a job is: its state, `connecting` or `running` once started, or its shutdown phase. */
function jobStateOf(snapshot: SnapshotFrom<typeof jobMachine>): JobState {
  const { value } = snapshot;
  if (typeof value === 'string') return value;
  if ('started' in value) return typeof value.started === 'string' ? value.started : 'running';
  return `shuttingDown.${value.shuttingDown}`;
}

const PHASE_NAMES = {
  entrypoint: 'entrypoint (grace period)',
  session: 'session close',
  callbacks: 'shutdown callbacks',
  room: 'room disconnect',
} as const;
