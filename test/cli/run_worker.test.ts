/**
 * The worker verbs (start, dev, connect): their options, the health server, signals (drain in
 * start, none in dev, a second signal exits at once), the real Worker against a LiveKit that
 * refuses connections, and the CLI as a child process.
 */
import { spawn } from 'node:child_process';
import { EventEmitter as NodeEmitter } from 'node:events';
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseWorkerArgs, runWorker, UsageError, type WorkerLike, type WorkerRuntime } from '../../src/cli/run_worker.js';
import { EventEmitter } from '../../src/events/emitter.js';
import { rootLogger, setRootLogger } from '../../src/log/logger.js';
import { LocalRoom } from '../../src/room/local_room.js';
import { AgentServer } from '../../src/server/agent_server.js';
import { InProcessExecutor } from '../../src/worker/in_process_executor.js';
import type { JobExecutor } from '../../src/worker/running_job.js';
import type { WorkerEvents, WorkerOptions, WorkerStatusInfo } from '../../src/worker/worker.js';
import { offlineEnv } from '../support/offline.js';

const ENV = { LIVEKIT_URL: 'ws://127.0.0.1:7880', LIVEKIT_API_KEY: 'APIkey', LIVEKIT_API_SECRET: 'topsecret-value' };

describe('parseWorkerArgs', () => {
  it('takes the credentials from the environment, flags win (both --flag value and --flag=value)', () => {
    expect(parseWorkerArgs('start', [], ENV)).toEqual({
      mode: 'start',
      url: ENV.LIVEKIT_URL,
      apiKey: 'APIkey',
      apiSecret: 'topsecret-value',
      logLevel: 'info',
      host: '127.0.0.1',
      port: 8081,
    });
    const dev = parseWorkerArgs('dev', ['--url', 'wss://x.livekit.cloud', '--api-key=k2', '--api-secret', 's2', '--port', '0', '--host', '0.0.0.0'], ENV);
    expect(dev).toMatchObject({ mode: 'dev', url: 'wss://x.livekit.cloud', apiKey: 'k2', apiSecret: 's2', port: 0, host: '0.0.0.0', logLevel: 'debug' });
    expect(parseWorkerArgs('dev', [], ENV).port).toBe(0);
    expect(parseWorkerArgs('start', ['--log-level', 'warn'], { ...ENV, LOG_LEVEL: 'error' }).logLevel).toBe('warn');
    expect(parseWorkerArgs('start', [], { ...ENV, LOG_LEVEL: 'error' }).logLevel).toBe('error');
    expect(parseWorkerArgs('connect', ['--room', 'r1', '--participant-identity', 'bob'], ENV)).toMatchObject({ room: 'r1', participantIdentity: 'bob' });
  });

  it('the server options come between the flags and the environment', () => {
    const server = new AgentServer({ wsUrl: 'ws://from-options:1', port: 9000, host: '::1' });
    expect(parseWorkerArgs('start', [], ENV, server)).toMatchObject({ url: 'ws://from-options:1', port: 9000, host: '::1' });
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

/** A worker stand-in: run() ends with aclose(); drain() ends when the test says. */
class FakeWorker implements WorkerLike {
  readonly events = new EventEmitter<WorkerEvents>();
  readonly calls: string[] = [];
  drainGate: Promise<void> = Promise.resolve();
  failWith: Error | undefined;
  #close!: () => void;
  readonly #closed = new Promise<void>((resolve) => (this.#close = resolve));
  constructor(readonly options: WorkerOptions) {}
  get status(): WorkerStatusInfo {
    return { agentName: 'fake', workerId: 'AW_fake', state: 'online' as never, activeJobs: 1, load: 0.1, version: '9.9.9', healthy: true };
  }
  run(): Promise<void> {
    this.calls.push('run');
    return this.failWith ? Promise.reject(this.failWith) : this.#closed;
  }
  async drain(): Promise<void> {
    this.calls.push('drain');
    await this.drainGate;
  }
  async aclose(): Promise<void> {
    this.calls.push('aclose');
    this.#close();
  }
  async simulateJob(room: string, identity?: string): Promise<void> {
    this.calls.push(`simulateJob ${room} ${identity ?? ''}`);
  }
}

function harness(configure: (worker: FakeWorker) => void = () => {}) {
  const signals = new NodeEmitter();
  const exits: number[] = [];
  let log = '';
  const logStream = new Writable({
    write(chunk, _e, done) {
      log += String(chunk);
      done();
    },
  });
  const executor: JobExecutor = { start: async () => {}, launch: async () => Promise.reject(new Error('no')), activeJobs: 0, close: async () => {} };
  const settings: unknown[] = [];
  let worker: FakeWorker | undefined;
  const runtime: Partial<WorkerRuntime> = {
    createExecutor: async (_server, s) => {
      settings.push({ numIdleProcesses: s.numIdleProcesses });
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
  const started = () => vi.waitFor(() => {
    if (!log.includes('worker starting')) throw new Error('not started');
  });
  return { runtime, signals, exits, settings, log: () => log, worker: () => worker!, started };
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url);
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
  it('start: 3 idle processes, threshold 0.7, health server, JSON logs; SIGTERM drains, then closes; exit 0', async () => {
    const h = harness();
    const running = runWorker(new AgentServer(), parseWorkerArgs('start', ['--port', '0'], ENV), h.runtime);
    await h.started();
    expect(h.settings).toEqual([{ numIdleProcesses: 3 }]);
    expect(h.worker().options).toMatchObject({ wsUrl: ENV.LIVEKIT_URL, apiKey: 'APIkey', apiSecret: 'topsecret-value', loadThreshold: 0.7 });
    const started = JSON.parse(h.log().trim().split('\n').find((line) => line.includes('worker starting'))!);
    expect(started).toMatchObject({ mode: 'start', url: ENV.LIVEKIT_URL, numIdleProcesses: 3 });
    expect(await get(started.health)).toEqual({ status: 200, body: 'OK' });
    expect(JSON.parse((await get(`${started.health}worker`)).body)).toMatchObject({ workerId: 'AW_fake', activeJobs: 1, version: '9.9.9' });
    expect(process.env.LIVEKIT_API_SECRET).toBe('topsecret-value'); // for the job processes
    h.signals.emit('SIGTERM', 'SIGTERM');
    expect(await running).toBe(0);
    expect(h.worker().calls).toEqual(['run', 'drain', 'aclose']);
    expect(h.exits).toEqual([]);
    await expect(fetch(started.health)).rejects.toThrow();
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
    await vi.waitFor(() => expect(h.worker().calls).toContain('drain'));
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
    expect(() => JSON.parse(h.log().split('\n')[0]!)).toThrow();
    h.signals.emit('SIGINT', 'SIGINT');
    expect(await running).toBe(0);
    expect(h.worker().calls).toEqual(['run', 'aclose']);
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
    await vi.waitFor(() => expect(h.worker().calls).toContain('simulateJob my-room bob'));
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
    const port = String((blocker.address() as { port: number }).port);
    const h = harness();
    await expect(runWorker(new AgentServer(), parseWorkerArgs('start', ['--port', port], ENV), h.runtime)).rejects.toMatchObject({ code: 'health_server_failed' });
    expect(h.worker().calls).toEqual(['aclose']);
    blocker.close();
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

function cli(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/basic_event.ts', ...args], {
    cwd: new URL('../..', import.meta.url),
    env: { ...offlineEnv({ FORCE_COLOR: '0' }), LIVEKIT_URL: '', LIVEKIT_API_KEY: '', LIVEKIT_API_SECRET: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
