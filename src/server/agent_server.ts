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
import { availableParallelism } from 'node:os';
import { VoxstateError, describe } from '../errors.js';
import { DEFAULT_JOB_TIMEOUTS, Job, type Entrypoint, type JobTimeouts, type SessionEndCallback } from '../job/job.js';
import { jobInfo, type RawJobInfo } from '../job/job_info.js';
import { JobProcess } from '../job/job_process.js';
import type { Clock } from '../actors/start_actor.js';
import { createLogger, type Logger } from '../log/logger.js';
import type { RecordingOptions } from '../recording/session_recording.js';
import { LocalRoom } from '../room/local_room.js';
import type { Room } from '../room/room.js';
import { callerModule } from './caller_module.js';
import type { AgentDefinition } from './define_agent.js';
import { registerServer } from './server_registry.js';
import { newId } from '../ids.js';
import type { AcceptArguments, AssignedJob } from '../worker/running_job.js';

/** Default bound of importing the agent module and running setupFnc in a new process, in ms. */
export const DEFAULT_INITIALIZE_PROCESS_TIMEOUT = 10_000;

/** Prewarmed idle processes a production worker keeps by default, as both LiveKit SDKs: the CPUs, up to 4. */
export function defaultNumIdleProcesses(): number {
  return Math.min(availableParallelism(), 4);
}

/** What a loadFnc is given: the worker whose load it reports. */
export interface LoadedWorker {
  readonly status: { readonly activeJobs: number; readonly load: number };
}

export interface AgentServerOptions<UserData extends Record<string, unknown>> extends Partial<JobTimeouts> {
  /** Runs once per process before its first job (prewarm): load models into proc.userData. */
  setupFnc?: (proc: JobProcess<UserData>) => unknown;
  /** Upper bound for setupFnc, in ms (default 10000). */
  initializeProcessTimeout?: number;
  /** Worker: where jobs run. 'process' (default): a child process per job; 'thread': worker threads. */
  executor?: 'process' | 'thread';
  /** Worker: prewarmed idle processes (or threads) kept ready (default in start mode: the CPUs, up to 4; 0 in dev). */
  numIdleProcesses?: number;
  /**
   * Worker: decides on each job LiveKit offers (default: accept). Returning without an answer, or
   * not answering within 7.5 s (LiveKit waits 10 s), rejects the job.
   */
  requestFnc?: (request: JobRequest) => unknown;
  /** Worker: the load reported to LiveKit, 0..1, sampled every 2.5 s (default: CPU use of the machine). */
  loadFnc?: (worker: LoadedWorker) => number | Promise<number>;
  /**
   * Worker: at or above this load it reports itself full (WS_FULL), and LiveKit routes offers to
   * other workers (default 0.7 in start mode, none in dev).
   */
  loadThreshold?: number;
  /**
   * Worker: decline offers while full, rather than take what LiveKit sends (default false: as
   * LiveKit's SDKs, the worker reports itself full and leaves routing to LiveKit).
   */
  declineWhenFull?: boolean;
  /** Worker: how long a drain waits for running jobs, in ms (default 1800000). */
  drainTimeout?: number;
  /** Worker: a job process using more heap than this (MB) is warned about (default 500; 0 = never). */
  jobMemoryWarnMb?: number;
  /** Worker: a job process using more than this (MB) is killed (default 0 = no limit). */
  jobMemoryLimitMb?: number;
  /** Worker: 'room' (one job per room, default) or 'publisher' (one job per publisher). */
  workerType?: 'room' | 'publisher';
  /** Worker: the agent's permissions in the room (LiveKit's ParticipantPermission). */
  permissions?: Partial<WorkerPermissions>;
  /** Worker: reconnections to LiveKit in a row before the worker gives up (default 16). */
  maxRetry?: number;
  /** Worker: LiveKit server (default env LIVEKIT_URL); key and secret default to LIVEKIT_API_KEY / LIVEKIT_API_SECRET. */
  wsUrl?: string;
  apiKey?: string;
  apiSecret?: string;
  /**
   * Worker: the health server's interface and port (default: all interfaces (0.0.0.0), port 8081,
   * in start mode, so a container probe reaches it; 127.0.0.1 and a free port in dev; port 0
   * picks one).
   */
  host?: string;
  port?: number;
  /** Worker: the log level when neither --log-level nor LOG_LEVEL says (default info in start mode, debug in dev). */
  logLevel?: string;
}

/**
 * The agent's permissions in the rooms it joins (LiveKit's ParticipantPermission). Built
 * positionally as agents-js's `new WorkerPermissions(canPublish, canSubscribe, canPublishData,
 * canUpdateMetadata, canPublishSources, hidden)`, or given as an object with some of its fields.
 */
export class WorkerPermissions {
  canPublish: boolean;
  canSubscribe: boolean;
  canPublishData: boolean;
  canUpdateMetadata: boolean;
  /** The track sources it may publish (LiveKit's TrackSource numbers); empty: any. */
  canPublishSources: number[];
  hidden: boolean;

  constructor(canPublish = true, canSubscribe = true, canPublishData = true, canUpdateMetadata = true, canPublishSources: number[] = [], hidden = false) {
    this.canPublish = canPublish;
    this.canSubscribe = canSubscribe;
    this.canPublishData = canPublishData;
    this.canUpdateMetadata = canUpdateMetadata;
    this.canPublishSources = canPublishSources;
    this.hidden = hidden;
  }
}

/** Who the agent is in the job's room (each defaults to LiveKit's choice: identity `agent-<job id>`). */
export type AcceptOptions = Partial<AcceptArguments>;

/**
 * A job LiveKit offers to this worker, as requestFnc (requestFunc) sees it; answer once, with
 * accept() or reject(). Its getters follow agents-js's JobRequest.
 */
export interface JobRequest {
  /** The job's id, as LiveKit set it. */
  readonly id: string;
  readonly job: AssignedJob;
  /** The job's room. */
  readonly room: { readonly name: string; readonly sid: string };
  /** The participant a publisher job is about (undefined for a room job). */
  readonly publisher: { readonly identity: string } | undefined;
  /** The agent name the job was dispatched to ('' for automatic dispatch). */
  readonly agentName: string;
  /**
   * LiveKit offers again a job whose worker went away (AvailabilityRequest.resuming): the job's
   * state (its conversation) is not carried over; a new job starts in the room.
   */
  readonly resuming: boolean;
  /** Accepts the job, the agent's identity, name, metadata and attributes given by name (Python's keyword form). */
  accept(options?: AcceptOptions): Promise<void>;
  /** Accepts the job, as agents-js: `accept(name, identity, metadata, attributes)`. */
  accept(name?: string, identity?: string, metadata?: string, attributes?: Record<string, string>): Promise<void>;
  /**
   * Declines the job: LiveKit offers it to another worker. With `terminate: true` the dispatch
   * ends instead (no other worker is tried).
   */
  reject(options?: { terminate?: boolean }): Promise<void>;
}

export class AgentServer<UserData extends Record<string, unknown> = Record<string, unknown>> {
  setupFnc: ((proc: JobProcess<UserData>) => unknown) | undefined;
  readonly options: AgentServerOptions<UserData>;
  #entrypoint: Entrypoint<UserData> | undefined;
  #onSessionEnd: SessionEndCallback<UserData> | undefined;
  #agentName = '';
  #module: string | undefined;
  #entryFrom: 'rtcSession' | 'defaultExport' = 'rtcSession';
  #proc: Promise<JobProcess<UserData>> | undefined;

  constructor(options: AgentServerOptions<UserData> = {}) {
    this.options = options;
    this.setupFnc = options.setupFnc;
  }

  /**
   * The server of an agents-js-shaped program: `definition` (the default export of `module`,
   * made by defineAgent) gives the entrypoint (`entry`) and the setupFnc (`prewarm`); job
   * processes import `module` and take them from its default export again. ServerOptions builds
   * its server with this.
   */
  static fromAgentDefinition<U extends Record<string, unknown>>(
    definition: AgentDefinition<U>,
    module: string,
    options: AgentServerOptions<U> & { agentName?: string },
  ): AgentServer<U> {
    const { agentName, ...rest } = options;
    const server = new AgentServer<U>({ ...rest, ...(definition.prewarm ? { setupFnc: definition.prewarm } : {}) });
    server.#entrypoint = definition.entry;
    server.#agentName = agentName ?? '';
    server.#module = module;
    server.#entryFrom = 'defaultExport';
    return server;
  }

  /**
   * Registers the job entrypoint (one per server). Returns it, so it can be used as a decorator-like
   * wrapper. `onSessionEnd` runs once the job's session has closed, before the shutdown callbacks
   * (LiveKit Python's `on_session_end`): `ctx.makeSessionReport()` there gives the whole conversation.
   */
  rtcSession<E extends Entrypoint<UserData>>(entrypoint: E, options: { agentName?: string; onSessionEnd?: SessionEndCallback<UserData> } = {}): E {
    if (typeof entrypoint !== 'function') throw new TypeError('rtcSession needs the entrypoint function');
    if (this.#entrypoint) throw new VoxstateError('entrypoint_registered', 'this AgentServer already has an entrypoint');
    if (options.onSessionEnd !== undefined && typeof options.onSessionEnd !== 'function') throw new TypeError('onSessionEnd must be a function');
    this.#entrypoint = entrypoint;
    this.#onSessionEnd = options.onSessionEnd;
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

  /** The file that registered the entrypoint (or whose default export defines it). */
  get module(): string | undefined {
    return this.#module;
  }

  /** Where a job process finds the entrypoint in the module: registered by rtcSession, or its default export (defineAgent). */
  get entryFrom(): 'rtcSession' | 'defaultExport' {
    return this.#entryFrom;
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

  /**
   * Runs voxstate's job path once with none of the user's code: a throwaway job in a LocalRoom
   * whose entrypoint only connects, logging nowhere. A job process runs one job, so without this
   * its job would be the first to run that code, cold (about 4 ms on the way to the entrypoint).
   * @internal
   */
  async _warmJobPath(): Promise<void> {
    const job = new Job<UserData>({
      info: jobInfo({ id: 'warm-up', roomName: 'warm-up', agentName: this.#agentName }),
      room: new LocalRoom({ name: 'warm-up' }),
      proc: await this.prewarm(),
      entrypoint: (ctx) => ctx.connect(),
      timeouts: {},
      logger: createLogger(process.stderr, { level: 'silent' }),
    });
    job.start();
    job.requestShutdown('warm-up', 'worker');
    await job.result;
  }

  /** Runs a job of this server in this process, against `room`. */
  async startJob(options: {
    room: Room;
    /** What the dispatcher said about the job (an id is made when none is given). */
    job?: Partial<Omit<RawJobInfo, 'roomName' | 'agentName'>>;
    logger?: Logger;
    clock?: Clock;
    /** The job's sessions record their conversation here (console --record), unless they say otherwise. */
    record?: RecordingOptions;
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
      ...(this.#onSessionEnd ? { onSessionEnd: this.#onSessionEnd } : {}),
      timeouts,
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
    });
    job.ctx._recordOptions = options.record;
    return job.start();
  }
}
