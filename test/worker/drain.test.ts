/** drain(): full at once, new jobs declined, running jobs awaited up to the drain timeout, the rest shut down. */
import { JobStatus, WorkerStatus } from '@livekit/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ClosedError, NotStartedError } from '../../src/index.js';
import { KEEP_ALIVE_INTERVAL_MS } from '../../src/worker/worker.js';
import { closeWorlds, World } from './harness.js';

afterEach(closeWorlds);

describe('Worker drain', () => {
  it('reports full, declines new jobs, waits for jobs, and shuts the rest down after the drain timeout', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const world = await World.start({ worker: { drainTimeout: 60_000 } });
    await world.until('available');
    await world.startJob('short');
    await world.startJob('long');
    await world.livekit.next('updateWorker');

    let drained = false;
    const draining = world.worker.drain().then(() => (drained = true));
    expect(await world.livekit.next('updateWorker')).toMatchObject({ status: WorkerStatus.WS_FULL, jobCount: 2 });
    expect(world.worker.status.state).toBe('draining');
    expect(await world.livekit.ask({ id: 'late' })).toMatchObject({ available: false });

    // One job ends by itself: the drain goes on waiting for the other.
    world.rooms.get('short')!.close('call ended');
    expect(await world.jobEnd('short')).toEqual({ status: 'success', reason: 'room disconnected' });
    // Half a minute in, a keep-alive ping goes out; LiveKit's pong comes over the network, not by a timer.
    await vi.advanceTimersByTimeAsync(KEEP_ALIVE_INTERVAL_MS);
    await world.livekit.pings(1);
    await world.pongReceived();
    await vi.advanceTimersByTimeAsync(59_999 - KEEP_ALIVE_INTERVAL_MS);
    expect(drained).toBe(false);
    expect(world.rooms.get('long')!.isConnected).toBe(true);

    await vi.advanceTimersByTimeAsync(1);
    expect(await world.jobEnd('long')).toEqual({ status: 'success', reason: 'worker draining' });
    await draining;
    expect(world.worker.status.state).toBe('drained');
    expect(world.livekit.all('updateJob').filter((u) => u.status === JobStatus.JS_SUCCESS).map((u) => u.jobId)).toEqual(['short', 'long']);
    // Still connected (the same connection all along) and still reporting itself full until closed.
    await vi.advanceTimersByTimeAsync(2_500);
    expect(world.livekit.all('updateWorker').at(-1)).toMatchObject({ status: WorkerStatus.WS_FULL, jobCount: 0 });
    expect(world.livekit.accepted).toBe(1);
    expect(world.errors).toEqual([]);
  });

  it('drain(timeoutMs) overrides the drain timeout; with no jobs it resolves at once', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const world = await World.start();
    await world.until('available');
    await world.startJob('J1');
    const draining = world.worker.drain(1_000);
    await vi.advanceTimersByTimeAsync(1_000);
    await draining;
    expect(await world.jobEnd('J1')).toMatchObject({ reason: 'worker draining' });
    await world.worker.drain();
  });

  it('draining an idle or closed worker is a typed error', async () => {
    const world = await World.start({ run: false });
    await expect(world.worker.drain()).rejects.toBeInstanceOf(NotStartedError);
    await world.worker.aclose();
    await expect(world.worker.drain()).rejects.toBeInstanceOf(ClosedError);
  });

  it('aclose() shuts running jobs down and closes the socket; run() resolves; it is idempotent', async () => {
    const world = await World.start();
    await world.until('available');
    await world.startJob('J1');
    await Promise.all([world.worker.aclose(), world.worker.aclose()]);
    expect(await world.jobEnd('J1')).toEqual({ status: 'success', reason: 'worker closing' });
    await world.running;
    expect(world.outcome).toBe('resolved');
    expect(world.worker.status).toMatchObject({ state: 'closed', healthy: false });
    expect(world.livekit.all('updateJob').at(-1)).toMatchObject({ jobId: 'J1', status: JobStatus.JS_SUCCESS });
    await world.worker.aclose();
    await expect(world.worker.run()).resolves.toBeUndefined();
  });
});
