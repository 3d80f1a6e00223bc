/**
 * JobContext: what an entrypoint receives. The job's lifecycle itself is machines/job.ts, run by
 * Job (job.ts); the context is the entrypoint's handle on it.
 */
import type { JobState, ShutdownSource } from '../../machines/job.js';
import { ClosedError, HookError, VoxstateError } from '../errors.js';
import { EventEmitter } from '../events/emitter.js';
import { withLogScope, type LogScope, type Logger } from '../log/logger.js';
import { redactSecrets } from '../log/redact.js';
import { DEFAULT_PARTICIPANT_KINDS, type ParticipantKind, type RemoteParticipant, type Room } from '../room/room.js';
import { deleteRoom, type RoomServiceOptions } from '../room/delete_room.js';
import type { AgentSession } from '../session/agent_session.js';
import { parseJobMetadata, type JobInfo } from './job_info.js';
import type { JobProcess } from './job_process.js';
import { runInJob } from './job_scope.js';
import { buildSessionReport } from '../report/build_session_report.js';
import type { SessionReport } from '../report/session_report.js';
import type { Timeline } from '../report/timeline.js';
import type { RecordingOptions } from '../recording/session_recording.js';

export type ParticipantEntrypoint = (ctx: JobContext, participant: RemoteParticipant) => unknown;
export type ShutdownCallback = (reason: string) => unknown;

export interface JobErrorEvent {
  type: 'error';
  error: VoxstateError;
  source: string;
}

export type JobContextEvents = {
  state_changed: (event: { oldState: JobState; newState: JobState }) => void;
  shutdown: (event: { reason: string; source: ShutdownSource }) => void;
  error: (event: JobErrorEvent) => void;
  /** The job's primary AgentSession has started. */
  session_started: (session: AgentSession) => void;
};

/** What the job's runner lets its context do. */
export interface JobControl {
  readonly signal: AbortSignal;
  state(): JobState;
  connected(): void;
  requestShutdown(reason: string, source: ShutdownSource): void;
  report(error: VoxstateError, source: string): void;
  /** The job's own transitions, for the report of its session. */
  readonly timeline: Timeline;
}

export class JobContext<UserData extends Record<string, unknown> = Record<string, unknown>> extends EventEmitter<JobContextEvents> {
  readonly room: Room;
  readonly job: JobInfo;
  readonly proc: JobProcess<UserData>;
  readonly #control: JobControl;
  readonly #logScope: LogScope;
  readonly #baseLogger: Logger;
  readonly #entrypoints = new Map<ParticipantEntrypoint, readonly ParticipantKind[]>();
  readonly #shutdownCallbacks: ShutdownCallback[] = [];
  readonly #userTasks = new Set<Promise<unknown>>();
  #logContextFields: Record<string, unknown> = {};
  #connecting: Promise<void> | undefined;
  #primarySession: AgentSession | undefined;

  constructor(init: { room: Room; job: JobInfo; proc: JobProcess<UserData>; control: JobControl; logger: Logger }) {
    super();
    this.room = init.room;
    this.job = init.job;
    this.proc = init.proc;
    this.#control = init.control;
    this.#baseLogger = init.logger;
    this.#logScope = { logger: this.#jobLogger() };
    this.room.on('participantConnected', (participant) => {
      if (this.room.isConnected) this.#launchEntrypoints(participant, this.#entrypoints);
    });
  }

  /** Fires when the job starts shutting down; its reason is a JobShutdownError with the reason. */
  get signal(): AbortSignal {
    return this.#control.signal;
  }

  /** Where the job is in its lifecycle. */
  get state(): JobState {
    return this.#control.state();
  }

  /**
   * Fields added to every log line of this job, besides its `jobId`, `room` and `pid` (which a
   * field of the same name does not replace).
   */
  get logContextFields(): Readonly<Record<string, unknown>> {
    return this.#logContextFields;
  }

  set logContextFields(fields: Record<string, unknown>) {
    if (fields === null || typeof fields !== 'object') throw new TypeError('logContextFields must be an object');
    this.#logContextFields = { ...fields };
    this.#logScope.logger = this.#jobLogger();
  }

  /** The job's logger: its id, its room's name, the process id and the log context fields. */
  get logger(): Logger {
    return this.#logScope.logger;
  }

  /** Where the job's sessions record their conversation unless they say otherwise (console --record). @internal */
  _recordOptions: RecordingOptions | undefined;

  /** The first AgentSession started in this job; the shutdown contract drains and closes it. */
  get primarySession(): AgentSession | undefined {
    return this.#primarySession;
  }

  /**
   * The report of `session` (the primary session by default) so far: the job and room, the
   * session's options, history, events, usage, metrics, and the state timeline of the job's and
   * the session's actors (see SessionReport). Redacted; JSON. Throws when the job has no session.
   */
  makeSessionReport(session: AgentSession | undefined = this.#primarySession): SessionReport {
    if (session === undefined) throw new VoxstateError('no_session', 'makeSessionReport() needs a session: start an AgentSession in this job first');
    return buildSessionReport(session._reportParts(), { id: this.job.id, agentName: this.job.agentName, contextFields: { ...this.#logContextFields }, timeline: this.#control.timeline });
  }

  /**
   * Connects the room; later calls return the same connection. Participant entrypoints run for the
   * participants already there.
   */
  connect(): Promise<void> {
    if (this.#connecting) return this.#connecting;
    if (this.signal.aborted) return Promise.reject(new ClosedError(`job ${this.job.id}`, 'connect()', 'shutting down'));
    this.#connecting = (async () => {
      await this.room.connect();
      this.#control.connected();
      for (const participant of this.room.remoteParticipants.values()) this.#launchEntrypoints(participant, this.#entrypoints);
    })();
    return this.#connecting;
  }

  /** Starts shutting the job down. The first reason wins; later calls are ignored. */
  shutdown(reason = 'user requested'): void {
    this.#control.requestShutdown(String(reason), 'user');
  }

  /** Runs `callback(reason)` during shutdown, concurrently with the others, before the room is left. */
  addShutdownCallback(callback: ShutdownCallback): void {
    if (typeof callback !== 'function') throw new TypeError('addShutdownCallback needs a function');
    this.#shutdownCallbacks.push(callback);
  }

  /**
   * Runs `entrypoint(ctx, participant)` for every participant of the given kinds: those present
   * when the room connects and those who join later. Register before connect() to include the
   * participants already in the room.
   */
  addParticipantEntrypoint(entrypoint: ParticipantEntrypoint, options: { kinds?: readonly ParticipantKind[] } = {}): void {
    if (typeof entrypoint !== 'function') throw new TypeError('addParticipantEntrypoint needs a function');
    if (this.#entrypoints.has(entrypoint)) throw new VoxstateError('duplicate_entrypoint', 'this participant entrypoint is already registered');
    this.#entrypoints.set(entrypoint, options.kinds ?? DEFAULT_PARTICIPANT_KINDS);
  }

  /**
   * Resolves with the first participant (of `identity`, of the given kinds) in the room, connecting
   * first if needed. Rejects when the room disconnects or the job shuts down while waiting.
   */
  async waitForParticipant(options: { identity?: string; kinds?: readonly ParticipantKind[] } = {}): Promise<RemoteParticipant> {
    const kinds = options.kinds ?? DEFAULT_PARTICIPANT_KINDS;
    const fits = (p: RemoteParticipant) => kinds.includes(p.kind) && (options.identity === undefined || p.identity === options.identity);
    await this.connect();
    const present = [...this.room.remoteParticipants.values()].find(fits);
    if (present) return present;
    if (!this.room.isConnected) throw new ClosedError(`room ${this.room.name}`, 'waitForParticipant()', 'disconnected');
    if (this.signal.aborted) throw new ClosedError(`job ${this.job.id}`, 'waitForParticipant()', 'shutting down');
    return new Promise((resolve, reject) => {
      const cleanup = () => {
        this.room.off('participantConnected', joined);
        this.room.off('disconnected', disconnected);
        this.signal.removeEventListener('abort', aborted);
      };
      const joined = (p: RemoteParticipant) => {
        if (!fits(p)) return;
        cleanup();
        resolve(p);
      };
      const disconnected = () => {
        cleanup();
        reject(new ClosedError(`room ${this.room.name}`, 'waitForParticipant()', 'disconnected'));
      };
      const aborted = () => {
        cleanup();
        reject(new ClosedError(`job ${this.job.id}`, 'waitForParticipant()', 'shutting down'));
      };
      this.room.on('participantConnected', joined);
      this.room.on('disconnected', disconnected);
      this.signal.addEventListener('abort', aborted, { once: true });
    });
  }

  /**
   * Deletes a room (this job's by default): LiveKit disconnects everyone in it. Goes through
   * LiveKit's RoomService at `url` (default env LIVEKIT_URL) with `apiKey` / `apiSecret` (default
   * LIVEKIT_API_KEY / LIVEKIT_API_SECRET); without them it rejects with `missing_credentials`.
   * An in-process room (console, tests) is closed instead, as the server would.
   */
  deleteRoom(roomName: string = this.room.name, options: RoomServiceOptions = {}): Promise<void> {
    return deleteRoom(this.room, roomName, options);
  }

  /** The job's metadata parsed as JSON; JobMetadataError when it is not. */
  jobMetadata<T = unknown>(check?: (value: unknown) => value is T): T {
    return parseJobMetadata(this.job, check);
  }

  /** Runs `fn` as code of this job: getJobContext() and log() find the job inside it. */
  runAsJob<T>(fn: () => T): T {
    return runInJob(this as JobContext, () => withLogScope(this.#logScope, fn));
  }

  /**
   * @internal the first session started in the job becomes the primary one. Its closing does not
   * end the job: the job runs until no standard or SIP participant is left, or a shutdown.
   */
  _registerSession(session: AgentSession): void {
    if (this.#primarySession !== undefined) return;
    this.#primarySession = session;
    this.emit('session_started', session);
  }

  /** @internal */
  get _shutdownCallbacks(): readonly ShutdownCallback[] {
    return this.#shutdownCallbacks;
  }

  /** @internal user code still running: the entrypoint and participant entrypoints */
  get _userTasks(): ReadonlySet<Promise<unknown>> {
    return this.#userTasks;
  }

  /** @internal tracks a piece of user code until it settles */
  _track<T>(task: Promise<T>): Promise<T> {
    this.#userTasks.add(task);
    const forget = () => this.#userTasks.delete(task);
    task.then(forget, forget);
    return task;
  }

  /**
   * The job's logger, made anew from the base logger whenever the fields change: pino's child
   * bindings add up, so a child of a child would write a field given twice twice in each line.
   */
  #jobLogger(): Logger {
    // pino does not pass child bindings through the log formatter: redact them here.
    const fields = redactSecrets(this.#logContextFields) as Record<string, unknown>;
    return this.#baseLogger.child({ ...fields, jobId: this.job.id, room: this.job.room.name });
  }

  #launchEntrypoints(participant: RemoteParticipant, entrypoints: ReadonlyMap<ParticipantEntrypoint, readonly ParticipantKind[]>): void {
    if (this.signal.aborted) return;
    for (const [entrypoint, kinds] of entrypoints) {
      if (!kinds.includes(participant.kind)) continue;
      const task = this._track(this.runAsJob(async () => entrypoint(this as JobContext, participant)));
      task.catch((error: unknown) =>
        this.#control.report(new HookError('participant entrypoint', `job ${this.job.id} (${participant.identity})`, error), 'participant'),
      );
    }
  }
}
