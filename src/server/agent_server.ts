/**
 * AgentServer: where an agent program registers its entrypoint and its per-process setup, as
 * LiveKit's AgentServer. In console mode it runs jobs in this process; as a worker it takes jobs
 * from LiveKit.
 *
 *   const server = new AgentServer();
 *   server.setupFnc = (proc) => { proc.userData.greeting = 'Hello'; };
 *   server.rtcSession(async (ctx) => { ... }, { agentName: 'my-agent' });
 *   cli.runApp(server);
 */
import { VoxstateError, describe } from '../errors.js';
import { DEFAULT_JOB_TIMEOUTS, Job, type Entrypoint, type JobTimeouts } from '../job/job.js';
import { jobInfo, type RawJobInfo } from '../job/job_info.js';
import { JobProcess } from '../job/job_process.js';
import type { Clock } from '../actors/start_actor.js';
import type { Logger } from '../log/logger.js';
import type { Room } from '../room/room.js';
import { callerModule } from './caller_module.js';
import { registerServer } from './server_registry.js';
import { newId } from '../ids.js';
import type { AcceptArguments, AssignedJob } from '../worker/running_job.js';

/** Default bound of importing the agent module and running setupFnc in a new process, in ms. */
export const DEFAULT_INITIALIZE_PROCESS_TIMEOUT = 10_000;

export interface AgentServerOptions<UserData extends Record<string, unknown>> extends Partial<JobTimeouts> {
  /** Runs once per process before its first job (prewarm): load models into proc.userData. */
  setupFnc?: (proc: JobProcess<UserData>) => unknown;
  /** Upper bound for setupFnc, in ms (default 10000). */
  initializeProcessTimeout?: number;
  /** Worker: where jobs run. 'process' (default): a child process per job; 'thread': worker threads. */
  executor?: 'process' | 'thread';
  /** Worker: prewarmed idle processes (or threads) kept ready (default 3 in start mode, 0 in dev). */
  numIdleProcesses?: number;
  /** Worker: decides on each job LiveKit offers (default: accept). Not answering rejects. */
  requestFnc?: (request: JobRequest) => unknown;
  /** Worker: the load reported to LiveKit, 0..1 (default: CPU use of the machine). */
  loadFnc?: () => number;
  /** Worker: at or above this load it reports itself full (default 0.7 in start mode, none in dev). */
  loadThreshold?: number;
  /** Worker: how long a drain waits for running jobs, in ms (default 1800000). */
  drainTimeout?: number;
  /** Worker: a job process using more heap than this (MB) is warned about (default 500; 0 = never). */
  jobMemoryWarnMb?: number;
  /** Worker: a job process using more than this (MB) is killed (default 0 = no limit). */
  jobMemoryLimitMb?: number;
  /** Worker: 'room' (one job per room, default) or 'publisher' (one job per publisher). */
  workerType?: 'room' | 'publisher';
  /** Worker: the agent's permissions in the room (LiveKit's ParticipantPermission). */
  permissions?: WorkerPermissions;
  /** Worker: LiveKit server (default env LIVEKIT_URL); key and secret default to LIVEKIT_API_KEY / LIVEKIT_API_SECRET. */
  wsUrl?: string;
  apiKey?: string;
  apiSecret?: string;
  /** Worker: the health server's interface and port (default 127.0.0.1:8081; port 0 picks one). */
  host?: string;
  port?: number;
}

export interface WorkerPermissions {
  canPublish?: boolean;
  canSubscribe?: boolean;
  canPublishData?: boolean;
  canUpdateMetadata?: boolean;
  hidden?: boolean;
}

/** A job LiveKit offers to this worker; answer with accept() or reject() (as LiveKit's JobRequest). */
export interface JobRequest {
  readonly job: AssignedJob;
  /** The agent's identity, name, metadata and attributes in the room default to LiveKit's ones. */
  accept(args?: Partial<AcceptArguments>): Promise<void>;
  /** terminate (default true): the dispatch ends instead of trying another worker. */
  reject(options?: { terminate?: boolean }): Promise<void>;
}

export class AgentServer<UserData extends Record<string, unknown> = Record<string, unknown>> {
  setupFnc: ((proc: JobProcess<UserData>) => unknown) | undefined;
  readonly options: AgentServerOptions<UserData>;
  #entrypoint: Entrypoint<UserData> | undefined;
  #agentName = '';
  #module: string | undefined;
  #proc: Promise<JobProcess<UserData>> | undefined;

  constructor(options: AgentServerOptions<UserData> = {}) {
    this.options = options;
    this.setupFnc = options.setupFnc;
  }

  /** Registers the job entrypoint (one per server). Returns it, so it can be used as a decorator-like wrapper. */
  rtcSession<E extends Entrypoint<UserData>>(entrypoint: E, options: { agentName?: string } = {}): E {
    if (typeof entrypoint !== 'function') throw new TypeError('rtcSession needs the entrypoint function');
    if (this.#entrypoint) throw new VoxstateError('entrypoint_registered', 'this AgentServer already has an entrypoint');
    this.#entrypoint = entrypoint;
    this.#agentName = options.agentName ?? '';
    this.#module = callerModule();
    registerServer(this.#module, this);
    return entrypoint;
  }

  get entrypoint(): Entrypoint<UserData> | undefined {
    return this.#entrypoint;
  }

  /** Non-empty: the agent is dispatched explicitly, by this name. */
  get agentName(): string {
    return this.#agentName;
  }

  /** The file that registered the entrypoint. */
  get module(): string | undefined {
    return this.#module;
  }

  /** Runs setupFnc once for this process (later calls share the result), bounded by initializeProcessTimeout. */
  prewarm(): Promise<JobProcess<UserData>> {
    this.#proc ??= (async () => {
      const proc = new JobProcess<UserData>();
      if (!this.setupFnc) return proc;
      const timeoutMs = this.options.initializeProcessTimeout ?? DEFAULT_INITIALIZE_PROCESS_TIMEOUT;
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          Promise.resolve().then(() => this.setupFnc!(proc)),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new VoxstateError('setup_timeout', `setupFnc did not finish within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
      } catch (error) {
        this.#proc = undefined;
        throw error instanceof VoxstateError ? error : new VoxstateError('setup_failed', `setupFnc failed: ${describe(error)}`, { cause: error });
      } finally {
        clearTimeout(timer);
      }
      return proc;
    })();
    return this.#proc;
  }

  /** Runs a job of this server in this process, against `room`. */
  async startJob(options: {
    room: Room;
    /** What the dispatcher said about the job (an id is made when none is given). */
    job?: Partial<Omit<RawJobInfo, 'roomName' | 'agentName'>>;
    logger?: Logger;
    clock?: Clock;
  }): Promise<Job<UserData>> {
    const entrypoint = this.#entrypoint;
    if (!entrypoint) throw new VoxstateError('no_entrypoint', 'register an entrypoint with server.rtcSession(...) first');
    const proc = await this.prewarm();
    // Only the job's own bounds: the worker's options (credentials among them) stay out of the job.
    const timeouts: Partial<JobTimeouts> = {};
    for (const key of Object.keys(DEFAULT_JOB_TIMEOUTS) as Array<keyof JobTimeouts>) {
      const value = this.options[key];
      if (value !== undefined) timeouts[key] = value;
    }
    const job = new Job<UserData>({
      info: jobInfo({ ...options.job, id: options.job?.id ?? newId('job'), roomName: options.room.name, agentName: this.#agentName }),
      room: options.room,
      proc,
      entrypoint,
      timeouts,
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
    });
    return job.start();
  }
}
