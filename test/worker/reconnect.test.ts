/**
 * A lost connection: the worker reconnects with backoff min(2n, 10) s up to maxRetry times in a
 * row; running jobs keep running and their statuses are reported again on the new connection
 * (JS_RUNNING, and the statuses made while offline), never with a MigrateJobRequest.
 * Exhausted, run() rejects and the worker is unhealthy. Refused credentials are not retried.
 */
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { JobStatus } from '@livekit/protocol';
import { WebSocket } from 'ws';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SimulatedClock } from 'xstate';
import { WorkerAuthError, WorkerConnectionError, WorkerUnreachableError } from '../../src/worker/errors.js';
import { workerToken } from '../../src/worker/worker_socket.js';
import { LocalRoom } from '../../src/room/local_room.js';
import { AgentServer } from '../../src/server/agent_server.js';
import { InProcessExecutor } from '../../src/worker/in_process_executor.js';
import { Worker } from '../../src/worker/worker.js';
import { API_KEY, API_SECRET, closeWorlds, World, stayInRoom } from './harness.js';

afterEach(closeWorlds);

const FAKE = { toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] } as ({ toFake: Array<'setTimeout' | 'clearTimeout' | 'setInterval' | 'clearInterval'> });

/** Resolves once the server has refused `count` connections in all and the worker waits to retry (its backoff is set). */
async function refusedAgain(world: World, count: number): Promise<void> {
  await world.livekit.refusals(count);
  await world.until('reconnecting');
}

describe('Worker reconnection', () => {
  it('reconnects after the server drops it; the running job keeps running and its status is reported again (no MigrateJobRequest)', async () => {
    const world = await World.start();
    const registered: string[] = [];
    world.worker.events.on('registered', (id) => registered.push(id));
    await world.until('available');
    await world.startJob('J1');
    expect(await world.livekit.next('updateJob')).toMatchObject({ jobId: 'J1', status: JobStatus.JS_RUNNING });

    world.livekit.drop();
    await world.livekit.connections(2);
    const since = world.livekit.received.length;
    // Registered again (a new worker to LiveKit): the running job's status first, then the load.
    expect(await world.livekit.next('updateJob')).toMatchObject({ jobId: 'J1', status: JobStatus.JS_RUNNING });
    await world.livekit.next('updateWorker');
    expect(world.livekit.received.slice(since).map((message) => message.message.case)).toEqual(['register', 'updateJob', 'updateWorker']);
    await world.until('available');
    expect(registered).toEqual(['AW_fake1', 'AW_fake2']);
    expect(world.worker.status.workerId).toBe('AW_fake2');
    expect(world.rooms.get('J1')!.isConnected).toBe(true);
    expect(world.ended).toEqual([]);
    expect(world.errors).toEqual([expect.any(WorkerConnectionError)]);
    expect(world.errors[0]!.message).toMatch(/^the connection to LiveKit closed \(code 1006\)/);
    expect(world.states).toEqual(['starting', 'connecting', 'registering', 'available', 'reconnecting', 'connecting', 'registering', 'available']);

    // The new connection terminates it; its status goes there.
    world.livekit.terminate('J1');
    expect(await world.livekit.next('updateJob', (u) => u.status === JobStatus.JS_SUCCESS)).toMatchObject({ jobId: 'J1' });
  });

  it('a job status made while offline is sent after the next registration', async () => {
    const world = await World.start();
    await world.until('available');
    await world.startJob('J1');
    await world.livekit.next('updateJob');
    world.livekit.autoRegister = false;
    world.livekit.drop();
    await world.until('registering');
    world.rooms.get('J1')!.close('call ended');
    await world.jobEnd('J1');
    const before = world.livekit.all('updateJob').length;
    expect(before).toBe(1); // JS_RUNNING only
    world.livekit.register();
    expect(await world.livekit.next('updateJob', (u) => u.status === JobStatus.JS_SUCCESS)).toMatchObject({ jobId: 'J1' });
    // Only how it ended: the job is not reported running again.
    expect(world.livekit.all('updateJob').map((u) => u.status)).toEqual([JobStatus.JS_RUNNING, JobStatus.JS_SUCCESS]);
    expect(world.livekit.all('migrateJob')).toEqual([]);
  });

  it('backs off 0, 2, 4 s …; after maxRetry failures in a row run() rejects and the worker is unhealthy', async () => {
    vi.useFakeTimers(FAKE);
    const world = await World.start({ worker: { maxRetry: 3 } });
    await world.until('available');
    world.livekit.refuseWith = 503;
    world.livekit.drop();
    await world.until('reconnecting');
    await vi.advanceTimersByTimeAsync(0); // the first retry is immediate
    await refusedAgain(world, 1);
    await vi.advanceTimersByTimeAsync(1_999);
    expect(world.livekit.refused).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    await refusedAgain(world, 2);
    await vi.advanceTimersByTimeAsync(3_999);
    expect(world.livekit.refused).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    await world.livekit.refusals(3);
    await expect(world.running).rejects.toBeInstanceOf(WorkerUnreachableError);
    await expect(world.running).rejects.toThrow('LiveKit is unreachable: gave up after 3 retries in a row (last error: LiveKit answered the connection to ws://127.0.0.1:');
    expect(world.worker.status).toMatchObject({ state: 'failed', healthy: false });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(world.livekit.refused).toBe(3);
  });

  it('the backoff is capped at 10 s', async () => {
    vi.useFakeTimers(FAKE);
    const world = await World.start({ worker: { maxRetry: 10 } });
    await world.until('available');
    world.livekit.refuseWith = 503;
    world.livekit.drop();
    await world.until('reconnecting');
    await vi.advanceTimersByTimeAsync(0);
    await refusedAgain(world, 1);
    for (const [delay, count] of [[2_000, 2], [4_000, 3], [6_000, 4], [8_000, 5], [10_000, 6], [10_000, 7]] as const) {
      await vi.advanceTimersByTimeAsync(delay - 1);
      expect(world.livekit.refused).toBe(count - 1);
      await vi.advanceTimersByTimeAsync(1);
      await refusedAgain(world, count);
    }
    // It comes back: the next attempt registers, and the count starts over.
    world.livekit.refuseWith = undefined;
    await vi.advanceTimersByTimeAsync(10_000);
    await world.until('available');
    expect(world.worker.actor.getSnapshot().context.retries).toBe(0);
  });

  it('refused credentials (401) fail at once with WorkerAuthError, without retrying', async () => {
    vi.useFakeTimers(FAKE);
    const world = await World.start({ apiSecret: 'not-the-secret-0123456789abcdefghijklmn' });
    await expect(world.running).rejects.toBeInstanceOf(WorkerAuthError);
    await expect(world.running).rejects.toThrow("LiveKit refused the worker's credentials (HTTP 401): check LIVEKIT_API_KEY and LIVEKIT_API_SECRET");
    expect(world.worker.status).toMatchObject({ state: 'failed', healthy: false });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(world.livekit.refused).toBe(1);
    expect(world.livekit.accepted).toBe(0);
  });

  it('missing URL or credentials reject run() at once', async () => {
    const world = await World.start({ run: false, worker: { apiKey: '', apiSecret: '' } });
    await expect(world.worker.run()).rejects.toThrow('the worker needs the API key (LIVEKIT_API_KEY), the API secret (LIVEKIT_API_SECRET)');
    expect(world.livekit.tokens).toEqual([]);
  });

  it('the fake dispatcher refuses a token without the agent grant, as LiveKit does', async () => {
    const world = await World.start({ run: false });
    const { AccessToken } = await import('livekit-server-sdk');
    const token = new AccessToken(API_KEY, API_SECRET, { identity: 'someone' });
    token.addGrant({ roomJoin: true, room: 'r' });
    const status = (jwt: string) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(`${world!.livekit.url.replace('http', 'ws')}/agent`, { headers: { Authorization: `Bearer ${jwt}` } });
        ws.on('error', () => {});
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => {
          ws.terminate();
          resolve(101);
        });
      });
    expect(await status(await token.toJwt())).toBe(401);
    expect(await status(await workerToken(API_KEY, API_SECRET))).toBe(101);
  });
});

describe('Worker connection bound', () => {
  it('a server that accepts the TCP connection and never answers the upgrade does not hold the worker: the attempt times out (connectTimeout, on the worker clock) and is retried', async () => {
    const silent = createServer((socket) => socket.on('error', () => {}));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const held: Socket[] = [];
    const waiters: Array<() => void> = [];
    silent.on('connection', (socket) => {
      held.push(socket);
      for (const wake of waiters.splice(0)) wake();
    });
    /** Resolves once the worker has opened `count` TCP connections in all. */
    const connections = async (count: number) => {
      while (held.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
    };
    const clock = new SimulatedClock();
    try {
      const server = new AgentServer();
      server.rtcSession(stayInRoom);
      const worker = new Worker(server, {
        executor: new InProcessExecutor(server, { roomFactory: () => new LocalRoom() }),
        wsUrl: `ws://127.0.0.1:${(silent.address() as AddressInfo).port}`,
        apiKey: API_KEY,
        apiSecret: API_SECRET,
        connectTimeout: 5_000,
        maxRetry: 1,
        clock,
      });
      const errors: Error[] = [];
      worker.events.on('error', (error) => errors.push(error));
      const failure = worker.run().then(() => undefined, (error: unknown) => error);
      await connections(1);
      clock.increment(4_999);
      expect(worker.status.state).toBe('connecting');
      clock.increment(1);
      expect(worker.status.state).toBe('reconnecting');
      // The first retry is immediate.
      clock.increment(0);
      await connections(2);
      clock.increment(5_000);
      expect(await failure).toBeInstanceOf(WorkerUnreachableError);
      expect(held).toHaveLength(2);
      expect(errors.map((error) => [error.constructor.name, error.message])).toEqual([
        ['WorkerConnectionError', 'opening the connection to LiveKit timed out after 5000 ms'],
        ['WorkerConnectionError', 'opening the connection to LiveKit timed out after 5000 ms'],
      ]);
      expect(worker.status.healthy).toBe(false);
      // The attempts given up on were cancelled: their sockets are closed.
      await Promise.all(held.map((socket) => (socket.closed ? undefined : once(socket, 'close'))));
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
