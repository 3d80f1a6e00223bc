/**
 * Registration: the worker connects to `<url>/agent` with its JWT and registers as the server
 * says, at once: its prewarmed processes warm in the background, and a job that comes before one
 * is ready waits for it.
 */
import { JobStatus, JobType, WorkerStatus } from '@livekit/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { ThreadExecutor } from '../../src/ipc/thread_executor.js';
import { Worker } from '../../src/worker/worker.js';
import { server as scriptedServer } from '../fixtures/agents/scripted_agent.js';
import { FakeLiveKitServer } from '../support/fake_livekit_server.js';
import { API_KEY, API_SECRET, closeWorlds, World } from './harness.js';

afterEach(closeWorlds);

describe('Worker registration', () => {
  it('registers with type, agent name, permissions and version, and reports itself available', async () => {
    const world = await World.start({
      agentName: 'support-agent',
      server: { workerType: 'publisher', permissions: { canPublishData: false, hidden: true } },
      worker: { version: '9.9.9', loadThreshold: Infinity },
    });
    const registered = new Promise<string>((resolve) => world!.worker.events.on('registered', resolve));
    const request = await world.livekit.next('register');
    expect(request.type).toBe(JobType.JT_PUBLISHER);
    expect(request.agentName).toBe('support-agent');
    expect(request.version).toBe('9.9.9');
    expect(request.allowedPermissions).toMatchObject({
      canPublish: true,
      canSubscribe: true,
      canPublishData: false,
      canUpdateMetadata: true,
      hidden: true,
      agent: true,
    });
    expect(await registered).toBe('AW_fake1');
    const status = await world.livekit.next('updateWorker');
    expect(status).toMatchObject({ status: 0, jobCount: 0 });
    expect(world.worker.status).toMatchObject({
      agentName: 'support-agent',
      workerId: 'AW_fake1',
      state: 'available',
      activeJobs: 0,
      version: '9.9.9',
      healthy: true,
    });
    expect(world.states.slice(0, 4)).toEqual(['starting', 'connecting', 'registering', 'available']);
    expect(world.errors).toEqual([]);
  });
});

describe('Worker registration with a warming pool', () => {
  const { loadFnc } = scriptedServer.options;
  let livekit: FakeLiveKitServer | undefined;
  let worker: Worker | undefined;
  afterEach(async () => {
    await worker?.aclose();
    await livekit?.close();
    scriptedServer.options.loadFnc = loadFnc;
  });

  it('registers without waiting for its idle processes; a job assigned before one is warm waits for the next and runs', async () => {
    // The machine's CPU use (the default load) plays no part here.
    scriptedServer.options.loadFnc = () => 0;
    livekit = await FakeLiveKitServer.start({ apiKey: API_KEY, apiSecret: API_SECRET });
    // The first process's setup never ends (its bound is on a clock nobody advances); the ones started later warm.
    const env = { FIXTURE_SETUP: 'hang' };
    const pool = new ThreadExecutor(scriptedServer, { room: 'local', numIdleProcesses: 1, env, clock: new SimulatedClock() });
    worker = new Worker(scriptedServer, { executor: pool, wsUrl: livekit.url, apiKey: API_KEY, apiSecret: API_SECRET });
    void worker.run();

    await livekit.next('register');
    expect(await livekit.next('updateWorker')).toMatchObject({ status: WorkerStatus.WS_AVAILABLE });
    // Registered while its one process is still starting.
    expect(pool.idleProcesses).toBe(0);
    expect(pool.processes).toHaveLength(1);
    expect(['spawning', 'initializing']).toContain(pool.processes[0]!.state);

    env.FIXTURE_SETUP = 'ok';
    expect(await livekit.ask({ id: 'early' })).toMatchObject({ available: true });
    livekit.assign({ id: 'early' });
    expect(await livekit.next('updateJob')).toMatchObject({ jobId: 'early', status: JobStatus.JS_RUNNING });
    livekit.terminate('early');
    expect(await livekit.next('updateJob')).toMatchObject({ jobId: 'early', status: JobStatus.JS_SUCCESS });
    await worker.aclose();
    expect(pool.processes).toEqual([]);
  }, 30_000);
});
