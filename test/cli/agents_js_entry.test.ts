/**
 * agents-js's entry point, from outside: an agent file in agents-js's shape (`export default
 * defineAgent({ prewarm, entry })`, `cli.runApp(new ServerOptions({ agent }))`) run as a program
 * in console mode, and as a worker against the fake LiveKit dispatcher whose jobs run in job
 * processes that import the file by path; and the bad agent files the CLI refuses with one line
 * and exit code 2.
 */
import { EventEmitter as NodeEmitter } from 'node:events';
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { JobStatus, JobType, TrackSource, WorkerStatus } from '@livekit/protocol';
import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import * as cli from '../../src/cli/index.js';
import type { WorkerRuntime } from '../../src/cli/run_worker.js';
import { ProcessPool } from '../../src/ipc/process_pool.js';
import { rootLogger, setRootLogger } from '../../src/log/logger.js';
import { WorkerPermissions } from '../../src/server/agent_server.js';
import { ServerOptions } from '../../src/server/server_options.js';
import type { JobEnd, JobExecutor } from '../../src/worker/running_job.js';
import { Worker } from '../../src/worker/worker.js';
import { FakeLiveKitServer } from '../support/fake_livekit_server.js';
import { offlineEnv } from '../support/offline.js';
import { startProgram } from '../support/program.js';

const ROOT = new URL('../..', import.meta.url);
const AGENT = fileURLToPath(new URL('../fixtures/agents/agents_js_agent.ts', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/agents/agents_js/${name}`, import.meta.url));

function program(file: string, args: string[], env: Record<string, string> = {}) {
  return startProgram(process.execPath, ['--import', 'tsx', file, ...args], {
    cwd: ROOT,
    env: offlineEnv({ LOG_LEVEL: 'warn', FORCE_COLOR: '0', ...env }),
  });
}

describe('an agents-js agent file run as the program', () => {
  it('console: prewarm runs once in the process and its userData reaches entry; a typed line is answered; exit 0', async () => {
    const run = program(AGENT, ['console']);
    await run.until(`agent › Hello from prewarm 1 in ${run.child.pid}`);
    run.child.stdin.write('hello there\n');
    await run.until('agent › You said: hello there');
    run.child.stdin.end();
    expect(await run.exited).toBe(0);
    expect(run.out()).toContain('job success (console input ended)');
    expect(run.out().match(/Hello from prewarm/g)).toHaveLength(1);
  }, 30_000);

  it.each([
    ['a file without a default export', fixture('no_default_export.ts'), {}, `the agent module ${fixture('no_default_export.ts')} has no default export`],
    ['an agent path that does not exist', fixture('launcher.ts'), { FIXTURE_AGENT: 'nowhere/agent.ts' }, `the agent module ${fileURLToPath(new URL('nowhere/agent.ts', ROOT))} does not exist`],
    ['an agent path that is a directory', fixture('launcher.ts'), { FIXTURE_AGENT: 'test/fixtures' }, 'test/fixtures is not a file'],
    ['no agent path', fixture('launcher.ts'), { FIXTURE_AGENT: '' }, 'ServerOptions: agent is required'],
    ['a default export not made by defineAgent', fixture('launcher.ts'), { FIXTURE_AGENT: fixture('not_defined.ts') }, 'was not made by defineAgent'],
    ['a definition without entry', fixture('launcher.ts'), { FIXTURE_AGENT: fixture('no_entry.ts') }, 'has no entry function: defineAgent({ entry: async (ctx) => { … } }) (it has entrypoint)'],
  ])('%s: one line on stderr, exit 2, for console and for start', async (_what, file, env, message) => {
    for (const verb of ['console', 'start']) {
      const run = program(file, [verb], env);
      expect(await run.exited, run.err()).toBe(2);
      const lines = run.err().trim().split('\n');
      expect(lines, run.err()).toHaveLength(1);
      expect(lines[0]).toContain(message);
      expect(run.out()).toBe('');
    }
  }, 30_000);
});

describe('an agent whose set-up is wrong, found as its entry runs', () => {
  it.each([
    ['turnHandling with a key voxstate does not have', 'bad_turn_handling.ts', 'turnHandling.endpointing.alpha: not an option voxstate has; accepted: mode, minDelay, maxDelay'],
    ['a tool whose zod schema cannot become JSON Schema', 'bad_tool_schema.ts', 'tool book: parameters.at cannot be sent to an LLM: Date cannot be represented in JSON Schema'],
  ])('%s: console says why on one line and exits 2', async (_what, file, message) => {
    const run = program(fixture(file), ['console']);
    expect(await run.exited, run.err()).toBe(2);
    const verdict = run.out().trim().split('\n').at(-1);
    expect(verdict).toMatch(/^job failed \(job crashed\): /);
    expect(verdict).toContain(message);
  }, 30_000);
});

const API_KEY = 'APIagentsJs';
const API_SECRET = 'agents-js-test-secret-0123456789abcdefghijklm';

/**
 * `cli.runApp(options, { argv })` as a worker whose signals and logs the test holds (the rest of
 * its runtime as given). When the test ends, also when it fails, the worker is signalled and
 * awaited, so that nothing it started outlives the test.
 */
function runWorkerApp(options: ServerOptions, argv: string[], parts: Partial<WorkerRuntime> & Pick<WorkerRuntime, 'createExecutor'>) {
  const signals = new NodeEmitter();
  let log = '';
  const logStream = new Writable({
    write(chunk, _encoding, done) {
      log += String(chunk);
      done();
    },
  });
  let executor: JobExecutor | undefined;
  const createExecutor: WorkerRuntime['createExecutor'] = async (server, settings) => (executor = await parts.createExecutor!(server, settings));
  const running = cli.runApp(options, { argv, runtime: { signals: signals as never, exit: () => {}, logStream, ...parts, createExecutor } });
  onTestFinished(async () => {
    // Its jobs first: a drain would wait for them.
    await executor?.close('test over');
    signals.emit('SIGTERM', 'SIGTERM');
    await running;
  });
  return { running, signals, log: () => log };
}

describe('an agents-js agent run as a worker, its jobs in job processes', () => {
  let livekit: FakeLiveKitServer | undefined;
  let savedLogger: ReturnType<typeof rootLogger>;
  beforeEach(() => {
    savedLogger = rootLogger();
    for (const key of ['LIVEKIT_URL', 'LIVEKIT_API_KEY', 'LIVEKIT_API_SECRET', 'LIVEKIT_DEV_MODE', 'LIVEKIT_AGENT_NAME']) vi.stubEnv(key, '');
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    setRootLogger(savedLogger);
    await livekit?.close();
    livekit = undefined;
  });

  it('registers as ServerOptions say; each job process imports the file, runs prewarm once, and its userData reaches entry', async () => {
    livekit = await FakeLiveKitServer.start({ apiKey: API_KEY, apiSecret: API_SECRET });
    const ended = new Map<string, JobEnd>();
    let pool: ProcessPool | undefined;
    const options = new ServerOptions({
      agent: AGENT,
      agentName: 'agents-js-test',
      serverType: JobType.JT_PUBLISHER,
      permissions: new WorkerPermissions(true, true, false, true, [TrackSource.MICROPHONE], true),
      // A load function that answers asynchronously, as agents-js's do.
      loadFunc: async () => 0.25,
      wsURL: livekit.url,
      apiKey: API_KEY,
      apiSecret: API_SECRET,
      host: '127.0.0.1',
    });
    const { running, signals } = runWorkerApp(options, ['start', '--port', '0'], {
      // One idle process (an in-process room in each job: no LiveKit media server here).
      createExecutor: async (server, settings) => (pool = new ProcessPool(server, { room: 'local', numIdleProcesses: 1, logger: settings.logger })),
      createWorker: async (server, options) => {
        const worker = new Worker(server, options);
        worker.events.on('job_ended', (jobId, end) => ended.set(jobId, end));
        return worker;
      },
    });

    const register = await livekit.next('register');
    expect(register).toMatchObject({ agentName: 'agents-js-test', type: JobType.JT_PUBLISHER });
    expect(register.allowedPermissions).toMatchObject({ canPublish: true, canPublishData: false, canPublishSources: [TrackSource.MICROPHONE], hidden: true, agent: true });
    expect((await livekit.next('updateWorker', (update) => update.load > 0)).load).toBeCloseTo(0.25);

    const reports: Array<{ userData: Record<string, unknown>; prewarms: number; entryIn: string; room: string; agentName: string }> = [];
    for (const id of ['J1', 'J2']) {
      const job = { id, roomName: `room-${id}`, metadata: 'report', agentName: 'agents-js-test' };
      expect(await livekit.ask(job)).toMatchObject({ available: true, participantIdentity: `agent-${id}` });
      livekit.assign(job);
      await livekit.next('updateJob', (update) => update.jobId === id && update.status === JobStatus.JS_SUCCESS);
      const end = ended.get(id)!;
      expect(end.status, JSON.stringify(end)).toBe('success');
      reports.push(JSON.parse(end.reason));
    }
    for (const [index, report] of reports.entries()) {
      expect(report.prewarms).toBe(1);
      expect(report.userData.prewarmedIn).toBe(report.entryIn);
      expect(report.userData.greeting).toBe(`Hello from prewarm 1 in ${report.entryIn.split('/')[0]}`);
      expect(report.room).toBe(`room-J${index + 1}`);
      expect(report.agentName).toBe('agents-js-test');
      expect(Number(report.entryIn.split('/')[0])).not.toBe(process.pid);
    }
    expect(reports[0]!.entryIn).not.toBe(reports[1]!.entryIn); // a process per job

    signals.emit('SIGTERM', 'SIGTERM');
    await livekit.next('updateWorker', (update) => update.status === WorkerStatus.WS_FULL);
    expect(await running).toBe(0);
    expect(pool!.processes).toEqual([]);
  }, 30_000);

  it("maxRetry is the worker's: with 0, a LiveKit that refuses connections fails the worker at once (exit 1)", async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const refused = `ws://127.0.0.1:${(probe.address() as { port: number }).port}`;
    await new Promise((resolve) => probe.close(resolve));
    const options = new ServerOptions({ agent: AGENT, maxRetry: 0, wsURL: refused, apiKey: API_KEY, apiSecret: API_SECRET, host: '127.0.0.1' });
    const { running, log } = runWorkerApp(options, ['start', '--port', '0', '--log-level', 'fatal'], {
      createExecutor: async () => ({ start: async () => {}, launch: () => Promise.reject(new Error('no jobs')), activeJobs: 0, close: async () => {} }),
    });
    expect(await running).toBe(1);
    expect(log()).toContain('gave up after 0 retries');
  }, 15_000);
});
