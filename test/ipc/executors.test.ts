/**
 * The executor contract (JobExecutor / JobHandle) on real child processes and real worker threads:
 * the same test bodies run against ProcessPool and ThreadExecutor. Jobs run the scripted fixture
 * agent (test/fixtures/agents/scripted_agent.ts); every failure must reach JobHandle.ended with the
 * right status, within the bounds, without disturbing another job, and leave no process behind.
 */
import { threadId } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { ClosedError } from '../../src/errors.js';
import { ProcessStartError, type SupervisedProcess } from '../../src/ipc/supervised_process.js';
import type { JobEnd } from '../../src/worker/running_job.js';
import type { Script } from '../fixtures/agents/scripted_agent.js';
import { BOUNDS, EXECUTORS, closeAndCheck, isGone, jobInfo, makePool, reached, type TestPool } from './executor_harness.js';

/** The one process of the pool in `state`. */
function onlyIn(t: TestPool, state: SupervisedProcess['state']): SupervisedProcess {
  const found = t.pool.processes.filter((process) => process.state === state);
  expect(found, `processes ${state}`).toHaveLength(1);
  return found[0]!;
}

describe.each(EXECUTORS)('%s executor', (kind) => {
  let t: TestPool | undefined;
  afterEach(async () => {
    if (t) await closeAndCheck(t, kind);
    t = undefined;
  });

  const launch = (id: string, script: Script = {}) => t!.pool.launch(jobInfo(id, script));

  it('runs each job in its own prewarmed process, where setupFnc ran, in a room named after the job', async () => {
    t = makePool(kind, { numIdleProcesses: 2 });
    await t.pool.start();
    await t.pool.warmed();
    expect(t.pool.idleProcesses).toBe(2);
    const handles = await Promise.all([launch('a', { entrypoint: 'report' }), launch('b', { entrypoint: 'report' })]);
    const ends = await Promise.all(handles.map((handle) => handle.ended));
    const reports = ends.map((end) => {
      expect(end.status).toBe('success');
      return JSON.parse(end.reason) as { jobIn: string; setupIn: string; room: string; agent: string };
    });
    expect(reports.map((report) => [report.room, report.agent])).toEqual([
      ['room-a', 'agent-a'],
      ['room-b', 'agent-b'],
    ]);
    for (const report of reports) {
      expect(report.jobIn).not.toBe(`${process.pid}/${threadId}`);
      expect(report.setupIn).toBe(report.jobIn);
    }
    expect(reports[0]!.jobIn).not.toBe(reports[1]!.jobIn);
    // Each job took an idle process; the pool started one in its place.
    expect(t.ids).toHaveLength(4);
  });

  it('a burst of jobs waits for processes: at most maxConcurrentInitializations initialize at once, one process per job, every job starts', async () => {
    t = makePool(kind, { numIdleProcesses: 1, maxConcurrentInitializations: 2 });
    let initializing = 0;
    let mostInitializing = 0;
    t.pool.on('process_started', (process) =>
      process.on('state_changed', ({ oldState, newState }) => {
        if (newState === 'initializing') mostInitializing = Math.max(mostInitializing, ++initializing);
        if (oldState === 'initializing') initializing -= 1;
      }),
    );
    await t.pool.start();
    const jobs = Array.from({ length: 8 }, (_, i) => `burst${i}`);
    const handles = await Promise.all(jobs.map((id) => launch(id)));
    expect(mostInitializing).toBe(2);
    // The prewarmed one, one for each job after the first, and the idle one kept in reserve.
    expect(t.ids).toHaveLength(1 + jobs.length);
    await Promise.all(handles.map((handle) => handle.shutdown('burst over')));
    expect(await Promise.all(handles.map((handle) => handle.ended))).toEqual(jobs.map(() => ({ status: 'success', reason: 'burst over' })));
  });

  it('launch() answers before the pool spawns the idle process that replaces the one it took, which follows at once', async () => {
    const { pool, ids } = (t = makePool(kind, { numIdleProcesses: 1 }));
    await pool.start();
    await pool.warmed();
    const replaced = new Promise<void>((resolve) => pool.once('process_started', () => resolve()));
    const handle = await launch('first');
    // Spawning (a fork, a new Worker) takes this thread a millisecond or more: not before the answer.
    expect(ids).toHaveLength(1);
    await replaced;
    expect(ids).toHaveLength(2);
    await handle.shutdown('done');
  });

  it('a job shut down through its handle ends with success and its reason; the handle is idempotent', async () => {
    t = makePool(kind, { numIdleProcesses: 0 });
    await t.pool.start();
    const handle = await launch('j');
    expect(t.pool.activeJobs).toBe(1);
    await Promise.all([handle.shutdown('bye'), handle.shutdown('again')]);
    expect(await handle.ended).toEqual({ status: 'success', reason: 'bye' });
    expect(t.pool.activeJobs).toBe(0);
  });

  it('a stuck entrypoint, its job lax about it, is killed once the whole shutdown budget is spent: failed, "shutdown timeout"', async () => {
    const clock = new SimulatedClock();
    t = makePool(kind, { clock });
    await t.pool.start();
    const handle = await launch('stuck', { entrypoint: 'stuck' });
    const child = onlyIn(t, 'running');
    void handle.shutdown('stop');
    await reached(child, 'exiting.winding');
    clock.increment(BOUNDS.entrypointGrace + BOUNDS.sessionCloseTimeout + BOUNDS.shutdownProcessTimeout - 1);
    expect(child.state).toBe('exiting.winding');
    clock.increment(1);
    expect(child.state).toBe('killing');
    const end = await handle.ended;
    expect(end).toMatchObject({ status: 'failed', reason: 'shutdown timeout' });
    expect((end as { error: string }).error).toContain('did not shut down within shutdownProcessTimeout (shutdown reason: stop)');
  });

  it("a stuck entrypoint within the job's own grace: the job gives up on it and reports the timeout; nothing is killed", async () => {
    t = makePool(kind, { job: { entrypointGrace: 50 } });
    await t.pool.start();
    const handle = await launch('stuck', { entrypoint: 'stuck' });
    await handle.shutdown('stop');
    const end = (await handle.ended) as Extract<JobEnd, { status: 'failed' }>;
    expect(end).toMatchObject({ status: 'failed', reason: 'stop' });
    expect(end.error).toContain('did not finish within 50 ms');
    expect(t.logs.some((line) => String(line.msg).startsWith('killing'))).toBe(false);
  });

  it('a hanging shutdown callback is killed shutdownProcessTimeout after the callbacks began', async () => {
    const clock = new SimulatedClock();
    t = makePool(kind, { clock });
    await t.pool.start();
    const handle = await launch('hang', { callback: 'hang' });
    const child = onlyIn(t, 'running');
    void handle.shutdown('stop');
    await reached(child, 'exiting.closing');
    clock.increment(BOUNDS.shutdownProcessTimeout - 1);
    expect(child.state).toBe('exiting.closing');
    clock.increment(1);
    expect(child.state).toBe('killing');
    expect(await handle.ended).toMatchObject({ status: 'failed', reason: 'shutdown timeout' });
  });

  it('a job that shuts itself down is held to the same bound (whoever started the shutdown)', async () => {
    const clock = new SimulatedClock();
    t = makePool(kind, { clock });
    await t.pool.start();
    await t.pool.warmed();
    const [child] = t.pool.processes;
    const handle = await launch('self', { entrypoint: 'shutdown', callback: 'hang' });
    await reached(child!, 'exiting.closing');
    clock.increment(BOUNDS.shutdownProcessTimeout - 1);
    expect(child!.state).toBe('exiting.closing');
    clock.increment(1);
    const end = (await handle.ended) as Extract<JobEnd, { status: 'failed' }>;
    expect(end).toMatchObject({ status: 'failed', reason: 'shutdown timeout' });
    expect(end.error).toContain('shutdown reason: done by itself');
  });

  it('an entrypoint that throws ends its job failed ("job crashed"); the process exits by itself', async () => {
    t = makePool(kind);
    await t.pool.start();
    const handle = await launch('throws', { entrypoint: 'throw' });
    expect(await handle.ended).toEqual({
      status: 'failed',
      reason: 'job crashed',
      error: 'the entrypoint of job throws failed: the entrypoint failed',
    });
  });

  it('a blocked event loop stops the pongs: killed as unresponsive', async () => {
    t = makePool(kind, { pingTimeout: 1_000, pingInterval: 50 });
    await t.pool.start();
    const handle = await launch('blocked', { entrypoint: 'block' });
    expect(await handle.ended).toMatchObject({ status: 'failed', reason: 'unresponsive' });
  });

  it('over jobMemoryLimitMb: killed, failed "memory limit"', async () => {
    t = makePool(kind, { jobMemoryLimitMb: kind === 'process' ? 250 : 150, jobMemoryWarnMb: 0 });
    await t.pool.start();
    const handle = await launch('fat', { heapMb: 200 });
    const end = (await handle.ended) as Extract<JobEnd, { status: 'failed' }>;
    expect(end).toMatchObject({ status: 'failed', reason: 'memory limit' });
    expect(end.error).toMatch(/more memory than jobMemoryLimitMb \(\d+ MB, limit \d+ MB\)/);
  });

  it('over jobMemoryWarnMb: a warning, the job goes on', async () => {
    t = makePool(kind, { jobMemoryWarnMb: kind === 'process' ? 200 : 100, jobMemoryLimitMb: 0 });
    const warned = new Promise<{ usedMb: number }>((resolve) => t!.pool.on('process_started', (process) => process.actor.on('memory_warning', resolve)));
    await t.pool.start();
    const handle = await launch('chubby', { heapMb: 150 });
    expect((await warned).usedMb).toBeGreaterThan(kind === 'process' ? 200 : 100);
    expect(t.logs.some((line) => line.msg === 'job process uses more memory than jobMemoryWarnMb')).toBe(true);
    await handle.shutdown('bye');
    expect(await handle.ended).toEqual({ status: 'success', reason: 'bye' });
  });

  it('out of memory: only that job ends, failed, with the cause', async () => {
    t = makePool(kind, { execArgv: ['--max-old-space-size=64'], resourceLimits: { maxOldGenerationSizeMb: 64 } });
    await t.pool.start();
    const handle = await launch('oom', { entrypoint: 'oom' });
    const end = (await handle.ended) as Extract<JobEnd, { status: 'failed' }>;
    expect(end).toMatchObject({ status: 'failed', reason: 'job crashed' });
    expect(end.error).toMatch(kind === 'process' ? /SIGABRT.*out of memory/ : /out of memory/);
  });

  describe.each([
    ['an uncaught error', { entrypoint: 'crash' }, /scripted crash \(the job (process|thread) exited with code 1\)/, BOUNDS.pingTimeout],
    ['process.exit', { entrypoint: 'exit' }, /exited with code 0 before its job ended/, BOUNDS.pingTimeout],
    ['a blocked event loop', { entrypoint: 'block' }, /stopped answering pings/, 1_000],
  ] as const)('%s in one job', (_name, script, error, pingTimeout) => {
    it('fails that job only; the other runs on and the pool refills', async () => {
      t = makePool(kind, { numIdleProcesses: 2, pingTimeout, pingInterval: 50 });
      await t.pool.start();
      const steady = await launch('steady');
      const broken = await launch('broken', script);
      const end = (await broken.ended) as Extract<JobEnd, { status: 'failed' }>;
      expect(end.status).toBe('failed');
      expect(end.error).toMatch(error);
      const [steadyProcess] = t.pool.processes.filter((process) => process.state === 'running');
      expect(steadyProcess, 'the steady job still runs').toBeDefined();
      if (kind === 'process') expect(isGone(steadyProcess!.id!)).toBe(false);
      // Two taken, two started in their place.
      expect(t.ids).toHaveLength(4);
      await Promise.all(t.pool.processes.filter((process) => process.state !== 'running').map((process) => process.ready));
      expect(t.pool.idleProcesses).toBe(2);
      await steady.shutdown('bye');
      expect(await steady.ended).toEqual({ status: 'success', reason: 'bye' });
    });
  });

  it('setupFnc runs in the child: when it fails, launch rejects with its error (after retries on fresh processes)', async () => {
    t = makePool(kind, { numIdleProcesses: 0, setup: 'fail' });
    await t.pool.start();
    const error = await launch('j').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProcessStartError);
    expect(String(error)).toContain('3 attempts failed; the last: the job process could not start: setupFnc failed: the model is missing');
    expect(t.ids).toHaveLength(3);
  });

  it('a setupFnc that hangs is killed after initializeProcessTimeout', async () => {
    const clock = new SimulatedClock();
    t = makePool(kind, { numIdleProcesses: 1, setup: 'hang', initializeProcessTimeout: 300, clock });
    const started = t.pool.start(); // settles: the failure is logged, not thrown
    const [child] = t.pool.processes;
    await reached(child!, 'initializing');
    clock.increment(299);
    expect(child!.state).toBe('initializing');
    clock.increment(1);
    expect(child!.state).toBe('killing');
    await started;
    expect(t.logs.some((line) => String(line.msg).includes('did not initialize within 300 ms'))).toBe(true);
  });

  it('close() shuts the running jobs down, stops the idle processes and waits for all; launch after close is refused', async () => {
    const clock = new SimulatedClock();
    t = makePool(kind, { numIdleProcesses: 2, clock });
    await t.pool.start();
    const running = await launch('r');
    const stuck = await launch('s', { callback: 'hang' });
    const closed = Promise.all([t.pool.close('worker closing'), t.pool.close('twice')]);
    // The job that winds down by itself needs no timer; the stuck one is killed when its bound passes.
    expect(await running.ended).toEqual({ status: 'success', reason: 'worker closing' });
    const stuckProcess = t.pool.processes.find((process) => process.state.startsWith('exiting'));
    await reached(stuckProcess!, 'exiting.closing');
    clock.increment(BOUNDS.shutdownProcessTimeout);
    await closed;
    expect(await stuck.ended).toMatchObject({ status: 'failed', reason: 'shutdown timeout' });
    expect(t.pool.processes).toEqual([]);
    await expect(launch('late')).rejects.toBeInstanceOf(ClosedError);
  });
});
