/**
 * A real Worker against the fake LiveKit dispatcher, running real jobs in this process
 * (InProcessExecutor on LocalRooms), with what it reports collected.
 */
import { Writable } from 'node:stream';
import { vi } from 'vitest';
import {
  AgentServer,
  LocalRoom,
  createLogger,
  type AgentServerOptions,
  type Entrypoint,
  type VoxstateError,
} from '../../src/index.js';
import { InProcessExecutor } from '../../src/worker/in_process_executor.js';
import type { JobEnd, RunningJobInfo } from '../../src/worker/running_job.js';
import { Worker, type WorkerRunOptions, type WorkerState } from '../../src/worker/worker.js';
import { FakeLiveKitServer } from '../support/fake_livekit_server.js';

export const API_KEY = 'APIworkerTest';
export const API_SECRET = 'worker-test-secret-0123456789abcdefghijklmnop';

export interface WorldOptions {
  server?: AgentServerOptions<Record<string, unknown>>;
  worker?: Partial<WorkerRunOptions>;
  agentName?: string;
  entrypoint?: Entrypoint;
  autoRegister?: boolean;
  /** Worker credentials (default: the fake server's). */
  apiSecret?: string;
  /** The executor cannot make rooms: every launch fails. */
  roomFactoryFails?: boolean;
  /** Start run() at once (default true). */
  run?: boolean;
}

/** The job keeps running (in its room) until it is shut down. */
export const stayInRoom: Entrypoint = async (ctx) => {
  await ctx.connect();
};

/** The worlds started and not yet closed by closeWorlds(). */
const open = new Set<World>();

/** Closes every world the test started, with real timers back first: give it to afterEach. */
export async function closeWorlds(): Promise<void> {
  vi.useRealTimers();
  const worlds = [...open];
  open.clear();
  await Promise.all(worlds.map((world) => world.close()));
}

export class World {
  readonly errors: VoxstateError[] = [];
  readonly states: WorkerState[] = [];
  readonly started: string[] = [];
  readonly ended: Array<[string, JobEnd]> = [];
  readonly rooms = new Map<string, LocalRoom>();
  /** What the executor was asked to run. */
  readonly infos: RunningJobInfo[] = [];
  readonly logs: Array<Record<string, unknown>> = [];
  readonly logText: string[] = [];
  running: Promise<void> | undefined;
  /** How run() ended: 'resolved', or the error it rejected with. */
  outcome: 'resolved' | unknown = undefined;

  private constructor(
    readonly livekit: FakeLiveKitServer,
    readonly server: AgentServer,
    readonly executor: InProcessExecutor,
    readonly worker: Worker,
  ) {}

  static async start(options: WorldOptions = {}): Promise<World> {
    const livekit = await FakeLiveKitServer.start({ apiKey: API_KEY, apiSecret: API_SECRET, autoRegister: options.autoRegister ?? true });
    // The machine's real CPU load would make answers depend on what else runs: a fixed load unless a test sets one.
    const server = new AgentServer({ loadFnc: () => 0, ...options.server });
    server.rtcSession(options.entrypoint ?? stayInRoom, { agentName: options.agentName ?? '' });
    const logText: string[] = [];
    const logs: Array<Record<string, unknown>> = [];
    const logger = createLogger(
      new Writable({
        write(chunk, _encoding, done) {
          logText.push(String(chunk));
          logs.push(JSON.parse(String(chunk)));
          done();
        },
      }),
      { level: 'debug' },
    );
    const rooms = new Map<string, LocalRoom>();
    const infos: RunningJobInfo[] = [];
    const executor = new InProcessExecutor(server, {
      roomFactory: (info) => {
        infos.push(info);
        if (options.roomFactoryFails) throw new Error('no room for you');
        const room = new LocalRoom({ name: info.job.roomName, agentIdentity: info.acceptArguments.identity });
        rooms.set(info.job.id, room);
        return room;
      },
      logger,
    });
    const worker = new Worker(server, {
      executor,
      wsUrl: livekit.url,
      apiKey: API_KEY,
      apiSecret: options.apiSecret ?? API_SECRET,
      logger,
      ...options.worker,
    });
    const world = new World(livekit, server, executor, worker);
    open.add(world);
    (world as { logs: unknown }).logs = logs;
    (world as { logText: unknown }).logText = logText;
    (world as { rooms: unknown }).rooms = rooms;
    (world as { infos: unknown }).infos = infos;
    worker.events.on('error', (error) => world.errors.push(error));
    worker.events.on('state_changed', (state) => world.states.push(state));
    worker.events.on('job_started', (jobId) => world.started.push(jobId));
    worker.events.on('job_ended', (jobId, end) => world.ended.push([jobId, end]));
    if (options.run ?? true) world.run();
    return world;
  }

  run(): Promise<void> {
    this.running = this.worker.run();
    this.running.then(
      () => (this.outcome = 'resolved'),
      (error: unknown) => (this.outcome = error),
    );
    return this.running;
  }

  /** Resolves once the worker is in `state`. */
  until(state: WorkerState): Promise<void> {
    if (this.worker.status.state === state) return Promise.resolve();
    return new Promise((resolve) => {
      const listener = (now: WorkerState) => {
        if (now !== state) return;
        this.worker.events.off('state_changed', listener);
        resolve();
      };
      this.worker.events.on('state_changed', listener);
    });
  }

  /** Resolves once the worker is not waiting for the answer to a keep-alive ping (LiveKit's pong has come). */
  pongReceived(): Promise<void> {
    const answered = () => !this.worker.actor.getSnapshot().matches({ online: { connection: { registered: { keepAlive: 'awaitingPong' } } } });
    if (answered()) return Promise.resolve();
    return new Promise((resolve) => {
      const subscription = this.worker.actor.subscribe(() => {
        if (!answered()) return;
        subscription.unsubscribe();
        resolve();
      });
    });
  }

  /** Resolves once `count` errors in all have been reported. */
  reported(count: number): Promise<void> {
    if (this.errors.length >= count) return Promise.resolve();
    return new Promise((resolve) => {
      const listener = () => {
        if (this.errors.length < count) return;
        this.worker.events.off('error', listener);
        resolve();
      };
      this.worker.events.on('error', listener);
    });
  }

  /** Resolves once the job has ended, with how. */
  jobEnd(jobId: string): Promise<JobEnd> {
    const found = this.ended.find(([id]) => id === jobId);
    if (found) return Promise.resolve(found[1]);
    return new Promise((resolve) => {
      const listener = (id: string, end: JobEnd) => {
        if (id !== jobId) return;
        this.worker.events.off('job_ended', listener);
        resolve(end);
      };
      this.worker.events.on('job_ended', listener);
    });
  }

  jobStarted(jobId: string): Promise<void> {
    if (this.started.includes(jobId)) return Promise.resolve();
    return new Promise((resolve) => {
      const listener = (id: string) => {
        if (id !== jobId) return;
        this.worker.events.off('job_started', listener);
        resolve();
      };
      this.worker.events.on('job_started', listener);
    });
  }

  /** Offers, accepts (by the worker's requestFnc) and assigns a job; resolves once it runs. */
  async startJob(jobId: string, metadata = ''): Promise<void> {
    const answer = await this.livekit.ask({ id: jobId, metadata });
    if (!answer.available) throw new Error(`the worker declined ${jobId}`);
    this.livekit.assign({ id: jobId, metadata });
    await this.jobStarted(jobId);
  }

  async close(): Promise<void> {
    await this.worker.aclose();
    await this.livekit.close();
  }
}
