/**
 * Worker: the LiveKit agent worker. It holds the WebSocket to LiveKit's dispatcher (the agent
 * worker protocol, protobuf frames of @livekit/protocol), registers, answers job offers, launches
 * assigned jobs in its executor and reports their statuses and its load, under the lifecycle of
 * machines/worker.ts. Everything the socket says reaches the machine as an event; nothing the
 * server sends can throw in a listener.
 *
 *   const worker = new Worker(server, { executor });
 *   worker.events.on('registered', (id) => console.log('registered as', id));
 *   await worker.run();            // until closed; rejects if LiveKit stays unreachable
 */
import { fromCallback, fromPromise, type Actor, type SnapshotFrom } from 'xstate';
import { fromTask } from '../actors/from_task.js';
// Types only: the protocol's classes load with the first connection (a job process never needs them).
import type { UpdateJobStatus, ServerMessage, WorkerMessage } from '@livekit/protocol';
import type { WebSocket } from 'ws';
import { assignedJobMachine, type AssignedJobInput, type AssignedJobMachineEvent, type JobOrder } from '../../machines/assigned_job.js';
import {
  workerMachine,
  type AssignedJobActor,
  type OfferJobInput,
  type ReportedStatus,
  type WorkerProblem,
  type WorkerState,
} from '../../machines/worker.js';
import { hostOf, startActor, type Clock } from '../actors/start_actor.js';
import { onStateChange } from '../actors/state_changes.js';
import { until } from '../actors/until.js';
import { ClosedError, NotStartedError, VoxstateError, describe } from '../errors.js';
import { EventEmitter } from '../events/emitter.js';
import { rootLogger, type Logger } from '../log/logger.js';
import { addSecretValue } from '../log/redact.js';
import type { AgentServer } from '../server/agent_server.js';
import { CpuLoad } from './cpu_load.js';
import {
  JobLaunchError,
  JobRequestError,
  JobRequestTimeoutError,
  WorkerConnectionError,
  WorkerProtocolError,
  WorkerUnreachableError,
} from './errors.js';
import { WorkerJobRequest, type JobAnswer } from './job_request.js';
import { problemError } from './worker_problem.js';
import { assignedJob, jobTypeOf, liveKitProtocol as lk, loadLiveKitProtocol, participantPermission } from './protocol.js';
import type { AssignedJob, JobEnd, JobExecutor, JobHandle, RunningJobInfo } from './running_job.js';
import { openAssignment, SealedJobAssignment } from './sealed_assignment.js';
import { openWorkerSocket } from './worker_socket.js';

export type { WorkerState } from '../../machines/worker.js';

/** How often the worker reports its load and status (LiveKit's UPDATE_LOAD_INTERVAL). */
export const STATUS_INTERVAL_MS = 2_500;
/** How long an accepted job waits for its JobAssignment (LiveKit's ASSIGNMENT_TIMEOUT). */
export const ASSIGNMENT_TIMEOUT_MS = 7_500;
/**
 * How long requestFnc has to answer an offer before the worker declines it. LiveKit waits 10 s
 * (AssignJobTimeout) for the answer, then gives up on this worker for the job; 2.5 s are left for
 * the round trip and a busy event loop.
 */
export const REQUEST_TIMEOUT_MS = 7_500;
/** A registered worker pings LiveKit this often (as LiveKit's Python worker: aiohttp's 30 s heartbeat). */
export const KEEP_ALIVE_INTERVAL_MS = 30_000;
/** A ping unanswered for this long means a dead connection (as aiohttp's heartbeat: half the interval). */
export const PONG_TIMEOUT_MS = 15_000;
/** LiveKit drops a worker that does not register within 10 s; the worker gives up waiting as long. */
export const REGISTER_TIMEOUT_MS = 10_000;

/** Options of `new Worker(server, options)`; the rest comes from the server's options. */
export interface WorkerRunOptions {
  /** Where jobs run (the process pool, the thread executor, or InProcessExecutor). */
  executor: JobExecutor;
  /** LiveKit server URL; default server.options.wsUrl, then env LIVEKIT_URL. */
  wsUrl?: string;
  /** Default server.options.apiKey, then env LIVEKIT_API_KEY. */
  apiKey?: string;
  /** Default server.options.apiSecret, then env LIVEKIT_API_SECRET. */
  apiSecret?: string;
  /** At or above this load (0..1) the worker reports itself full. Default server.options.loadThreshold ?? 0.7; Infinity: never full. */
  loadThreshold?: number;
  /**
   * Decline offers while full, rather than leave routing to LiveKit (which is told the worker is
   * full and sends offers elsewhere). Default server.options.declineWhenFull ?? false.
   */
  declineWhenFull?: boolean;
  /** How long requestFnc has to answer an offer before it is declined, in ms (default 7500; LiveKit waits 10 s). */
  requestTimeout?: number;
  /** How long drain() waits for running jobs before shutting them down, in ms. Default server.options.drainTimeout ?? 1800000. */
  drainTimeout?: number;
  /** Reconnection attempts in a row before giving up (default server.options.maxRetry ?? 16); the n-th waits min(2(n-1), 10) s. */
  maxRetry?: number;
  /** How long opening the socket (TCP, TLS and the HTTP upgrade) may take, in ms (default 10000); then it is retried. */
  connectTimeout?: number;
  /** Reported in RegisterWorkerRequest and status (default: voxstate's version). */
  version?: string;
  /** A clock for the worker's delays (XState's SimulatedClock); default: the real timers. */
  clock?: Clock;
  /** Where the worker logs (default: the root logger). */
  logger?: Logger;
}

export interface WorkerStatusInfo {
  agentName: string;
  workerId: string | undefined;
  state: WorkerState;
  activeJobs: number;
  load: number;
  version: string;
  /** False once the worker failed (LiveKit unreachable, credentials refused) or closed. */
  healthy: boolean;
}

export type WorkerEvents = {
  registered: (workerId: string) => void;
  state_changed: (state: WorkerState) => void;
  job_started: (jobId: string) => void;
  job_ended: (jobId: string, end: JobEnd) => void;
  error: (error: VoxstateError) => void;
};

const VERSION = '0.1.0';

type WorkerSnapshot = SnapshotFrom<typeof workerMachine>;

export class Worker {
  static readonly #machine = workerMachine.provide({
    actors: {
      startExecutor: fromTask(({ system }) => hostOf<Worker>(system).#executor.start()),
      connect: fromPromise(async ({ system, signal }) => {
        const worker = hostOf<Worker>(system);
        await loadLiveKitProtocol();
        const ws = await openWorkerSocket({
          url: worker.#url,
          apiKey: worker.#apiKey,
          apiSecret: worker.#apiSecret,
          signal,
        });
        worker.#attach(ws);
      }),
      sampleLoad: fromTask(async ({ system }) => {
        const worker = hostOf<Worker>(system);
        const load = await worker.#loadFnc(worker);
        if (typeof load !== 'number' || Number.isNaN(load)) throw new VoxstateError('invalid_load', `loadFnc returned ${describe(load)}, not a number`);
        return load;
      }),
      shutDown: fromTask(({ system }) => hostOf<Worker>(system).#shutDown()),
      offerJob: fromPromise<void, OfferJobInput>(({ input, system, signal }) => hostOf<Worker>(system).#offer(input, signal)),
      assignedJob: assignedJobMachine.provide({
        actors: {
          runJob: fromCallback<JobOrder, AssignedJobInput>(({ input, receive, sendBack, system }) => hostOf<Worker>(system).#runJob(input, receive, sendBack)),
        },
        actions: {
          reportStarted: ({ context, system }) => hostOf<Worker>(system).#jobStarted(context.launch),
          reportEnded: ({ context, system }, end) => hostOf<Worker>(system).#jobEnded(context.launch.jobId, end),
        },
      }),
    },
    actions: {
      sendRegister: ({ system }) => hostOf<Worker>(system).#register(),
      reportStatus: ({ context, system }, { status }) => hostOf<Worker>(system).#reportStatus(status, context.load, Object.keys(context.jobs).length),
      sendPing: ({ system }) => hostOf<Worker>(system).#ping(),
      resumeJobs: ({ context, system }) => hostOf<Worker>(system).#resume(Object.values(context.jobs)),
      declineJob: ({ system }, { jobId, reason }) => hostOf<Worker>(system).#decline(jobId, reason),
      refuseAssignment: ({ system }, { jobId }) => hostOf<Worker>(system).#refuseAssignment(jobId),
      dropConnection: ({ system }) => hostOf<Worker>(system).#dropSocket(),
      ignoreTermination: ({ system }, { jobId }) =>
        hostOf<Worker>(system).#log.debug({ jobId }, 'termination of a job this worker does not run: ignored'),
      reportJobFailed: ({ system }, { jobId, error }) => hostOf<Worker>(system).#jobFailed(jobId, error),
    },
  });

  readonly events = new EventEmitter<WorkerEvents>();
  readonly #server: AgentServer<any>;
  readonly #executor: JobExecutor;
  readonly #url: string;
  readonly #apiKey: string;
  readonly #apiSecret: string;
  readonly #version: string;
  readonly #loadFnc: (worker: Worker) => number | Promise<number>;
  readonly #log: Logger;
  readonly #actor: Actor<typeof workerMachine>;
  /** The open socket of the current connection attempt, if any. */
  #socket: WebSocket | undefined;
  /**
   * The statuses of jobs that ended while the worker was not registered: LiveKit hears of them
   * after the next registration (the running jobs' statuses are told again from the machine).
   */
  #unsentEnds: UpdateJobStatus[] = [];
  #run: Promise<void> | undefined;
  #ended: Promise<void>;

  constructor(server: AgentServer<any>, options: WorkerRunOptions) {
    if (!options?.executor) throw new TypeError('new Worker(server, { executor }) needs an executor');
    this.#server = server;
    this.#executor = options.executor;
    const serverOptions = server.options;
    this.#url = options.wsUrl ?? serverOptions.wsUrl ?? process.env.LIVEKIT_URL ?? '';
    this.#apiKey = options.apiKey ?? serverOptions.apiKey ?? process.env.LIVEKIT_API_KEY ?? '';
    this.#apiSecret = options.apiSecret ?? serverOptions.apiSecret ?? process.env.LIVEKIT_API_SECRET ?? '';
    // Masked from now on wherever it would appear: a log line, an error, an inspector.
    addSecretValue(this.#apiSecret);
    this.#version = options.version ?? VERSION;
    const cpu = new CpuLoad();
    this.#loadFnc = serverOptions.loadFnc ?? (() => cpu.sample());
    this.#log = (options.logger ?? rootLogger()).child({ component: 'worker', agentName: server.agentName });
    this.#actor = startActor(Worker.#machine, {
      name: 'Worker',
      host: this,
      input: {
        loadThreshold: options.loadThreshold ?? serverOptions.loadThreshold ?? 0.7,
        declineWhenFull: options.declineWhenFull ?? serverOptions.declineWhenFull ?? false,
        maxRetry: options.maxRetry ?? serverOptions.maxRetry ?? 16,
        drainTimeout: options.drainTimeout ?? serverOptions.drainTimeout ?? 1_800_000,
        statusInterval: STATUS_INTERVAL_MS,
        assignmentTimeout: ASSIGNMENT_TIMEOUT_MS,
        requestTimeout: options.requestTimeout ?? REQUEST_TIMEOUT_MS,
        keepAliveInterval: KEEP_ALIVE_INTERVAL_MS,
        pongTimeout: PONG_TIMEOUT_MS,
        connectTimeout: options.connectTimeout ?? REGISTER_TIMEOUT_MS,
        registerTimeout: REGISTER_TIMEOUT_MS,
      },
      onError: (error) => this.#report(error instanceof VoxstateError ? error : new VoxstateError('worker_failed', describe(error), { cause: error })),
      ...(options.clock ? { clock: options.clock } : {}),
    });
    this.#actor.on('registered', ({ workerId }) => {
      this.#log.info({ workerId }, 'registered with LiveKit');
      this.events.emit('registered', workerId);
    });
    this.#actor.on('problem', ({ problem }) => this.#onProblem(problem));
    onStateChange(this.#actor, workerStateOf, (from, to) => {
      this.#log.debug({ from, to }, 'worker state changed');
      this.events.emit('state_changed', to);
    });
    this.#ended = new Promise<void>((resolve) => {
      this.#actor.subscribe({ complete: () => resolve() });
    });
  }

  /** The worker's actor (machines/worker.ts), for inspection. */
  get actor(): Actor<typeof workerMachine> {
    return this.#actor;
  }

  /**
   * Connects to LiveKit, registers and serves jobs. Resolves once the worker is closed; rejects
   * with WorkerAuthError when the credentials are refused, WorkerUnreachableError when every
   * reconnection failed, or the executor's error when it could not start.
   */
  run(): Promise<void> {
    if (this.#run) return this.#run;
    const state = this.state;
    if (state !== 'idle') return Promise.reject(new ClosedError('the worker', 'run()', state));
    const missing = [
      ['the LiveKit URL (LIVEKIT_URL)', this.#url],
      ['the API key (LIVEKIT_API_KEY)', this.#apiKey],
      ['the API secret (LIVEKIT_API_SECRET)', this.#apiSecret],
    ].filter(([, value]) => !value);
    if (missing.length > 0) {
      const error = new VoxstateError('worker_not_configured', `the worker needs ${missing.map(([what]) => what).join(', ')}`);
      this.#run = Promise.reject(error);
      return this.#run;
    }
    this.#run = new Promise<void>((resolve, reject) => {
      const subscription = this.#actor.subscribe((snapshot) => {
        if (snapshot.matches('failed')) {
          subscription.unsubscribe();
          reject(this.#failure(snapshot.context.failure, snapshot.context.retries));
        } else if (snapshot.status === 'done') {
          subscription.unsubscribe();
          resolve();
        }
      });
    });
    this.#log.info({ url: this.#url }, 'starting worker');
    this.#actor.send({ type: 'run' });
    return this.#run;
  }

  /**
   * Stops taking jobs (reports itself full, declines every offer), waits for the running jobs up to
   * `timeoutMs` (default drainTimeout), then shuts the rest down with reason "worker draining".
   * Resolves once no job is left. The worker stays connected until aclose().
   */
  async drain(timeoutMs?: number): Promise<void> {
    const state = this.state;
    if (state === 'idle') throw new NotStartedError('the worker', 'drain()');
    if (state === 'failed' || state === 'closing' || state === 'closed') throw new ClosedError('the worker', 'drain()', state);
    if (state === 'starting') await until(this.#actor, (s) => !s.matches('starting'));
    this.#log.info({ activeJobs: this.status.activeJobs }, 'draining');
    this.#actor.send({ type: 'drain', ...(timeoutMs === undefined ? {} : { timeoutMs }) });
    await until(this.#actor, (s) => s.matches({ online: { work: 'drained' } }) || !s.matches('online'));
  }

  /** Shuts every job down through the executor, closes the socket, and ends run(). Idempotent. */
  async aclose(): Promise<void> {
    this.#actor.send({ type: 'close' });
    await this.#ended;
  }

  /** Asks LiveKit to dispatch a job of this worker's type for `roomName` (SimulateJobRequest; `connect --room`). */
  async simulateJob(roomName: string, participantIdentity?: string): Promise<void> {
    if (typeof roomName !== 'string' || roomName === '') throw new TypeError('simulateJob needs a room name');
    if (!this.#registered) throw new VoxstateError('worker_not_registered', `the worker is ${this.state}: simulateJob() needs it registered with LiveKit`);
    this.#send({
      case: 'simulateJob',
      value: new (lk().SimulateJobRequest)({
        type: jobTypeOf(this.#server.options.workerType),
        room: new (lk().Room)({ name: roomName }),
        ...(participantIdentity ? { participant: new (lk().ParticipantInfo)({ identity: participantIdentity }) } : {}),
      }),
    });
  }

  /** Where the worker is: one word for its machine's state. */
  get state(): WorkerState {
    return workerStateOf(this.#actor.getSnapshot());
  }

  get status(): WorkerStatusInfo {
    const { context } = this.#actor.getSnapshot();
    const state = this.state;
    return {
      agentName: this.#server.agentName,
      workerId: context.workerId,
      state,
      activeJobs: Object.keys(context.jobs).length,
      load: context.load,
      version: this.#version,
      healthy: state !== 'failed' && state !== 'closed',
    };
  }

  /**
   * Whether the current connection is registered (also while closing, until the socket closes):
   * only then does LiveKit take messages other than the registration.
   */
  get #registered(): boolean {
    const snapshot = this.#actor.getSnapshot();
    return snapshot.matches({ online: { connection: 'registered' } }) || snapshot.matches({ closing: 'registered' });
  }

  // --- the socket ---

  #attach(ws: WebSocket): void {
    this.#dropSocket();
    this.#socket = ws;
    ws.on('message', (data, isBinary) => {
      if (ws === this.#socket) this.#onFrame(data as Buffer | Buffer[] | ArrayBuffer, isBinary);
    });
    ws.on('pong', () => {
      if (ws === this.#socket) this.#actor.send({ type: 'socket.pong' });
    });
    ws.on('close', (code, reason) => {
      if (ws !== this.#socket) return;
      this.#socket = undefined;
      const why = reason.length > 0 ? `: ${reason.toString()}` : '';
      this.#actor.send({ type: 'socket.closed', error: new WorkerConnectionError(`the connection to LiveKit closed (code ${code}${why})`) });
    });
  }

  /** A WebSocket ping (a control frame: LiveKit's server answers it itself). */
  #ping(): void {
    const ws = this.#socket;
    if (ws !== undefined && ws.readyState === ws.OPEN) ws.ping();
  }

  #dropSocket(): void {
    const ws = this.#socket;
    this.#socket = undefined;
    ws?.terminate();
  }

  #onFrame(data: Buffer | Buffer[] | ArrayBuffer, isBinary: boolean): void {
    if (!isBinary) {
      this.#log.warn('LiveKit sent a text frame; the agent protocol is binary only, so it was ignored');
      return;
    }
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    let message: ServerMessage;
    try {
      message = lk().ServerMessage.fromBinary(bytes);
    } catch (error) {
      this.#report(new WorkerProtocolError(`a malformed frame of ${bytes.length} bytes was ignored (${describe(error)})`, { cause: error }));
      return;
    }
    const { message: body } = message;
    switch (body.case) {
      case 'register':
        this.#actor.send({ type: 'server.registered', workerId: body.value.workerId });
        return;
      case 'availability':
        if (!body.value.job) return this.#report(new WorkerProtocolError('an availability request without a job was ignored'));
        this.#actor.send({ type: 'server.availability', job: assignedJob(body.value.job), resuming: body.value.resuming });
        return;
      case 'assignment': {
        const jobId = body.value.job?.id;
        if (!jobId) return this.#report(new WorkerProtocolError('a job assignment without a job was ignored'));
        // Sealed: the assignment carries the agent's room token, and the machine's events are inspected.
        this.#actor.send({ type: 'server.assignment', jobId, assignment: new SealedJobAssignment(jobId, body.value) });
        return;
      }
      case 'termination':
        this.#actor.send({ type: 'server.termination', jobId: body.value.jobId });
        return;
      case 'pong':
        return;
      default:
        this.#report(new WorkerProtocolError('a message of an unknown kind was ignored'));
    }
  }

  /** The registration: the one message that goes out before the worker is registered. */
  #register(): void {
    const options = this.#server.options;
    this.#write({
      case: 'register',
      value: new (lk().RegisterWorkerRequest)({
        type: jobTypeOf(options.workerType),
        agentName: this.#server.agentName,
        version: this.#version,
        allowedPermissions: participantPermission(options.permissions),
      }),
    });
  }

  #reportStatus(status: ReportedStatus, load: number, jobCount: number): void {
    this.#send({
      case: 'updateWorker',
      value: new (lk().UpdateWorkerStatus)({ status: status === 'full' ? lk().WorkerStatus.WS_FULL : lk().WorkerStatus.WS_AVAILABLE, load, jobCount }),
    });
  }

  /**
   * Registered (this runs as the worker becomes so, before its snapshot says it): LiveKit hears
   * again of every job running (a new connection is a new worker to LiveKit), then of the job
   * statuses made while offline (as LiveKit's SDKs, no MigrateJobRequest: LiveKit's server does
   * nothing with it).
   */
  #resume(jobs: readonly AssignedJobActor[]): void {
    for (const job of jobs) {
      const snapshot = job.getSnapshot();
      if (snapshot.matches('launched')) this.#write({ case: 'updateJob', value: new (lk().UpdateJobStatus)({ jobId: snapshot.context.launch.jobId, status: lk().JobStatus.JS_RUNNING }) });
    }
    this.#unsentEnds = this.#unsentEnds.filter((update) => !this.#write({ case: 'updateJob', value: update }));
  }

  /**
   * Sends a message on the registered socket; when not registered it is dropped (status updates
   * are sent again anyway, job statuses after the next registration). Returns whether it was sent.
   */
  #send(message: WorkerMessage['message']): boolean {
    if (this.#registered && this.#write(message)) return true;
    this.#log.debug({ message: message.case }, 'not connected to LiveKit: message not sent now');
    return false;
  }

  /** Writes a message on the socket, if open. Returns whether it was written. */
  #write(message: WorkerMessage['message']): boolean {
    const ws = this.#socket;
    if (ws === undefined || ws.readyState !== ws.OPEN) return false;
    ws.send(new (lk().WorkerMessage)({ message }).toBinary());
    return true;
  }

  // --- jobs ---

  #decline(jobId: string, reason: string): void {
    this.#log.info({ jobId, state: this.state }, `declined a job: ${reason}`);
    this.#send({ case: 'availability', value: new (lk().AvailabilityResponse)({ jobId, available: false }) });
  }

  /**
   * The offerJob actor: asks requestFnc about the job. Once `signal` aborts (requestFnc ran out of
   * time, and the worker declined the job), an answer is refused with JobRequestTimeoutError.
   */
  async #offer({ job, resuming }: OfferJobInput, signal: AbortSignal): Promise<void> {
    this.#log.info({ jobId: job.id, room: job.roomName, resuming }, 'LiveKit offers a job');
    const timeoutMs = this.#actor.getSnapshot().context.requestTimeout;
    const request = new WorkerJobRequest(job, this.#server.agentName, resuming, (answer) => {
      if (signal.aborted) throw new JobRequestTimeoutError(job.id, timeoutMs);
      this.#answer(job, answer);
    });
    const requestFnc = this.#server.options.requestFnc ?? ((req: WorkerJobRequest) => req.accept());
    let failed = false;
    try {
      await requestFnc(request);
    } catch (error) {
      // Answered too late: the timeout has been reported already.
      if (signal.aborted) return;
      failed = true;
      this.#report(new JobRequestError(job.id, error));
    }
    if (request.answered || signal.aborted) return;
    if (!failed) this.#log.warn({ jobId: job.id }, 'requestFnc returned without accepting or rejecting the job: rejecting it');
    try {
      await request.reject();
    } catch (error) {
      this.#report(error instanceof VoxstateError ? error : new VoxstateError('job_answer_failed', describe(error), { cause: error }));
    }
  }

  #answer(job: AssignedJob, answer: JobAnswer): void {
    const response = answer.available
      ? new (lk().AvailabilityResponse)({
          jobId: job.id,
          available: true,
          participantIdentity: answer.acceptArguments.identity,
          participantName: answer.acceptArguments.name,
          participantMetadata: answer.acceptArguments.metadata,
          participantAttributes: answer.acceptArguments.attributes,
        })
      : new (lk().AvailabilityResponse)({ jobId: job.id, available: false, terminate: answer.terminate });
    if (!this.#send({ case: 'availability', value: response })) {
      throw new WorkerConnectionError(`the answer to job ${job.id} could not be sent: the worker is ${this.state}`);
    }
    this.#log.info({ jobId: job.id, available: answer.available }, answer.available ? 'accepted a job' : 'rejected a job');
    this.#actor.send(
      answer.available ? { type: 'job.accepted', pending: { job, acceptArguments: answer.acceptArguments } } : { type: 'job.rejected', jobId: job.id },
    );
  }

  /**
   * An assigned job's runJob actor: launches the job in the executor, says when it runs and how it
   * ended (a launch that fails is a job that ended failed), and carries out the shutdown it is
   * ordered (the machine holds an order given while launching until the job runs).
   */
  #runJob(launch: AssignedJobInput, receive: (listener: (order: JobOrder) => void) => void, sendBack: (event: AssignedJobMachineEvent) => void): void {
    let handle: JobHandle | undefined;
    // The machine orders only a launched job to shut down.
    receive(({ reason }) => {
      if (handle) this.#shutDownJob(handle, reason);
    });
    this.#launch(launch).then(
      (launched) => {
        handle = launched;
        sendBack({ type: 'job.launched' });
        void launched.ended
          .catch((error: unknown): JobEnd => ({ status: 'failed', reason: 'job handle failed', error: describe(error) }))
          .then((end) => sendBack({ type: 'job.ended', end }));
      },
      (cause: unknown) => {
        const error = cause instanceof VoxstateError ? cause : new JobLaunchError(launch.jobId, cause);
        this.#report(error);
        sendBack({ type: 'job.ended', end: { status: 'failed', reason: 'launch failed', error: error.message } });
      },
    );
  }

  /**
   * Runs the job in the executor with what LiveKit assigned: the URL to join and the agent's token.
   * An executor whose launch throws instead of rejecting breaks its contract: that fails the job's
   * actor, and the worker gives the job up (reportJobFailed).
   */
  #launch({ pending, assignment, workerId }: AssignedJobInput): Promise<JobHandle> {
    const { job, url, token } = openAssignment(assignment);
    return this.#executor.launch({
      job: job ? assignedJob(job) : pending.job,
      acceptArguments: pending.acceptArguments,
      url: url || this.#url,
      token,
      workerId,
    } satisfies RunningJobInfo);
  }

  #jobStarted({ jobId, pending }: AssignedJobInput): void {
    this.#log.info({ jobId, room: pending.job.roomName }, 'job started');
    this.#send({ case: 'updateJob', value: new (lk().UpdateJobStatus)({ jobId, status: lk().JobStatus.JS_RUNNING }) });
    this.events.emit('job_started', jobId);
  }

  #shutDownJob(handle: JobHandle, reason: string): void {
    this.#log.info({ jobId: handle.id, reason }, 'shutting a job down');
    handle.shutdown(reason).catch((error: unknown) =>
      this.#report(new VoxstateError('job_shutdown_failed', `shutting job ${handle.id} down failed: ${describe(error)}`, { cause: error })),
    );
  }

  /** Tells LiveKit how a job ended: now, or after the next registration when not registered. */
  #jobEnded(jobId: string, end: JobEnd): void {
    const failed = end.status === 'failed';
    this.#log[failed ? 'warn' : 'info']({ jobId, reason: end.reason, ...(failed ? { error: end.error } : {}) }, 'job ended');
    const update = new (lk().UpdateJobStatus)({ jobId, status: failed ? lk().JobStatus.JS_FAILED : lk().JobStatus.JS_SUCCESS, error: failed ? end.error : '' });
    if (!this.#send({ case: 'updateJob', value: update })) this.#unsentEnds.push(update);
    this.events.emit('job_ended', jobId, end);
  }

  /** A job's actor failed (a fault of the worker or of its executor, not of the job): the job is given up as failed. */
  #jobFailed(jobId: string, cause: unknown): void {
    const error = cause instanceof VoxstateError ? cause : new VoxstateError('job_failed', `the worker gave job ${jobId} up: ${describe(cause)}`, { cause });
    this.#report(error);
    this.#jobEnded(jobId, { status: 'failed', reason: 'job failed', error: error.message });
  }

  #refuseAssignment(jobId: string): void {
    this.#send({
      case: 'updateJob',
      value: new (lk().UpdateJobStatus)({ jobId, status: lk().JobStatus.JS_FAILED, error: 'this worker was not waiting for that job (not accepted, or its assignment came too late)' }),
    });
  }

  async #shutDown(): Promise<void> {
    this.#log.info({ activeJobs: this.#executor.activeJobs }, 'closing worker');
    try {
      await this.#executor.close('worker closing');
    } finally {
      await this.#closeSocket();
    }
  }

  /**
   * Closes the socket with a close handshake, so the jobs' last statuses (already written to it)
   * reach LiveKit first. ws bounds the handshake itself (30 s), then cuts the connection.
   */
  async #closeSocket(): Promise<void> {
    const ws = this.#socket;
    this.#socket = undefined;
    if (ws === undefined || ws.readyState === ws.CLOSED) return;
    await new Promise<void>((resolve) => {
      ws.once('close', () => resolve());
      ws.close(1000, 'worker closing');
    });
  }

  // --- state and errors ---

  #onProblem(problem: WorkerProblem): void {
    const error = problemError(problem);
    if ('willRetry' in problem && problem.willRetry) {
      this.#log.warn({ err: error }, `${error.message}; reconnecting`);
      this.events.emit('error', error);
    } else this.#report(error);
  }

  /** What run() rejects with when the worker failed: refused credentials or the executor as they are, else "unreachable". */
  #failure(problem: WorkerProblem | undefined, retries: number): VoxstateError {
    if (problem === undefined) return new VoxstateError('worker_failed', 'the worker failed');
    const error = problemError(problem);
    return problem.kind === 'executor' || error.code === 'worker_auth_refused' ? error : new WorkerUnreachableError(retries, error);
  }

  #report(error: VoxstateError): void {
    this.#log.error({ err: error }, error.message);
    this.events.emit('error', error);
  }
}

/** The one word for where a worker is: its state, its work's once draining, else its connection's (its status once registered). */
function workerStateOf(snapshot: WorkerSnapshot): WorkerState {
  const { value } = snapshot;
  if (typeof value === 'string') return value;
  if ('closing' in value) return 'closing';
  const { connection, work } = value.online;
  if (work === 'drained') return work;
  if (typeof work === 'object') return 'draining';
  if (typeof connection === 'string') return connection;
  const { status } = connection.registered;
  if (status === 'available' || status === 'full') return status;
  // Sampling the load: what the last sample said.
  return snapshot.context.load >= snapshot.context.loadThreshold ? 'full' : 'available';
}
