/**
 * No work starts inside one of the worker machine's actions: answering an offer (the program's
 * requestFnc) and launching a job (which makes the pool spawn a process, a new actor) run in actors
 * the machine spawns. XState warns ("Custom actions should not call `assign()` directly") when an
 * actor is created inside a custom action; nothing may be printed.
 */
import { JobStatus } from '@livekit/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createActor, setup } from 'xstate';
import { ProcessPool } from '../../src/ipc/process_pool.js';
import { Worker } from '../../src/worker/worker.js';
import { server } from '../fixtures/agents/scripted_agent.js';
import { FakeLiveKitServer } from '../support/fake_livekit_server.js';
import { API_KEY, API_SECRET } from './harness.js';

/** A machine whose context is made when an actor of it is created: XState's warning needs no more. */
const lazyContext = setup({}).createMachine({ context: () => ({ made: true }) });

describe('Worker over a spawning process pool', () => {
  const { loadFnc, requestFnc } = server.options;
  let livekit: FakeLiveKitServer | undefined;
  let worker: Worker | undefined;
  afterEach(async () => {
    await worker?.aclose();
    await livekit?.close();
    Object.assign(server.options, { loadFnc, requestFnc });
    vi.restoreAllMocks();
  });

  it.each([0, 1])('offering, launching and ending a job prints no XState warning (numIdleProcesses %i)', async (numIdleProcesses) => {
    const warn = vi.spyOn(console, 'warn');
    livekit = await FakeLiveKitServer.start({ apiKey: API_KEY, apiSecret: API_SECRET });
    server.options.loadFnc = () => 0;
    // The program's own actors, made while it decides on the offer.
    server.options.requestFnc = (request) => {
      createActor(lazyContext).start();
      return request.accept();
    };
    const pool = new ProcessPool(server, { room: 'local', numIdleProcesses });
    worker = new Worker(server, { executor: pool, wsUrl: livekit.url, apiKey: API_KEY, apiSecret: API_SECRET });
    void worker.run();
    await livekit.next('register');
    expect(await livekit.ask({ id: 'J1' })).toMatchObject({ available: true });
    livekit.assign({ id: 'J1' });
    await livekit.next('updateJob', (update) => update.status === JobStatus.JS_RUNNING);
    livekit.terminate('J1');
    expect(await livekit.next('updateJob', (update) => update.status !== JobStatus.JS_RUNNING)).toMatchObject({ jobId: 'J1', status: JobStatus.JS_SUCCESS });
    await worker.aclose();
    expect(pool.processes).toEqual([]);
    expect(warn.mock.calls).toEqual([]);
  });
});
