/**
 * Job start and executor density, for both executors (child processes, worker threads), over the
 * scripted test agent (test/fixtures/agents/scripted_agent.ts: a setupFnc, an entrypoint that
 * connects to a LocalRoom):
 * - start latency, from launch() to the entrypoint running (launch resolves then), with a warm
 *   pool (an idle process is waiting) and a cold one (numIdleProcesses 0: spawn, import, setup);
 * - memory per idle job process (its RSS, as it reports it) and per job thread (this process's
 *   RSS growth divided by the threads);
 * - throughput: jobs one pool starts and finishes per second (jobs that shut down at once). Each
 *   job takes a fresh process, so this is bounded by how fast processes initialize (importing the
 *   agent module through tsx, setupFnc) times numIdleProcesses.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ProcessPool } from '../src/ipc/process_pool.js';
import { TSX_LOADER } from '../src/ipc/typescript_loader.js';
import { ThreadExecutor } from '../src/ipc/thread_executor.js';
import type { ExecutorPool } from '../src/ipc/executor_pool.js';
import type { RunningJobInfo } from '../src/worker/running_job.js';
import { server } from '../test/fixtures/agents/scripted_agent.js';

type Kind = 'process' | 'thread';

const info = (id: string, metadata = '{}'): RunningJobInfo => ({
  job: { id, dispatchId: id, type: 'room', roomName: `room-${id}`, roomSid: 'RM', metadata, agentName: '', participantIdentity: undefined, attributes: {} },
  acceptArguments: { identity: 'agent', name: 'agent', metadata: '', attributes: {} },
  url: 'ws://127.0.0.1:1',
  token: 'bench',
  workerId: 'W',
});

const pool = (kind: Kind, numIdleProcesses: number): ExecutorPool => {
  const options = { room: 'local' as const, numIdleProcesses, jobMemoryWarnMb: 0, env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' } };
  return kind === 'process' ? new ProcessPool(server, options) : new ThreadExecutor(server, options);
};

const round = (value: number) => Math.round(value * 10) / 10;
const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
};

/** launch() → entrypoint running, `count` times, one job at a time. */
async function startLatency(kind: Kind, warm: boolean, count: number) {
  const executor = pool(kind, warm ? 1 : 0);
  await executor.start();
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    if (warm) await Promise.all(executor.processes.filter((process) => process.state !== 'running').map((process) => process.ready.catch(() => {})));
    const start = performance.now();
    const handle = await executor.launch(info(`${kind}-${i}`));
    samples.push(performance.now() - start);
    await handle.shutdown('measured');
  }
  await executor.close('bench over');
  return { p50Ms: quantile(samples, 0.5), p90Ms: quantile(samples, 0.9), samples: count };
}

async function idleMemory(kind: Kind, count: number) {
  global.gc?.();
  const before = process.memoryUsage().rss;
  const executor = pool(kind, count);
  await executor.start();
  // start() spawns them a few at a time: all of them are there once warming is over.
  await executor.warmed();
  // Each reports its memory at its first pong (every 2.5 s).
  await Promise.all(
    executor.processes.map(
      (process) =>
        new Promise<void>((resolve) => {
          if (process.memoryMb !== undefined) return resolve();
          const subscription = process.actor.subscribe((snapshot) => {
            if (snapshot.context.memoryMb === undefined) return;
            subscription.unsubscribe();
            resolve();
          });
        }),
    ),
  );
  const result =
    kind === 'process'
      ? { rssPerIdleProcessMb: round(executor.processes.reduce((sum, process) => sum + process.memoryMb!, 0) / count) }
      : {
          rssPerIdleThreadMb: round((process.memoryUsage().rss - before) / 1024 / 1024 / count),
          heapPerIdleThreadMb: round(executor.processes.reduce((sum, process) => sum + process.memoryMb!, 0) / count),
        };
  await executor.close('bench over');
  return { ...result, idle: count };
}

async function throughput(kind: Kind, jobs: number, idle: number) {
  const executor = pool(kind, idle);
  await executor.start();
  const start = performance.now();
  const ends = [];
  for (let i = 0; i < jobs; i++) {
    const handle = await executor.launch(info(`${kind}-t${i}`, JSON.stringify({ entrypoint: 'shutdown' })));
    ends.push(handle.ended);
  }
  const results = await Promise.all(ends);
  const seconds = (performance.now() - start) / 1000;
  await executor.close('bench over');
  return { jobsPerSecond: round(jobs / seconds), jobs, numIdleProcesses: idle, failed: results.filter((end) => end.status === 'failed').length };
}

/** RSS (MB) of a fresh Node process that imports `modules` (through tsx, as a job process) and does nothing else. */
function bareRss(modules: string[]): Promise<number> {
  const script = `await Promise.all(${JSON.stringify(modules)}.map((m) => import(m))); globalThis.gc?.(); await new Promise((r) => setImmediate(r)); console.log(process.memoryUsage().rss);`;
  const args = [...(TSX_LOADER && modules.length > 0 ? ['--import', TSX_LOADER] : []), '--expose-gc', '--input-type=module', '-e', script];
  return new Promise((resolve, reject) =>
    execFile(process.execPath, args, (error, stdout) => (error ? reject(error) : resolve(round(Number(stdout.trim()) / 1024 / 1024)))),
  );
}

/** What an idle job process holds that a bare Node process with the same imports does not. */
async function processBaselines() {
  const here = (path: string) => new URL(path, import.meta.url).href;
  return {
    bareNodeMb: await bareRss([]),
    // What a job process imports (its runner and watchdog, the agent module), imported and not run.
    sameImportsMb: await bareRss(['../src/ipc/job_runner.ts', '../src/ipc/orphan_watchdog.ts', '../test/fixtures/agents/scripted_agent.ts'].map((path) => fileURLToPath(here(path)))),
  };
}

export async function run(): Promise<Record<string, unknown>> {
  const results: Record<string, unknown> = { baselines: await processBaselines() };
  for (const kind of ['process', 'thread'] as const) {
    results[kind] = {
      // 40 samples: the p50 of 10 moved by ±0.3 ms between runs.
      startWarm: await startLatency(kind, true, 40),
      startCold: await startLatency(kind, false, 5),
      memory: await idleMemory(kind, 4),
      throughput: await throughput(kind, 40, 4),
    };
  }
  return results;
}
