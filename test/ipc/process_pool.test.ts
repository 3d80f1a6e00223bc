/**
 * What only a child process can do wrong, or have done to it: ignoring SIGTERM, being orphaned by
 * a worker killed with SIGKILL, being asked to stop by a signal, and speaking nonsense over IPC.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { TSX_LOADER } from '../../src/ipc/typescript_loader.js';
import { closeAndCheck, isGone, jobInfo, makePool, type TestPool } from './executor_harness.js';

describe('ProcessPool: processes', () => {
  let t: TestPool | undefined;
  afterEach(async () => {
    if (t) await closeAndCheck(t, 'process');
    t = undefined;
  });

  it('a child that ignores SIGTERM (and hangs in shutdown) still dies: SIGKILL after the bound', async () => {
    t = makePool('process');
    await t.pool.start();
    const handle = await t.pool.launch(jobInfo('deaf', { ignoreSigterm: true, callback: 'hang' }));
    const [child] = t.pool.processes.filter((process) => process.state === 'running');
    await handle.shutdown('stop');
    expect(await handle.ended).toMatchObject({ status: 'failed', reason: 'shutdown timeout' });
    expect((await child!.exited).exit).toEqual({ code: null, signal: 'SIGKILL' });
    expect(isGone(child!.id!)).toBe(true);
  });

  it('SIGTERM sent to a job process (as systemd does to a whole unit) winds its job down', async () => {
    t = makePool('process');
    await t.pool.start();
    const handle = await t.pool.launch(jobInfo('termed'));
    const [child] = t.pool.processes.filter((process) => process.state === 'running');
    process.kill(child!.id!, 'SIGTERM');
    expect(await handle.ended).toEqual({ status: 'success', reason: 'SIGTERM' });
  });

  it('SIGINT (Ctrl-C reaches the whole process group) leaves the job to its worker', async () => {
    t = makePool('process');
    await t.pool.start();
    const handle = await t.pool.launch(jobInfo('interrupted'));
    const [child] = t.pool.processes.filter((process) => process.state === 'running');
    process.kill(child!.id!, 'SIGINT');
    // Pongs after the signal: the process is still there and answering.
    await new Promise<void>((resolve) => {
      let pongs = 0;
      const subscription = child!.actor.subscribe(() => {
        if (++pongs < 3) return;
        subscription.unsubscribe();
        resolve();
      });
    });
    expect(child!.state).toBe('running');
    await handle.shutdown('bye');
    expect(await handle.ended).toEqual({ status: 'success', reason: 'bye' });
  });

  describe.each([
    // Kept alive like a real job (its connections), so only the orphan checks can end it.
    ['winds its job down and exits', { keepAlive: true }, {}],
    ['exits within shutdownProcessTimeout even when its job hangs', { keepAlive: true, callback: 'hang' }, {}],
    // The worker's own shutdownProcessTimeout is far off and the job's loop is blocked when the worker
    // dies: only the job process's watchdog thread can end it.
    [
      'exits even when a shutdown callback blocks its event loop as the worker dies',
      { keepAlive: true, entrypoint: 'shutdown', callback: 'block' },
      { ORPHAN_SHUTDOWN_TIMEOUT: '600000', ORPHAN_AT: 'closing' },
    ],
  ] as const)('a job process whose worker is killed with SIGKILL', (what, script, env) => {
    /** Every process the test started, killed after it whatever happened (also on a timeout). */
    const started: number[] = [];
    afterEach(() => {
      for (const pid of started.splice(0)) if (!isGone(pid)) process.kill(pid, 'SIGKILL');
    });

    it(what, async () => {
      const worker = spawn(
        process.execPath,
        ['--import', TSX_LOADER!, fileURLToPath(new URL('../fixtures/agents/orphaning_worker.ts', import.meta.url)), JSON.stringify(script)],
        { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
      );
      started.push(worker.pid!);
      // The job process inherited the worker's stdout and stderr: they close once it has exited too.
      const allClosed = once(worker, 'close');
      const [line] = (await once(createInterface({ input: worker.stdout! }), 'line')) as [string];
      const { jobPid } = JSON.parse(line) as { jobPid: number };
      started.push(jobPid);
      expect(isGone(jobPid)).toBe(false);
      worker.kill('SIGKILL');
      await allClosed;
      expect(isGone(jobPid)).toBe(true);
    });
  });
});
