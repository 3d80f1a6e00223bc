/**
 * The child's side of a job process (or thread): imports the agent module, runs its setupFnc,
 * runs one job in the room the parent names, reports the job's progress and end, answers pings
 * with its memory use, and exits. Whatever goes wrong is reported to the parent before exiting.
 * Where it is (waiting, initializing, idle, starting, running, leaving) is machines/job_runner.ts.
 */
import type { Actor } from 'xstate';
import { jobRunnerMachine, type JobRunnerMachineEvent } from '../../machines/job_runner.js';
import { hostOf, startActor } from '../actors/start_actor.js';
import { describe } from '../errors.js';
import type { Job } from '../job/job.js';
import type { JobState } from '../../machines/job.js';
import { log, type Logger } from '../log/logger.js';
import { LocalRoom } from '../room/local_room.js';
import type { Room } from '../room/room.js';
import type { AgentServer } from '../server/agent_server.js';
import { loadAgentServer } from '../server/agent_module.js';
import { dispatchedJob, type RunningJobInfo } from '../worker/running_job.js';
import { collectIdleHeap } from './idle_heap.js';
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

/** How often an idle process runs the job path before it waits: thread start p50 2.4 → 1.8 ms, +15 ms of setup. */
const WARM_RUNS = 20;

// Resolved at run time (a variable specifier), so the LiveKit SDK loads only in processes that join LiveKit.
const LIVEKIT_ROOM_MODULE = '../room/livekit_room.js';

export class JobRunner {
  static readonly #machine = jobRunnerMachine.provide({
    actions: {
      shutDownJob: ({ system }, { reason }) => hostOf<JobRunner>(system).#job?.requestShutdown(reason, 'worker'),
      announceLeaving: ({ system }, { reason }) => hostOf<JobRunner>(system).#log().warn({ reason }, 'job process leaving on its own'),
      announceOverdue: ({ context, system }) =>
        hostOf<JobRunner>(system).#log().error({ timeoutMs: context.shutdownProcessTimeout }, 'the job did not shut down in time; exiting'),
      exit: ({ system }, { code }) => hostOf<JobRunner>(system).#link.exit(code),
    },
  });

  readonly #link: ParentLink;
  #server: AgentServer | undefined;
  #room: RoomKind = 'livekit';
  #job: Job | undefined;
  readonly #actor: Actor<typeof jobRunnerMachine>;

  constructor(link: ParentLink) {
    this.#link = link;
    this.#actor = startActor(JobRunner.#machine, {
      name: 'job runner',
      host: this,
      input: undefined,
      onError: (error) => this.#log().error({ err: error }, `job runner: ${describe(error)}`),
    });
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
    this.#accept({ type: 'parent.gone', reason });
  }

  /** An error nobody caught: reported to the parent, then this process (thread) ends. */
  async crash(error: unknown): Promise<void> {
    this.#log().error({ err: error }, `uncaught error in the job process: ${describe(error)}`);
    await this.#link.send({ type: 'uncaughtError', error: describe(error) });
    this.#link.exit(1);
  }

  async #initialize({ module, entry, room, shutdownProcessTimeout }: Extract<ParentMessage, { type: 'initialize' }>): Promise<void> {
    if (!this.#accept({ type: 'initialize', shutdownProcessTimeout })) {
      log().error('initialize received twice; ignored');
      return;
    }
    this.#room = room;
    try {
      const server = await loadAgentServer(module, entry, shutdownProcessTimeout);
      await server.prewarm();
      // An idle process waits warm: its job then starts in about a third of the time. Run once,
      // the path is warm but still interpreted; V8 compiles it after a few runs (~1 ms each).
      for (let run = 0; run < WARM_RUNS; run++) await server._warmJobPath();
      collectIdleHeap();
      this.#server = server;
    } catch (error) {
      log().error({ err: error }, `job process setup failed: ${describe(error)}`);
      await this.#link.send({ type: 'initializeFailed', error: describe(error) });
      return this.#link.exit(1);
    }
    if (!this.#accept({ type: 'initialized' })) return; // left meanwhile
    await this.#link.send({ type: 'initialized' });
  }

  async #startJob(info: RunningJobInfo): Promise<void> {
    const server = this.#server;
    if (server === undefined || !this.#accept({ type: 'startJob' })) {
      log().error({ phase: this.#actor.getSnapshot().value }, 'startJob received while the process is not idle; ignored');
      return;
    }
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
    // The parent knows it started and hears how it goes: a shutdown asked for meanwhile reaches it now.
    this.#accept({ type: 'job.started' });
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
    this.#accept({ type: 'shutdown', reason });
  }

  /** Sends `event` if the runner takes it where it is now (a process that is gone takes nothing); says whether it did. */
  #accept(event: JobRunnerMachineEvent): boolean {
    if (!this.#actor.getSnapshot().can(event)) return false;
    this.#actor.send(event);
    return true;
  }
}
