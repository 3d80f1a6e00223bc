/**
 * SupervisedProcess: one job process (or thread) as its parent supervises it, under
 * machines/supervised_process.ts. It starts the child, initializes it, runs one job in it, pings
 * it, watches its memory, holds its shutdown to the bounds and kills it past them, and reports how
 * the job ended as a JobEnd, whatever happened to the child.
 */
import { toPromise, type Actor, type SnapshotFrom } from 'xstate';
import {
  supervisedProcessMachine,
  type KillReason,
  type SupervisedProcessMachineOutput,
  type SupervisedProcessState,
} from '../../machines/supervised_process.js';
import { hostOf, startActor, type Clock } from '../actors/start_actor.js';
import { onStateChange } from '../actors/state_changes.js';
import { describe, VoxstateError } from '../errors.js';
import { EventEmitter } from '../events/emitter.js';
import { log, type Logger } from '../log/logger.js';
import type { ModuleEntry } from '../server/agent_module.js';
import type { JobEnd, JobHandle, RunningJobInfo } from '../worker/running_job.js';
import { parseChildMessage, type ChildMessage, type ParentMessage, type RoomKind } from './ipc_messages.js';
import type { JobChannel, OpenChannel } from './job_channel.js';

/** The bounds a supervised process is held to, in ms (sizes in MB). */
export interface SupervisionOptions {
  /** The agent module the child imports, and where its entrypoint is. */
  module: string;
  entry: ModuleEntry;
  room: RoomKind;
  initializeProcessTimeout: number;
  shutdownProcessTimeout: number;
  /** The job's entrypoint grace and session close bounds: the child may take them before its callbacks. */
  entrypointGrace: number;
  sessionCloseTimeout: number;
  memoryWarnMb: number;
  memoryLimitMb: number;
  /** How often the child is pinged. */
  pingInterval: number;
  /** A child that has not answered a ping for this long is unresponsive (its event loop is blocked) and killed. */
  pingTimeout: number;
  /** A pong slower than this is logged as a warning. */
  highPingThreshold: number;
}

/** A job could not be started in a process: it never got to run its entrypoint. */
export class JobStartError extends VoxstateError {
  constructor(jobId: string, problem: string) {
    super('job_start_failed', `job ${jobId} could not start: ${problem}`);
  }
}

/** A process (thread) could not be made ready for a job. */
export class ProcessStartError extends VoxstateError {
  constructor(problem: string) {
    super('process_start_failed', `the job process could not start: ${problem}`);
  }
}

export type SupervisedProcessEvents = {
  state_changed: (event: { oldState: SupervisedProcessState; newState: SupervisedProcessState }) => void;
  error: (error: VoxstateError) => void;
};

const KILLED: Record<KillReason, string> = {
  'initialize timeout': 'it did not initialize in time',
  unresponsive: 'it stopped answering pings (its event loop is blocked)',
  'memory limit': 'it used more memory than jobMemoryLimitMb',
  'shutdown timeout': 'its job did not shut down within shutdownProcessTimeout',
  closed: 'the executor closed',
};

export class SupervisedProcess extends EventEmitter<SupervisedProcessEvents> {
  static readonly #machine = supervisedProcessMachine.provide({
    actions: {
      sendInitialize: ({ system }) => {
        const host = hostOf<SupervisedProcess>(system);
        host.#send({
          type: 'initialize',
          module: host.#options.module,
          entry: host.#options.entry,
          room: host.#options.room,
          shutdownProcessTimeout: host.#options.shutdownProcessTimeout,
        });
      },
      sendStartJob: ({ system }) => {
        const host = hostOf<SupervisedProcess>(system);
        if (host.#info) host.#send({ type: 'startJob', info: host.#info });
      },
      sendShutdown: ({ context, system }) => hostOf<SupervisedProcess>(system).#send({ type: 'shutdown', reason: context.shutdownReason ?? 'shutdown' }),
      // The timestamp measures the child's latency (a log line), not the machine's timing.
      sendPing: ({ system }) => hostOf<SupervisedProcess>(system).#send({ type: 'ping', timestamp: Date.now() }),
      kill: ({ system }) => hostOf<SupervisedProcess>(system).#channel.kill(),
    },
  });

  readonly actor: Actor<typeof supervisedProcessMachine>;
  /** Resolves once the process is idle, ready for a job; rejects (ProcessStartError) if it never gets there. */
  readonly ready: Promise<void>;
  /** Resolves once the process is gone, with how it ended. */
  readonly exited: Promise<SupervisedProcessMachineOutput>;
  readonly #options: SupervisionOptions;
  readonly #channel: JobChannel;
  readonly #logger: Logger;
  #info: RunningJobInfo | undefined;
  /** What the child died of, as it said (an uncaught error) or its channel saw (a thread's fatal error). */
  #lastError: string | undefined;
  #slowPongWarned = false;

  constructor(open: OpenChannel, options: SupervisionOptions, init: { logger?: Logger; clock?: Clock } = {}) {
    super();
    this.#options = options;
    this.#channel = open({
      spawned: () => this.actor.send({ type: 'spawned' }),
      message: (raw) => this.#receive(raw),
      error: (error) => {
        this.#lastError ??= describe(error);
        this.#logger.warn({ err: error }, `job ${this.#channel?.kind ?? 'process'}: ${describe(error)}`);
      },
      // A process on its way out cannot take messages: routine for a ping, worth a line otherwise.
      undelivered: (message, error) =>
        this.#logger[message === 'ping' ? 'debug' : 'warn']({ err: error }, `could not send ${message} to the job ${this.#channel?.kind ?? 'process'}: ${describe(error)}`),
      exited: (code, signal) => this.actor.send({ type: 'exited', code, signal }),
    });
    this.#logger = (init.logger ?? log()).child({ [this.#channel.kind === 'thread' ? 'threadId' : 'pid']: this.#channel.id });
    this.actor = startActor(SupervisedProcess.#machine, {
      name: `job ${this.#channel.kind} ${this.#channel.id}`,
      host: this,
      input: {
        initializeProcessTimeout: options.initializeProcessTimeout,
        shutdownBudget: options.entrypointGrace + options.sessionCloseTimeout + options.shutdownProcessTimeout,
        shutdownProcessTimeout: options.shutdownProcessTimeout,
        memoryWarnMb: options.memoryWarnMb,
        memoryLimitMb: options.memoryLimitMb,
        pingInterval: options.pingInterval,
        pingTimeout: options.pingTimeout,
      },
      onError: (error) => this.#report(error instanceof VoxstateError ? error : new VoxstateError('job_process_failed', describe(error), { cause: error })),
      ...(init.clock ? { clock: init.clock } : {}),
    });
    onStateChange(this.actor, processStateOf, (from, to) => {
      this.#logger.debug({ from, to }, 'job process state changed');
      this.emit('state_changed', { oldState: from, newState: to });
    });
    this.actor.on('*', (event) => {
      switch (event.type) {
        case 'memory_warning':
          this.#logger.warn({ usedMb: Math.round(event.usedMb), warnMb: event.warnMb }, 'job process uses more memory than jobMemoryWarnMb');
          return;
        case 'killing':
          // Stopping a process nobody needs any more is routine; any other kill is a failure.
          this.#logger[event.reason === 'closed' ? 'debug' : 'error'](
            { reason: event.reason, ...(event.memoryMb === undefined ? {} : { usedMb: Math.round(event.memoryMb) }) },
            `killing the job ${this.#channel.kind}: ${KILLED[event.reason]}`,
          );
          return;
      }
    });
    this.exited = toPromise(this.actor);
    this.ready = new Promise<void>((resolve, reject) => {
      const check = () => {
        const state = this.state;
        if (state === 'idle') resolve();
        else if (state !== 'spawning' && state !== 'initializing') {
          const output = this.actor.getSnapshot().output;
          reject(new ProcessStartError(this.#whyNotReady(output)));
        } else return;
        this.off('state_changed', check);
      };
      this.on('state_changed', check);
    });
    // The pool may never wait on it (a process closed before use); its failure is in the logs.
    this.ready.catch(() => {});
  }

  /** Where the process is in its lifecycle. */
  get state(): SupervisedProcessState {
    return processStateOf(this.actor.getSnapshot());
  }

  get kind(): 'process' | 'thread' {
    return this.#channel.kind;
  }

  /** The process id (a thread's threadId). */
  get id(): number | undefined {
    return this.#channel.id;
  }

  /** The last memory use the child reported, in MB. */
  get memoryMb(): number | undefined {
    return this.actor.getSnapshot().context.memoryMb;
  }

  /**
   * Runs `info`'s job in this idle process; resolves once its entrypoint runs. Rejects with a
   * JobStartError if the job could not start (the process is then on its way out).
   */
  launch(info: RunningJobInfo): Promise<JobHandle> {
    if (this.state !== 'idle') return Promise.reject(new JobStartError(info.job.id, `the job process is ${this.state}, not idle`));
    this.#info = info;
    const ended = this.exited.then((output) => this.#jobEnd(output));
    const handle: JobHandle = { id: info.job.id, ended, shutdown: (reason) => this.shutdown(reason) };
    const started = new Promise<JobHandle>((resolve, reject) => {
      const check = () => {
        const state = this.state;
        if (state === 'starting') return;
        this.off('state_changed', check);
        if (state === 'running') resolve(handle);
        // Shut down while starting: the job exists, the shutdown contract runs; the handle tells the end.
        else if (state === 'exiting.winding' && this.actor.getSnapshot().context.jobEnd === undefined) resolve(handle);
        else void ended.then((end) => reject(new JobStartError(info.job.id, end.status === 'failed' ? end.error : end.reason)));
      };
      this.on('state_changed', check);
    });
    this.actor.send({ type: 'launch' });
    return started;
  }

  /**
   * Shuts the job (or the idle process) down with `reason`; past the bounds the process is
   * killed. Resolves once the process is gone. Idempotent.
   */
  async shutdown(reason: string): Promise<void> {
    this.actor.send({ type: 'shutdown', reason });
    await this.exited;
  }

  #send(message: ParentMessage): void {
    this.#channel.send(message);
  }

  #receive(raw: unknown): void {
    let message: ChildMessage;
    try {
      message = parseChildMessage(raw);
    } catch (error) {
      this.#report(error as VoxstateError);
      return;
    }
    switch (message.type) {
      case 'initialized':
        return this.actor.send({ type: 'initialized' });
      case 'initializeFailed':
        return this.actor.send({ type: 'initialize.failed', error: message.error });
      case 'pong': {
        const latency = Date.now() - message.timestamp;
        if (latency > this.#options.highPingThreshold && !this.#slowPongWarned) {
          // Once per process: a slow loop is worth one line, not one per ping.
          this.#slowPongWarned = true;
          this.#logger.warn({ latencyMs: latency }, 'job process is slow to answer pings (its event loop is busy)');
        }
        return this.actor.send({ type: 'pong', usedMb: this.#channel.usedMb(message.memory) });
      }
      case 'jobStarted':
        return this.actor.send({ type: 'job.started' });
      case 'jobShuttingDown':
        return this.actor.send({ type: 'job.shuttingDown', reason: message.reason });
      case 'jobClosing':
        return this.actor.send({ type: 'job.closing' });
      case 'jobEnded':
        return this.actor.send({ type: 'job.ended', status: message.status, reason: message.reason, error: message.error });
      case 'uncaughtError':
        this.#lastError = message.error;
        return;
    }
  }

  #report(error: VoxstateError): void {
    this.#logger.error({ err: error }, error.message);
    this.emit('error', error);
  }

  #whyNotReady(output: SupervisedProcessMachineOutput | undefined): string {
    if (output?.initializeError) return output.initializeError;
    if (this.actor.getSnapshot().context.initializeError) return this.actor.getSnapshot().context.initializeError!;
    const killReason = this.actor.getSnapshot().context.killReason;
    if (killReason === 'initialize timeout') return `it did not initialize within ${this.#options.initializeProcessTimeout} ms (import and setupFnc)`;
    if (killReason !== undefined) return `it was killed: ${KILLED[killReason]}`;
    return this.#lastError ?? 'it exited before it was ready';
  }

  /** How the job ended: as the child reported it, else from how the process ended. */
  #jobEnd(output: SupervisedProcessMachineOutput): JobEnd {
    if (output.jobEnd !== undefined) {
      const { status, reason, error } = output.jobEnd;
      if (output.outcome === 'killed') this.#logger.warn({ reason: output.killReason }, 'the job ended, but its process had to be killed');
      return status === 'success' ? { status, reason } : { status, reason, error: error ?? reason };
    }
    if (output.outcome === 'killed' && output.killReason !== undefined) {
      const reason = output.killReason;
      let error = `the job ${this.#channel.kind} was killed: ${KILLED[reason]}`;
      if (reason === 'memory limit' && output.memoryMb !== undefined) {
        error += ` (${Math.round(output.memoryMb)} MB, limit ${this.#options.memoryLimitMb} MB)`;
      }
      if (reason === 'shutdown timeout' && output.shutdownReason !== undefined) error += ` (shutdown reason: ${output.shutdownReason})`;
      return { status: 'failed', reason, error };
    }
    const how = describeExit(output.exit);
    if (this.#lastError !== undefined) return { status: 'failed', reason: 'job crashed', error: `${this.#lastError} (the job ${this.#channel.kind} ${how})` };
    return { status: 'failed', reason: 'job crashed', error: `the job ${this.#channel.kind} ${how} before its job ended` };
  }
}

/** The one word for where a process is: its state, or its job's inside `ready`. */
function processStateOf(snapshot: SnapshotFrom<typeof supervisedProcessMachine>): SupervisedProcessState {
  const { value } = snapshot;
  if (typeof value === 'string') return value;
  const ready = value.ready;
  return typeof ready === 'string' ? ready : `exiting.${ready.exiting}`;
}

function describeExit(exit: { code: number | null; signal: string | null } | undefined): string {
  if (exit?.signal === 'SIGABRT') return 'aborted (SIGABRT: V8 aborts like this when the heap is out of memory)';
  if (exit?.signal) return `was ended by ${exit.signal}`;
  if (exit?.code !== null && exit?.code !== undefined) return `exited with code ${exit.code}`;
  return 'exited';
}
