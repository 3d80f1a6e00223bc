/**
 * The child's side of a job process (or thread): imports the agent module, runs its setupFnc,
 * runs one job in the room the parent names, reports the job's progress and end, answers pings
 * with its memory use, and exits. Whatever goes wrong is reported to the parent before exiting.
 */
import { describe } from '../errors.js';
import type { Job } from '../job/job.js';
import type { JobState } from '../../machines/job.js';
import { log, type Logger } from '../log/logger.js';
import { LocalRoom } from '../room/local_room.js';
import type { Room } from '../room/room.js';
import type { AgentServer } from '../server/agent_server.js';
import { loadAgentServer } from '../server/agent_module.js';
import { dispatchedJob, type RunningJobInfo } from '../worker/running_job.js';
import { parseParentMessage, type ChildMessage, type ParentMessage, type RoomKind } from './ipc_messages.js';

/** The child's end of the link to its parent. */
export interface ParentLink {
  /** Resolves once the message is handed over (or could not be: the parent is gone). */
  send(message: ChildMessage): Promise<void>;
  /** Ends this process (thread) with `code`. */
  exit(code: number): void;
}

/** States in which the job is past its entrypoint and session: its shutdown callbacks run, or later. */
const CLOSING_STATES: ReadonlySet<JobState> = new Set(['shuttingDown.runningCallbacks', 'shuttingDown.disconnectingRoom', 'done']);

// Resolved at run time (a variable specifier), so the LiveKit SDK loads only in processes that join LiveKit.
const LIVEKIT_ROOM_MODULE = '../room/livekit_room.js';

export class JobRunner {
  readonly #link: ParentLink;
  #server: AgentServer | undefined;
  #room: RoomKind = 'livekit';
  #shutdownProcessTimeout = 10_000;
  #phase: 'waiting' | 'initializing' | 'idle' | 'starting' | 'running' | 'leaving' = 'waiting';
  #job: Job | undefined;
  #pendingShutdown: string | undefined;

  constructor(link: ParentLink) {
    this.#link = link;
  }

  /** Handles one message from the parent; a malformed one is logged and ignored. */
  receive(raw: unknown): void {
    let message: ParentMessage;
    try {
      message = parseParentMessage(raw);
    } catch (error) {
      log().error({ err: error }, (error as Error).message);
      return;
    }
    switch (message.type) {
      case 'ping': {
        const { rss, heapUsed } = process.memoryUsage();
        void this.#link.send({ type: 'pong', timestamp: message.timestamp, memory: { rss, heapUsed } });
        return;
      }
      case 'initialize':
        void this.#initialize(message);
        return;
      case 'startJob':
        void this.#startJob(message.info);
        return;
      case 'shutdown':
        this.#shutdown(message.reason);
        return;
    }
  }

  /**
   * The parent is gone (or the system asked this process to stop): the job shuts down by itself,
   * bounded by shutdownProcessTimeout since nobody else will kill this process.
   */
  leave(reason: string): void {
    if (this.#phase === 'leaving') return;
    this.#log().warn({ reason }, 'job process leaving on its own');
    const job = this.#job;
    this.#phase = 'leaving';
    if (job === undefined) return this.#link.exit(1);
    setTimeout(() => {
      this.#log().error({ timeoutMs: this.#shutdownProcessTimeout }, 'the job did not shut down in time; exiting');
      this.#link.exit(1);
    }, this.#shutdownProcessTimeout);
    job.requestShutdown(reason, 'worker');
  }

  /** An error nobody caught: reported to the parent, then this process (thread) ends. */
  async crash(error: unknown): Promise<void> {
    this.#log().error({ err: error }, `uncaught error in the job process: ${describe(error)}`);
    await this.#link.send({ type: 'uncaughtError', error: describe(error) });
    this.#link.exit(1);
  }

  async #initialize({ module, entry, room, shutdownProcessTimeout }: Extract<ParentMessage, { type: 'initialize' }>): Promise<void> {
    if (this.#phase !== 'waiting') {
      log().error('initialize received twice; ignored');
      return;
    }
    this.#phase = 'initializing';
    this.#room = room;
    this.#shutdownProcessTimeout = shutdownProcessTimeout;
    try {
      const server = await loadAgentServer(module, entry, shutdownProcessTimeout);
      await server.prewarm();
      // An idle process waits warm: its job then starts in about a third of the time.
      await server._warmJobPath();
      this.#server = server;
    } catch (error) {
      log().error({ err: error }, `job process setup failed: ${describe(error)}`);
      await this.#link.send({ type: 'initializeFailed', error: describe(error) });
      return this.#link.exit(1);
    }
    if (this.#phase !== 'initializing') return; // left meanwhile
    this.#phase = 'idle';
    await this.#link.send({ type: 'initialized' });
  }

  async #startJob(info: RunningJobInfo): Promise<void> {
    const server = this.#server;
    if (this.#phase !== 'idle' || server === undefined) {
      log().error({ phase: this.#phase }, 'startJob received while the process is not idle; ignored');
      return;
    }
    this.#phase = 'starting';
    let job: Job;
    try {
      const room = await this.#openRoom(info);
      job = await server.startJob({ room, job: dispatchedJob(info) });
    } catch (error) {
      log().error({ err: error, jobId: info.job.id }, `the job could not start: ${describe(error)}`);
      await this.#link.send({ type: 'jobEnded', status: 'failed', reason: 'job could not start', error: describe(error) });
      return this.#link.exit(1);
    }
    this.#job = job;
    if (this.#phase === 'starting') this.#phase = 'running';
    await this.#link.send({ type: 'jobStarted', jobId: job.ctx.job.id });
    // The job may have moved on already (an entrypoint that shuts down at once): report in order.
    let shuttingDown = false;
    let closing = false;
    const report = (state: JobState) => {
      if (!shuttingDown && state !== 'pending' && state !== 'connecting' && state !== 'running') {
        shuttingDown = true;
        void this.#link.send({ type: 'jobShuttingDown', reason: job.actor.getSnapshot().context.reason ?? 'unknown' });
      }
      if (!closing && CLOSING_STATES.has(state)) {
        closing = true;
        void this.#link.send({ type: 'jobClosing' });
      }
    };
    job.ctx.on('state_changed', ({ newState }) => report(newState));
    report(job.state);
    if (this.#pendingShutdown !== undefined) job.requestShutdown(this.#pendingShutdown, 'worker');
    const result = await job.result;
    await this.#link.send({
      type: 'jobEnded',
      status: result.status,
      reason: result.reason,
      error: result.error === undefined ? undefined : describe(result.error),
    });
    this.#link.exit(0);
  }

  async #openRoom(info: RunningJobInfo): Promise<Room> {
    const name = info.job.roomName;
    if (this.#room === 'local') return new LocalRoom({ name, ...(info.acceptArguments.identity ? { agentIdentity: info.acceptArguments.identity } : {}) });
    const { LiveKitRoom } = (await import(LIVEKIT_ROOM_MODULE)) as {
      LiveKitRoom: new (options: { url: string; token: string; name: string }) => Room;
    };
    return new LiveKitRoom({ url: info.url, token: info.token, name });
  }

  /**
   * Where the runner logs: once a job runs, the job's logger (its id, room, context fields), since
   * what the runner says then (a crash, leaving) is about that job, wherever it is called from.
   */
  #log(): Logger {
    return this.#job?.ctx.logger ?? log();
  }

  #shutdown(reason: string): void {
    switch (this.#phase) {
      case 'running':
        this.#job?.requestShutdown(reason, 'worker');
        return;
      case 'starting':
        this.#pendingShutdown ??= reason;
        return;
      case 'leaving':
        return;
      default:
        // No job: nothing to wind down.
        this.#phase = 'leaving';
        this.#link.exit(0);
    }
  }
}
