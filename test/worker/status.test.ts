/**
 * UpdateWorkerStatus: every 2.5 s with load and job count; WS_FULL at the load threshold and while
 * draining. LiveKit routes offers by it: what it still offers to a full worker is taken.
 */
import { WorkerStatus } from '@livekit/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { STATUS_INTERVAL_MS } from '../../src/worker/worker.js';
import { closeWorlds, World } from './harness.js';

/** The CPU counters os.cpus() reports (two CPUs alike), as the test sets them; the machine's own until then. */
const cpuTimes = vi.hoisted(() => {
  let set: { busy: number; idle: number } | undefined;
  return {
    set: (times: { busy: number; idle: number }) => void (set = times),
    reset: () => void (set = undefined),
    get: () => set,
  };
});
vi.mock('node:os', async (importOriginal) => {
  const os = await importOriginal<typeof import('node:os')>();
  const cpus = () => {
    const times = cpuTimes.get();
    if (times === undefined) return os.cpus();
    const cpu = { model: 'test', speed: 1, times: { user: times.busy, nice: 0, sys: 0, idle: times.idle, irq: 0 } };
    return [cpu, cpu];
  };
  return { ...os, default: { ...os, cpus }, cpus };
});
afterEach(() => cpuTimes.reset());

afterEach(closeWorlds);

const FAKE = { toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] } as const;

describe('Worker status', () => {
  it('reports load and job count every 2.5 s, full at the threshold and available again below it', async () => {
    vi.useFakeTimers({ toFake: [...FAKE.toFake] });
    let load = 0.2;
    const world = await World.start({ server: { loadFnc: () => load, loadThreshold: 0.5 } });
    expect(await world.livekit.next('updateWorker')).toMatchObject({ status: WorkerStatus.WS_AVAILABLE, load: expect.closeTo(0.2, 5), jobCount: 0 });
    expect(world.worker.status).toMatchObject({ state: 'available', load: 0.2 });
    await world.startJob('J1');

    load = 0.5;
    await vi.advanceTimersByTimeAsync(STATUS_INTERVAL_MS - 1);
    expect(world.livekit.all('updateWorker')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(await world.livekit.next('updateWorker')).toMatchObject({ status: WorkerStatus.WS_FULL, load: 0.5, jobCount: 1 });
    expect(world.worker.status.state).toBe('full');
    expect(await world.livekit.ask({ id: 'J2' })).toMatchObject({ available: true });

    load = 0.1;
    await vi.advanceTimersByTimeAsync(STATUS_INTERVAL_MS);
    expect(await world.livekit.next('updateWorker')).toMatchObject({ status: WorkerStatus.WS_AVAILABLE, load: expect.closeTo(0.1, 5), jobCount: 1 });
    expect(world.worker.status.state).toBe('available');
    expect(world.states).toEqual(['starting', 'connecting', 'registering', 'available', 'full', 'available']);
  });

  it('Infinity as threshold is never full', async () => {
    const world = await World.start({ server: { loadFnc: () => 1 }, worker: { loadThreshold: Infinity } });
    expect(await world.livekit.next('updateWorker')).toMatchObject({ status: WorkerStatus.WS_AVAILABLE, load: 1 });
  });

  it('a failing loadFnc is an error event; the last load is kept', async () => {
    vi.useFakeTimers({ toFake: [...FAKE.toFake] });
    let fail = false;
    const world = await World.start({
      server: {
        loadFnc: () => {
          if (fail) throw new Error('no /proc');
          return 0.3;
        },
      },
    });
    await world.livekit.next('updateWorker');
    fail = true;
    await vi.advanceTimersByTimeAsync(STATUS_INTERVAL_MS);
    expect(await world.livekit.next('updateWorker')).toMatchObject({ status: WorkerStatus.WS_AVAILABLE, load: expect.closeTo(0.3, 5) });
    expect(world.errors.map((e) => e.message)).toEqual(['loadFnc failed: no /proc; the last load is kept']);
  });

  it('the default load is the busy share of the machine CPUs since the last sample (os.cpus())', async () => {
    vi.useFakeTimers({ toFake: [...FAKE.toFake] });
    cpuTimes.set({ busy: 1_000, idle: 9_000 });
    const world = await World.start({ server: { loadFnc: undefined }, worker: { loadThreshold: Infinity }, run: false });
    // Since the worker was made: 300 busy of 400 on each CPU.
    cpuTimes.set({ busy: 1_300, idle: 9_100 });
    world.run();
    expect(await world.livekit.next('updateWorker')).toMatchObject({ status: WorkerStatus.WS_AVAILABLE, load: 0.75 });
    // Since that sample: 100 busy of 1000.
    cpuTimes.set({ busy: 1_400, idle: 10_000 });
    await vi.advanceTimersByTimeAsync(STATUS_INTERVAL_MS);
    expect(await world.livekit.next('updateWorker')).toMatchObject({ load: expect.closeTo(0.1, 5) });
  });
});
