/**
 * The worker verbs (start, dev, connect): their options, the health server (on all interfaces in
 * start, for container probes; on 127.0.0.1 in dev; the inspector always on 127.0.0.1), signals
 * (drain in start, none in dev, a second signal exits at once), the real Worker against a LiveKit
 * that refuses connections, and the CLI as a child process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter as NodeEmitter } from 'node:events';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseWorkerArgs, runWorker, type WorkerLike, type WorkerRuntime } from '../../src/cli/run_worker.js';
import { UsageError } from '../../src/cli/usage_error.js';
import { EventEmitter } from '../../src/events/emitter.js';
import { rootLogger, setRootLogger } from '../../src/log/logger.js';
import { LocalRoom } from '../../src/room/local_room.js';
import { AgentServer } from '../../src/server/agent_server.js';
import { InProcessExecutor } from '../../src/worker/in_process_executor.js';
import type { JobExecutor } from '../../src/worker/running_job.js';
import type { WorkerEvents, WorkerRunOptions, WorkerStatusInfo } from '../../src/worker/worker.js';
import { JobStatus, WorkerStatus } from '@livekit/protocol';
import { ProcessPool } from '../../src/ipc/process_pool.js';
import { FakeLiveKitServer } from '../support/fake_livekit_server.js';
import { offlineEnv } from '../support/offline.js';
import { server as scriptedServer } from '../fixtures/agents/scripted_agent.js';

/** Idle processes of a production worker by default, as both LiveKit SDKs: the CPUs, up to 4. */
const IDLE = Math.min(availableParallelism(), 4);

const ENV = { LIVEKIT_URL: 'ws://127.0.0.1:7880', LIVEKIT_API_KEY: 'APIkey', LIVEKIT_API_SECRET: 'topsecret-value' };

describe('parseWorkerArgs', () => {
  it('takes the credentials from the environment, flags win (both --flag value and --flag=value)', () => {
    expect(parseWorkerArgs('start', [], ENV)).toEqual({
      mode: 'start',
      url: ENV.LIVEKIT_URL,
      apiKey: 'APIkey',
      apiSecret: 'topsecret-value',
      logLevel: 'info',
      host: '0.0.0.0',
      port: 8081,
    });
    const dev = parseWorkerArgs('dev', ['--url', 'wss://x.livekit.cloud', '--api-key=k2', '--api-secret', 's2', '--port', '0', '--host', '0.0.0.0'], ENV);
    expect(dev).toMatchObject({ mode: 'dev', url: 'wss://x.livekit.cloud', apiKey: 'k2', apiSecret: 's2', port: 0, host: '0.0.0.0', logLevel: 'debug' });
    expect(parseWorkerArgs('dev', [], ENV)).toMatchObject({ host: '127.0.0.1', port: 0 });
    expect(parseWorkerArgs('connect', ['--room', 'r1'], ENV).host).toBe('127.0.0.1');
    expect(parseWorkerArgs('start', ['--host', '127.0.0.1'], ENV).host).toBe('127.0.0.1');
    expect(parseWorkerArgs('start', ['--log-level', 'warn'], { ...ENV, LOG_LEVEL: 'error' }).logLevel).toBe('warn');
    expect(parseWorkerArgs('start', [], { ...ENV, LOG_LEVEL: 'error' }).logLevel).toBe('error');
    expect(parseWorkerArgs('connect', ['--room', 'r1', '--participant-identity', 'bob'], ENV)).toMatchObject({ room: 'r1', participantIdentity: 'bob' });
  });

  it('the server options come between the flags and the environment', () => {
    const server = new AgentServer({ wsUrl: 'ws://from-options:1', port: 9000, host: '::1' });
    expect(parseWorkerArgs('start', [], ENV, server)).toMatchObject({ url: 'ws://from-options:1', port: 9000, host: '::1' });
  });

  it("the server's logLevel comes after the flag and LOG_LEVEL, before the verb's default", () => {
    const server = new AgentServer({ logLevel: 'warn' });
    expect(parseWorkerArgs('dev', [], ENV, server).logLevel).toBe('warn');
    expect(parseWorkerArgs('dev', [], { ...ENV, LOG_LEVEL: 'error' }, server).logLevel).toBe('error');
    expect(parseWorkerArgs('dev', ['--log-level', 'trace'], { ...ENV, LOG_LEVEL: 'error' }, server).logLevel).toBe('trace');
    expect(() => parseWorkerArgs('dev', [], ENV, new AgentServer({ logLevel: 'loud' }))).toThrow('--log-level must be one of');
  });

  it('missing credentials name what to set (and never echo a secret)', () => {
    const error = (() => {
      try {
        parseWorkerArgs('start', [], { LIVEKIT_API_SECRET: 'topsecret-value' });
      } catch (e) {
        return e as UsageError;
      }
    })();
    expect(error).toBeInstanceOf(UsageError);
    expect(error!.message).toBe('"start" needs the LiveKit server and its API credentials: set --url (or LIVEKIT_URL), --api-key (or LIVEKIT_API_KEY)');
  });

  it('bad input is a UsageError', () => {
    const bad: Array<[Parameters<typeof parseWorkerArgs>[0], string[], RegExp]> = [
      ['start', ['--frobnicate'], /unknown option for "start": --frobnicate/],
      ['start', ['--url'], /--url needs a value/],
      ['start', ['--url', '--port', '1'], /--url needs a value/],
      ['start', ['--url', 'localhost:7880'], /--url must be a ws/],
      ['start', ['--port', 'x'], /--port must be an integer/],
      ['start', ['--port', '70000'], /--port must be an integer/],
      ['start', ['--log-level', 'loud'], /--log-level must be one of/],
      ['connect', [], /"connect" needs --room NAME/],
      ['dev', ['--room', 'r'], /options of "connect", not "dev"/],
    ];
    for (const [mode, args, message] of bad) expect(() => parseWorkerArgs(mode, args, ENV), args.join(' ')).toThrow(message);
  });
});

/** Resolves once `check` holds, checked again each time `wake` is called. */
class Condition {
  readonly #waiters: Array<{ check: () => boolean; resolve: () => void }> = [];
  until(check: () => boolean): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ check, resolve }));
  }
  wake(): void {
    for (const waiter of this.#waiters.splice(0)) {
      if (waiter.check()) waiter.resolve();
      else this.#waiters.push(waiter);
    }
  }
}

/** A worker stand-in: run() ends with aclose(); drain() ends when the test says. */
class FakeWorker implements WorkerLike {
  readonly events = new EventEmitter<WorkerEvents>();
  readonly calls: string[] = [];
  readonly #called = new Condition();
  drainGate: Promise<void> = Promise.resolve();
  failWith: Error | undefined;
  #close!: () => void;
  readonly #closed = new Promise<void>((resolve) => (this.#close = resolve));
  constructor(readonly options: WorkerRunOptions) {}
  get status(): WorkerStatusInfo {
    return { agentName: 'fake', workerId: 'AW_fake', state: 'online' as never, activeJobs: 1, load: 0.1, version: '9.9.9', healthy: true };
  }
  /** Resolves once `call` has been made. */
  called(call: string): Promise<void> {
    return this.#called.until(() => this.calls.includes(call));
  }
  #call(call: string): void {
    this.calls.push(call);
    this.#called.wake();
  }
  run(): Promise<void> {
    this.#call('run');
    return this.failWith ? Promise.reject(this.failWith) : this.#closed;
  }
  async drain(): Promise<void> {
    this.#call('drain');
    await this.drainGate;
  }
  async aclose(): Promise<void> {
    this.#call('aclose');
    this.#close();
  }
  async simulateJob(room: string, identity?: string): Promise<void> {
    this.#call(`simulateJob ${room} ${identity ?? ''}`);
  }
}

function harness(configure: (worker: FakeWorker) => void = () => {}) {
  const signals = new NodeEmitter();
  const exits: number[] = [];
  let log = '';
  const logged = new Condition();
  const logStream = new Writable({
    write(chunk, _e, done) {
      log += String(chunk);
      logged.wake();
      done();
    },
  });
  const executor: JobExecutor = { start: async () => {}, launch: async () => Promise.reject(new Error('no')), activeJobs: 0, close: async () => {} };
  const settings: unknown[] = [];
  let worker: FakeWorker | undefined;
  const runtime: Partial<WorkerRuntime> = {
    createExecutor: async (_server, s) => {
      settings.push({ numIdleProcesses: s.numIdleProcesses, ...(s.inProcess ? { inProcess: true } : {}) });
      return executor;
    },
    createWorker: async (_server, options) => {
      worker = new FakeWorker(options);
      configure(worker);
      return worker;
    },
    signals: signals as never,
    exit: (code) => exits.push(code),
    logStream,
  };
  // Loading the worker's modules on first use (and the inspector's, with --inspect) takes a moment: awaited, however long.
  const started = () => logged.until(() => log.includes('worker starting'));
  return { runtime, signals, exits, settings, log: () => log, worker: () => worker!, started };
}

/** A probe from this host: a server bound to all interfaces is reached on 127.0.0.1. */
const local = (url: string) => url.replace('//0.0.0.0:', '//127.0.0.1:');

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(local(url));
  return { status: res.status, body: await res.text() };
}

let savedLogger: ReturnType<typeof rootLogger>;
beforeEach(() => {
  savedLogger = rootLogger();
  for (const key of ['LIVEKIT_URL', 'LIVEKIT_API_KEY', 'LIVEKIT_API_SECRET', 'LIVEKIT_DEV_MODE']) vi.stubEnv(key, '');
  return () => {
    vi.unstubAllEnvs();
    setRootLogger(savedLogger);
  };
});

describe('runWorker (worker stand-in)', () => {
  it('start: the CPUs (up to 4) as idle processes, threshold 0.7, health server, JSON logs; SIGTERM drains, then closes; exit 0', async () => {
    const h = harness();
    const running = runWorker(new AgentServer(), parseWorkerArgs('start', ['--port', '0'], ENV), h.runtime);
    await h.started();
    expect(h.settings).toEqual([{ numIdleProcesses: IDLE }]);
    expect(h.worker().options).toMatchObject({ wsUrl: ENV.LIVEKIT_URL, apiKey: 'APIkey', apiSecret: 'topsecret-value', loadThreshold: 0.7 });
    const started = JSON.parse(h.log().trim().split('\n').find((line) => line.includes('worker starting'))!);
    expect(started).toMatchObject({ mode: 'start', url: ENV.LIVEKIT_URL, numIdleProcesses: IDLE });
    // All interfaces: a container probe on the pod's address reaches it.
    expect(new URL(started.health).hostname).toBe('0.0.0.0');
    expect(await get(started.health)).toEqual({ status: 200, body: 'OK' });
    expect(JSON.parse((await get(`${started.health}worker`)).body)).toMatchObject({ workerId: 'AW_fake', activeJobs: 1, version: '9.9.9' });
    expect(process.env.LIVEKIT_API_SECRET).toBe('topsecret-value'); // for the job processes
    h.signals.emit('SIGTERM', 'SIGTERM');
    expect(await running).toBe(0);
    expect(h.worker().calls).toEqual(['run', 'drain', 'aclose']);
    expect(h.exits).toEqual([]);
    await expect(fetch(local(started.health))).rejects.toThrow();
    expect(h.log()).toContain('draining the worker');
    expect(h.log()).not.toContain('topsecret-value');
    expect(h.log()).not.toContain('APIkey');
  });

  it('start: a second signal while draining exits at once with code 1', async () => {
    let release!: () => void;
    const h = harness((worker) => (worker.drainGate = new Promise<void>((resolve) => (release = resolve))));
    const running = runWorker(new AgentServer(), parseWorkerArgs('start', ['--port', '0'], ENV), h.runtime);
    await h.started();
    h.signals.emit('SIGINT', 'SIGINT');
    await h.worker().called('drain');
    h.signals.emit('SIGINT', 'SIGINT');
    expect(h.exits).toEqual([1]);
    release();
    expect(await running).toBe(0);
  });

  it('dev: no idle processes, no load threshold, pretty logs; a signal closes without draining', async () => {
    const h = harness();
    const running = runWorker(new AgentServer(), parseWorkerArgs('dev', [], ENV), h.runtime);
    await h.started();
    expect(h.settings).toEqual([{ numIdleProcesses: 0 }]);
    expect(h.worker().options.loadThreshold).toBe(Number.POSITIVE_INFINITY);
    expect(process.env.LIVEKIT_DEV_MODE).toBe('1');
    expect(h.log()).toMatch(/INFO.*worker starting/);
    expect(h.log()).toMatch(/health: "http:\/\/127\.0\.0\.1:\d+\/"/);
    expect(() => JSON.parse(h.log().split('\n')[0]!)).toThrow();
    h.signals.emit('SIGINT', 'SIGINT');
    expect(await running).toBe(0);
    expect(h.worker().calls).toEqual(['run', 'aclose']);
  });

  it('dev --inspect: the inspector page is served while the worker runs (on 127.0.0.1, whatever --host says), jobs run in this process; closed with the worker', async () => {
    const h = harness();
    const running = runWorker(new AgentServer(), parseWorkerArgs('dev', ['--inspect', '--inspect-port', '0', '--host', '0.0.0.0'], ENV), h.runtime);
    await h.started();
    expect(h.log()).toMatch(/health: "http:\/\/0\.0\.0\.0:\d+\/"/);
    expect(h.settings).toEqual([{ numIdleProcesses: 0, inProcess: true }]);
    expect(h.log()).toContain('--inspect: jobs run in the worker process');
    const page = /inspector: "?(http:\/\/127\.0\.0\.1:\d+\/)/.exec(h.log())?.[1];
    expect(page, h.log()).toBeDefined();
    const { status, body } = await get(page!);
    expect(status).toBe(200);
    expect(body).toContain('voxstate');
    h.signals.emit('SIGINT', 'SIGINT');
    expect(await running).toBe(0);
    await expect(fetch(page!)).rejects.toThrow();
  });

  it('--inspect is refused for start; --inspect-port needs --inspect', () => {
    expect(() => parseWorkerArgs('start', ['--inspect'], ENV)).toThrow(UsageError);
    expect(() => parseWorkerArgs('dev', ['--inspect-port', '9000'], ENV)).toThrow('--inspect-port goes with --inspect');
    expect(parseWorkerArgs('connect', ['--room', 'r', '--inspect'], ENV).inspectPort).toBe(8080);
  });

  it('the server options win over the mode defaults', async () => {
    const h = harness();
    const server = new AgentServer({ numIdleProcesses: 1, loadThreshold: 0.5 });
    const running = runWorker(server, parseWorkerArgs('dev', [], ENV), h.runtime);
    await h.started();
    expect(h.settings).toEqual([{ numIdleProcesses: 1 }]);
    expect(h.worker().options.loadThreshold).toBe(0.5);
    h.signals.emit('SIGTERM', 'SIGTERM');
    await running;
  });

  it('connect: once registered, asks LiveKit for a job in the room', async () => {
    const h = harness();
    const running = runWorker(new AgentServer(), parseWorkerArgs('connect', ['--room', 'my-room', '--participant-identity', 'bob'], ENV), h.runtime);
    await h.started();
    expect(h.worker().calls).toEqual(['run']);
    h.worker().events.emit('registered', 'AW_1');
    await h.worker().called('simulateJob my-room bob');
    h.signals.emit('SIGTERM', 'SIGTERM');
    expect(await running).toBe(0);
  });

  it('a worker that fails (LiveKit unreachable) exits 1 with a fatal log line', async () => {
    const h = harness((worker) => (worker.failWith = new Error('LiveKit unreachable after 16 attempts')));
    expect(await runWorker(new AgentServer(), parseWorkerArgs('start', ['--port', '0'], ENV), h.runtime)).toBe(1);
    const fatal = JSON.parse(h.log().trim().split('\n').find((line) => line.includes('worker failed'))!);
    expect(fatal).toMatchObject({ level: 60, msg: 'worker failed: LiveKit unreachable after 16 attempts' });
  });

  it('a health port in use: a typed error, the worker is closed', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const port = String((blocker.address() as { port: number }).port);
      const h = harness();
      await expect(runWorker(new AgentServer(), parseWorkerArgs('start', ['--port', port], ENV), h.runtime)).rejects.toMatchObject({ code: 'health_server_failed' });
      expect(h.worker().calls).toEqual(['aclose']);
    } finally {
      blocker.close();
    }
  });
});

describe('runWorker with the real Worker', () => {
  it('start against a LiveKit that refuses connections: health up, SIGTERM drains and exits 0', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const refused = `ws://127.0.0.1:${(probe.address() as { port: number }).port}`;
    await new Promise((resolve) => probe.close(resolve));
    const server = new AgentServer();
    server.rtcSession(async () => {});
    const h = harness();
    const runtime = { ...h.runtime };
    delete runtime.createWorker;
    runtime.createExecutor = async (s) => new InProcessExecutor(s, { roomFactory: () => new LocalRoom() });
    const running = runWorker(server, parseWorkerArgs('start', ['--port', '0', '--url', refused], ENV), runtime);
    await h.started();
    const health = JSON.parse(h.log().split('\n').find((line) => line.includes('worker starting'))!).health as string;
    expect((await get(health)).status).toBe(200);
    const info = JSON.parse((await get(`${health}worker`)).body);
    expect(info).toMatchObject({ activeJobs: 0, healthy: true });
    h.signals.emit('SIGTERM', 'SIGTERM');
    expect(await running).toBe(0);
    expect(h.log()).toContain('draining the worker');
    expect(h.log()).not.toContain('topsecret-value');
  }, 10_000);
});

/** The CLI processes a test started; any still running after it (a failed test) is killed. */
const children = new Set<ChildProcess>();
afterEach(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
});

function cli(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/basic_event.ts', ...args], {
    cwd: new URL('../..', import.meta.url),
    env: { ...offlineEnv({ FORCE_COLOR: '0' }), LIVEKIT_URL: '', LIVEKIT_API_KEY: '', LIVEKIT_API_SECRET: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk) => (out += String(chunk)));
  child.stderr.on('data', (chunk) => (err += String(chunk)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, out: () => out, err: () => err };
}

describe('the CLI (child process)', () => {
  it('start without credentials: one line naming what to set, exit 2, no stack', async () => {
    const run = cli(['start'], {});
    expect(await run.exited).toBe(2);
    expect(run.err().trim()).toBe(
      '"start" needs the LiveKit server and its API credentials: set --url (or LIVEKIT_URL), --api-key (or LIVEKIT_API_KEY), --api-secret (or LIVEKIT_API_SECRET)',
    );
  }, 15_000);

  it('connect without --room: exit 2', async () => {
    const run = cli(['connect'], ENV);
    expect(await run.exited).toBe(2);
    expect(run.err()).toContain('"connect" needs --room NAME');
  }, 15_000);
});

function withoutLogLevel(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { LOG_LEVEL: _level, ...rest } = env;
  return rest;
}

const FAKE_KEY = 'APIcliTest';
const FAKE_SECRET = 'cli-test-secret-0123456789abcdefghijklmnopqrstuv';

describe('runWorker against the fake LiveKit dispatcher, jobs in a process pool', () => {
  let livekit: FakeLiveKitServer | undefined;
  // The machine's CPU use (the default load) would make the worker decline jobs on a busy test machine.
  const { loadFnc } = scriptedServer.options;
  beforeEach(() => {
    scriptedServer.options.loadFnc = () => 0.1;
  });
  afterEach(async () => {
    scriptedServer.options.loadFnc = loadFnc;
    await livekit?.close();
    livekit = undefined;
  });

  it('start: registers, runs an assigned job; SIGTERM reports full and waits for the job, then exits 0', async () => {
    livekit = await FakeLiveKitServer.start({ apiKey: FAKE_KEY, apiSecret: FAKE_SECRET });
    const h = harness();
    const settings: number[] = [];
    const runtime = { ...h.runtime };
    delete runtime.createWorker;
    runtime.createExecutor = async (server, s) => {
      settings.push(s.numIdleProcesses);
      // One idle process (not the default of start mode), and an in-process room in the job (no LiveKit media server here).
      return new ProcessPool(server, { room: 'local', numIdleProcesses: 1, logger: s.logger, initializeProcessTimeout: 5_000, shutdownProcessTimeout: 2_000 });
    };
    const options = parseWorkerArgs('start', ['--port', '0', '--url', livekit.url, '--api-key', FAKE_KEY, '--api-secret', FAKE_SECRET], {});
    const running = runWorker(scriptedServer, options, runtime);
    await livekit.next('register');
    expect(settings).toEqual([IDLE]);
    await h.started();
    const health = JSON.parse(h.log().split('\n').find((line) => line.includes('worker starting'))!).health as string;
    // Its first status report comes once it is registered.
    await livekit.next('updateWorker');
    expect(JSON.parse((await get(`${health}worker`)).body)).toMatchObject({ workerId: 'AW_fake1' });

    expect(await livekit.ask({ id: 'J1', roomName: 'room-J1', metadata: '{}' })).toMatchObject({ available: true });
    livekit.assign({ id: 'J1', roomName: 'room-J1', metadata: '{}' });
    await livekit.next('updateJob', (update) => update.jobId === 'J1' && update.status === JobStatus.JS_RUNNING);
    expect(JSON.parse((await get(`${health}worker`)).body)).toMatchObject({ activeJobs: 1 });

    h.signals.emit('SIGTERM', 'SIGTERM');
    await livekit.next('updateWorker', (update) => update.status === WorkerStatus.WS_FULL);
    let exited = false;
    void running.then(() => (exited = true));
    // Draining, with the job still running: the worker has not exited.
    expect(JSON.parse((await get(`${health}worker`)).body)).toMatchObject({ state: 'draining', activeJobs: 1 });
    expect(exited).toBe(false); // the drain waits for the running job
    livekit.terminate('J1');
    await livekit.next('updateJob', (update) => update.jobId === 'J1' && update.status === JobStatus.JS_SUCCESS);
    expect(await running).toBe(0);
    expect(h.log()).not.toContain(FAKE_SECRET);
  }, 20_000);

  it('dev: a signal shuts the running job down at once (no drain) and exits 0', async () => {
    livekit = await FakeLiveKitServer.start({ apiKey: FAKE_KEY, apiSecret: FAKE_SECRET });
    const h = harness();
    const runtime = { ...h.runtime };
    delete runtime.createWorker;
    runtime.createExecutor = async (server, s) =>
      new ProcessPool(server, { room: 'local', numIdleProcesses: s.numIdleProcesses, logger: s.logger, initializeProcessTimeout: 5_000, shutdownProcessTimeout: 2_000 });
    const options = parseWorkerArgs('dev', ['--url', livekit.url, '--api-key', FAKE_KEY, '--api-secret', FAKE_SECRET, '--log-level', 'info'], {});
    const running = runWorker(scriptedServer, options, runtime);
    await livekit.next('register');
    expect(await livekit.ask({ id: 'J2', roomName: 'room-J2', metadata: '{}' })).toMatchObject({ available: true });
    livekit.assign({ id: 'J2', roomName: 'room-J2', metadata: '{}' });
    await livekit.next('updateJob', (update) => update.jobId === 'J2' && update.status === JobStatus.JS_RUNNING);
    h.signals.emit('SIGINT', 'SIGINT');
    expect(await livekit.next('updateJob', (update) => update.jobId === 'J2' && update.status !== JobStatus.JS_RUNNING)).toMatchObject({
      status: JobStatus.JS_SUCCESS,
      error: '',
    });
    expect(await running).toBe(0);
    expect(livekit.all('updateWorker').some((update) => update.status === WorkerStatus.WS_FULL)).toBe(false);
  }, 20_000);
});

describe('createExecutor', () => {
  it("an executor other than 'process' or 'thread' is a TypeError", async () => {
    const { createExecutor } = await import('../../src/cli/worker_executor.js');
    const server = new AgentServer({ executor: 'gpu' as never });
    await expect(createExecutor(server, { numIdleProcesses: 0, logger: rootLogger() })).rejects.toThrow(/executor must be 'process' or 'thread', got "gpu"/);
  });

  it('--inspect runs jobs in this process, each in a LiveKitRoom made from its assignment', async () => {
    const { createExecutor } = await import('../../src/cli/worker_executor.js');
    const { InProcessExecutor } = await import('../../src/worker/in_process_executor.js');
    const executor = await createExecutor(new AgentServer(), { numIdleProcesses: 0, logger: rootLogger(), inProcess: true });
    expect(executor).toBeInstanceOf(InProcessExecutor);
    await executor.close('test over');
  });
});

describe('connect against the fake LiveKit dispatcher', () => {
  it('once registered, sends SimulateJobRequest for the room (and participant)', async () => {
    const livekit = await FakeLiveKitServer.start({ apiKey: FAKE_KEY, apiSecret: FAKE_SECRET });
    try {
      const h = harness();
      const runtime = { ...h.runtime };
      delete runtime.createWorker;
      runtime.createExecutor = async (server) => new InProcessExecutor(server, { roomFactory: () => new LocalRoom() });
      const server = new AgentServer();
      server.rtcSession(async () => {});
      const options = parseWorkerArgs('connect', ['--room', 'my-room', '--participant-identity', 'bob', '--url', livekit.url, '--api-key', FAKE_KEY, '--api-secret', FAKE_SECRET], {});
      const running = runWorker(server, options, runtime);
      const simulated = await livekit.next('simulateJob');
      expect(simulated.room?.name).toBe('my-room');
      expect(simulated.participant?.identity).toBe('bob');
      h.signals.emit('SIGINT', 'SIGINT');
      expect(await running).toBe(0);
    } finally {
      await livekit.close();
    }
  }, 10_000);
});

describe('the CLI against the fake LiveKit dispatcher (child process)', () => {
  let livekit: FakeLiveKitServer | undefined;
  afterEach(async () => {
    await livekit?.close();
    livekit = undefined;
  });

  function agent(args: string[], env: Record<string, string>) {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/agents/scripted_agent.ts', ...args], {
      cwd: new URL('../..', import.meta.url),
      env: { ...withoutLogLevel(offlineEnv({ FORCE_COLOR: '0' })), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let err = '';
    const waiters: Array<() => void> = [];
    child.stderr.on('data', (chunk) => {
      err += String(chunk);
      for (const wake of waiters.splice(0)) wake();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const until = async (needle: string) => {
      while (!err.includes(needle)) {
        if (child.exitCode !== null) throw new Error(`exited before "${needle}":\n${err}`);
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    };
    return { child, exited, until, err: () => err };
  }

  it('start: registers with the credentials from the environment, serves health, SIGTERM drains and exits 0', async () => {
    livekit = await FakeLiveKitServer.start({ apiKey: FAKE_KEY, apiSecret: FAKE_SECRET });
    const run = agent(['start', '--port', '0'], { LIVEKIT_URL: livekit.url, LIVEKIT_API_KEY: FAKE_KEY, LIVEKIT_API_SECRET: FAKE_SECRET });
    await livekit.next('register');
    await run.until('worker starting');
    const health = JSON.parse(run.err().split('\n').find((line) => line.includes('worker starting'))!).health as string;
    expect(new URL(health).hostname).toBe('0.0.0.0');
    expect(await get(health)).toEqual({ status: 200, body: 'OK' });
    run.child.kill('SIGTERM');
    await livekit.next('updateWorker', (update) => update.status === WorkerStatus.WS_FULL);
    expect(await run.exited).toBe(0);
    const lines = run.err().trim().split('\n').map((line) => JSON.parse(line) as { msg: string });
    expect(lines.map((line) => line.msg)).toEqual(expect.arrayContaining(['worker starting', 'draining the worker', 'worker closed']));
    expect(run.err()).not.toContain(FAKE_SECRET);
    expect(run.err()).not.toContain(FAKE_KEY);
  }, 20_000);

  it("executor: 'thread' runs the worker's jobs in threads; the CLI still drains and exits 0", async () => {
    livekit = await FakeLiveKitServer.start({ apiKey: FAKE_KEY, apiSecret: FAKE_SECRET });
    const run = agent(['start', '--port', '0', '--log-level', 'debug'], {
      LIVEKIT_URL: livekit.url,
      LIVEKIT_API_KEY: FAKE_KEY,
      LIVEKIT_API_SECRET: FAKE_SECRET,
      FIXTURE_JOB_OPTIONS: JSON.stringify({ executor: 'thread', numIdleProcesses: 1 }),
    });
    await livekit.next('register');
    await run.until('worker starting');
    expect(run.err()).toContain('"numIdleProcesses":1');
    await run.until('"threadId":');
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  }, 20_000);

  it('a refused API secret: the worker fails, exit 1, one fatal line', async () => {
    livekit = await FakeLiveKitServer.start({ apiKey: FAKE_KEY, apiSecret: FAKE_SECRET });
    const run = agent(['dev', '--port', '0', '--log-level', 'info'], {
      LIVEKIT_URL: livekit.url,
      LIVEKIT_API_KEY: FAKE_KEY,
      LIVEKIT_API_SECRET: 'wrong-secret-0123456789abcdefghijklmnopqrstuvwx',
    });
    expect(await run.exited).toBe(1);
    expect(run.err()).toMatch(/FATAL.*worker failed/);
    expect(run.err()).not.toContain('wrong-secret');
  }, 20_000);
});
