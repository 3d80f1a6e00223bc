/**
 * A pool of supervised job processes (or threads) kept warm: `numIdleProcesses` of them are
 * started and initialized (module imported, setupFnc run) before any job needs them; each runs
 * exactly one job and exits, and the pool starts another in its place. ProcessPool and
 * ThreadExecutor are this pool over child processes and over worker threads.
 *
 * At most `maxConcurrentInitializations` processes initialize at a time: a burst of jobs must not
 * start so many at once that they starve each other past initializeProcessTimeout. A job that
 * finds no idle process waits, in order, for the next one to become ready.
 */
import { availableParallelism } from 'node:os';
import type { Clock } from '../actors/start_actor.js';
import { ClosedError, describe, VoxstateError } from '../errors.js';
import { EventEmitter } from '../events/emitter.js';
import { DEFAULT_JOB_TIMEOUTS } from '../job/job.js';
import { log, type Logger } from '../log/logger.js';
import { DEFAULT_INITIALIZE_PROCESS_TIMEOUT, defaultNumIdleProcesses, type AgentServer } from '../server/agent_server.js';
import type { JobExecutor, JobHandle, RunningJobInfo } from '../worker/running_job.js';
import type { RoomKind } from './ipc_messages.js';
import type { OpenChannelFor } from './job_channel.js';
import { ProcessStartError, SupervisedProcess, type SupervisionOptions } from './supervised_process.js';
import { checkRunnable, needsTypeScript } from './typescript_loader.js';

/** Options of both executors; each defaults to the server's option of the same name, then to the default shown. */
export interface ExecutorOptions {
  /** The room a job joins: 'livekit' (default) with the job's URL and token, or an in-process LocalRoom named after the job's room (tests). */
  room?: RoomKind;
  /** Processes (threads) kept initialized and idle, ready for a job (default: the CPUs, up to 4; 0 = start one per job). */
  numIdleProcesses?: number;
  /** Processes (threads) initializing at the same time, at most (default: the CPUs, up to 4). */
  maxConcurrentInitializations?: number;
  /** Bound of importing the agent module and running setupFnc in a new process (default 10000 ms). */
  initializeProcessTimeout?: number;
  /** Bound of a job's shutdown once its shutdown callbacks run, until its process has exited (default 10000 ms). */
  shutdownProcessTimeout?: number;
  /** The job's entrypoint grace and session close bounds, which come before (defaults: the job's, 15000 and 60000 ms). */
  entrypointGrace?: number;
  sessionCloseTimeout?: number;
  /** Warn when a process uses more than this, in MB (default 500; 0 = never). RSS for a process, JS heap for a thread. */
  jobMemoryWarnMb?: number;
  /** Kill a process using more than this, in MB (default 0 = no limit). */
  jobMemoryLimitMb?: number;
  /** How often a process is pinged (default 2500 ms). */
  pingInterval?: number;
  /** A process that answers no ping for this long is killed as unresponsive (default 60000 ms). */
  pingTimeout?: number;
  /** Pongs slower than this are logged (default 500 ms). */
  highPingThreshold?: number;
  /** Environment variables added for the processes (threads). */
  env?: Readonly<Record<string, string>>;
  logger?: Logger;
  /** A clock for the supervision's delays (tests). */
  clock?: Clock;
}

export type ExecutorEvents = {
  /** A process (thread) started for the pool. */
  process_started: (process: SupervisedProcess) => void;
  error: (error: VoxstateError) => void;
};

/** A job waiting for a process gives up after this many processes failed to initialize while it was first in line. */
const LAUNCH_ATTEMPTS = 3;

/** A launch waiting for a ready process. */
interface Waiter {
  resolve(process: SupervisedProcess): void;
  reject(error: unknown): void;
  /** Processes that failed to initialize while this launch was first in line. */
  failures: number;
}

// biome-ignore lint: the pool starts jobs of any server
type AnyServer = AgentServer<any>;

export class ExecutorPool extends EventEmitter<ExecutorEvents> implements JobExecutor {
  readonly #server: AnyServer;
  readonly #options: ExecutorOptions;
  readonly #open: OpenChannelFor;
  readonly #logger: Logger;
  /** Initialized, idle, not given to a job. */
  readonly #idle: SupervisedProcess[] = [];
  /** Spawning or initializing. */
  readonly #warming = new Set<SupervisedProcess>();
  /** Launches waiting for a ready process, first come first served. */
  readonly #waiting: Waiter[] = [];
  /** Every process not yet gone. */
  readonly #processes = new Set<SupervisedProcess>();
  readonly #jobs = new Set<JobHandle>();
  #started = false;
  #closing: Promise<void> | undefined;

  /** 'process' or 'thread'. */
  readonly kind: 'process' | 'thread';

  protected constructor(kind: 'process' | 'thread', server: AnyServer, options: ExecutorOptions, open: OpenChannelFor) {
    super();
    this.kind = kind;
    this.#server = server;
    this.#options = options;
    this.#open = open;
    this.#logger = (options.logger ?? log()).child({ executor: this.kind });
  }

  get activeJobs(): number {
    return this.#jobs.size;
  }

  /** Processes (threads) alive now, idle or running a job. */
  get processes(): readonly SupervisedProcess[] {
    return [...this.#processes];
  }

  /** Processes (threads) initialized and waiting for a job. */
  get idleProcesses(): number {
    return this.#idle.length;
  }

  get numIdleProcesses(): number {
    return this.#options.numIdleProcesses ?? this.#server.options.numIdleProcesses ?? defaultNumIdleProcesses();
  }

  get maxConcurrentInitializations(): number {
    return this.#options.maxConcurrentInitializations ?? Math.min(availableParallelism(), 4);
  }

  /**
   * Starts warming the idle processes in the background and resolves at once: a worker registers
   * with LiveKit without waiting for them (a launch before any is ready waits for the next one).
   * Rejects, with nothing started, when the server cannot run jobs (no entrypoint).
   */
  async start(): Promise<void> {
    if (this.#closing) throw new ClosedError(`the ${this.kind} executor`, 'start()', 'closed');
    this.#supervision(); // a server without an entrypoint fails here, not in a child
    this.#started = true;
    this.#refill();
  }

  /** Resolves once no process is warming any more: each idle one is ready or has failed (failures are logged). */
  async warmed(): Promise<void> {
    // Warming goes on in steps of maxConcurrentInitializations: each ready process makes room for the next.
    while (this.#warming.size > 0) await Promise.allSettled([...this.#warming].map((process) => process.ready));
  }

  async launch(info: RunningJobInfo): Promise<JobHandle> {
    if (this.#closing) throw new ClosedError(`the ${this.kind} executor`, 'launch()', 'closed');
    const process = await this.#acquire();
    // Closed meanwhile: close() shuts the process down with the others.
    if (this.#closing) throw new ClosedError(`the ${this.kind} executor`, 'launch()', 'closed');
    let handle: JobHandle;
    try {
      handle = await process.launch(info);
    } finally {
      // The idle reserve is refilled once the job has started, and after launch() has answered:
      // spawning (new Worker() alone takes ~1 ms of this thread) would otherwise delay both.
      setImmediate(() => this.#refill());
    }
    this.#jobs.add(handle);
    void handle.ended.then(() => this.#jobs.delete(handle));
    return handle;
  }

  /** Shuts every job down with `reason`, stops the idle processes, and resolves once none is left. Idempotent. */
  close(reason: string): Promise<void> {
    this.#closing ??= (async () => {
      this.#idle.length = 0;
      this.#warming.clear();
      const closed = new ClosedError(`the ${this.kind} executor`, 'launch()', 'closed');
      for (const waiter of this.#waiting.splice(0)) waiter.reject(closed);
      await Promise.all([...this.#processes].map((process) => process.shutdown(reason)));
    })();
    return this.#closing;
  }

  /** An idle process, else the next one to become ready. */
  #acquire(): Promise<SupervisedProcess> {
    const idle = this.#idle.shift();
    if (idle) return Promise.resolve(idle);
    const acquired = new Promise<SupervisedProcess>((resolve, reject) => this.#waiting.push({ resolve, reject, failures: 0 }));
    this.#refill();
    return acquired;
  }

  /**
   * Starts processes until there are enough for the waiting launches and the idle reserve, never
   * more than maxConcurrentInitializations initializing at once.
   */
  #refill(): void {
    if (this.#closing) return;
    const wanted = this.#waiting.length + (this.#started ? this.numIdleProcesses : 0);
    while (this.#idle.length + this.#warming.size < wanted && this.#warming.size < this.maxConcurrentInitializations) {
      this.#warming.add(this.#spawn());
    }
  }

  #spawn(): SupervisedProcess {
    const supervision = this.#supervision();
    const runtime = { typescript: needsTypeScript(supervision.module) };
    const process = new SupervisedProcess((handlers) => this.#open(handlers, runtime), supervision, {
      logger: this.#logger,
      ...(this.#options.clock ? { clock: this.#options.clock } : {}),
    });
    this.#processes.add(process);
    process.on('error', (error) => this.emit('error', error));
    process.ready.then(
      () => this.#ready(process),
      (error: unknown) => this.#failed(process, error),
    );
    void process.exited.then(() => {
      this.#processes.delete(process);
      const at = this.#idle.indexOf(process);
      // An idle process that died (crashed, killed from outside) is replaced.
      if (at >= 0) {
        this.#idle.splice(at, 1);
        this.#refill();
      }
    });
    this.emit('process_started', process);
    return process;
  }

  #ready(process: SupervisedProcess): void {
    if (!this.#warming.delete(process)) return; // the pool closed meanwhile
    const waiter = this.#waiting.shift();
    if (waiter) waiter.resolve(process);
    else this.#idle.push(process);
    this.#refill();
  }

  /** A process that never got ready counts against the launch first in line; only waiting launches have a new one started. */
  #failed(process: SupervisedProcess, error: unknown): void {
    if (!this.#warming.delete(process)) return;
    this.#logger.error({ err: error }, `a job ${this.kind} failed to start: ${describe(error)}`);
    this.emit('error', error instanceof VoxstateError ? error : new ProcessStartError(describe(error)));
    const first = this.#waiting[0];
    if (first === undefined) return; // nobody waits: no fork loop over a setup that always fails
    first.failures += 1;
    if (first.failures >= LAUNCH_ATTEMPTS) {
      this.#waiting.shift();
      first.reject(new ProcessStartError(`${LAUNCH_ATTEMPTS} attempts failed; the last: ${describe(error)}`));
    }
    this.#refill();
  }

  #supervision(): SupervisionOptions {
    const server = this.#server.options;
    const options = this.#options;
    const module = this.#server.module;
    if (module === undefined) throw new VoxstateError('no_entrypoint', 'register an entrypoint with server.rtcSession(...) first');
    checkRunnable(module);
    const initializeProcessTimeout = options.initializeProcessTimeout ?? server.initializeProcessTimeout ?? DEFAULT_INITIALIZE_PROCESS_TIMEOUT;
    return {
      module,
      // A defineAgent module has no options of its own: the child gets the ones it needs from here.
      entry: this.#server.entryFrom === 'defaultExport' ? { from: 'defaultExport', agentName: this.#server.agentName, initializeProcessTimeout } : { from: 'rtcSession' },
      room: options.room ?? 'livekit',
      initializeProcessTimeout,
      shutdownProcessTimeout: options.shutdownProcessTimeout ?? server.shutdownProcessTimeout ?? DEFAULT_JOB_TIMEOUTS.shutdownProcessTimeout,
      entrypointGrace: options.entrypointGrace ?? server.entrypointGrace ?? DEFAULT_JOB_TIMEOUTS.entrypointGrace,
      sessionCloseTimeout: options.sessionCloseTimeout ?? server.sessionCloseTimeout ?? DEFAULT_JOB_TIMEOUTS.sessionCloseTimeout,
      memoryWarnMb: options.jobMemoryWarnMb ?? server.jobMemoryWarnMb ?? 500,
      memoryLimitMb: options.jobMemoryLimitMb ?? server.jobMemoryLimitMb ?? 0,
      pingInterval: options.pingInterval ?? 2_500,
      pingTimeout: options.pingTimeout ?? 60_000,
      highPingThreshold: options.highPingThreshold ?? 500,
    };
  }
}
