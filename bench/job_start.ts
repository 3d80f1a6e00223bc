/**
 * Job start and executor density, for both executors (child processes, worker threads), over the
 * scripted test agent (test/fixtures/agents/scripted_agent.ts: a setupFnc, an entrypoint that
 * connects to a LocalRoom):
 * - start latency, from launch() to the entrypoint running (launch resolves then), with a warm
 *   pool (an idle process is waiting) and a cold one (numIdleProcesses 0: spawn, import, setup);
 * - memory per idle job process (its RSS, as it reports it, at once and settled; for the agent
 *   compiled to JavaScript and through tsx; beside a bare Node process and one with the same
 *   imports) and per job thread (this process's RSS growth divided by the threads);
 * - throughput: jobs one pool starts and finishes per second (jobs that shut down at once). Each
 *   job takes a fresh process, so this is bounded by how fast processes initialize (importing the
 *   agent module through tsx, setupFnc) times numIdleProcesses.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { COMPILED, compileScriptedAgent } from './compiled_agent.js';
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

/** Memory per idle job thread: this process's RSS growth divided by the threads, and each thread's heap. */
async function idleThreadMemory(count: number) {
  global.gc?.();
  const before = process.memoryUsage().rss;
  const executor = pool('thread', count);
  await executor.start();
  // start() spawns them a few at a time: all of them are there once warming is over.
  await executor.warmed();
  // Each reports its memory at its first pong (every 2.5 s).
  await Promise.all(
    executor.processes.map(
      (thread) =>
        new Promise<void>((resolve) => {
          if (thread.memoryMb !== undefined) return resolve();
          const subscription = thread.actor.subscribe((snapshot) => {
            if (snapshot.context.memoryMb === undefined) return;
            subscription.unsubscribe();
            resolve();
          });
        }),
    ),
  );
  const result = {
    rssPerIdleThreadMb: round((process.memoryUsage().rss - before) / 1024 / 1024 / count),
    heapPerIdleThreadMb: round(executor.processes.reduce((sum, thread) => sum + thread.memoryMb!, 0) / count),
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

/**
 * V8 shrinks a process's young generation (grown while modules load) with its memory reducer, about
 * 8 s after the last full GC once the process allocates little: an idle process's RSS falls by
 * ~10 MB then. Memory is read at once and once it has settled.
 */
const SETTLE_MS = 15_000;

/**
 * RSS (MB) of a fresh Node process that imports `modules` and does nothing else, after the imports
 * and once settled; through tsx when `typescript` (as a job process of a TypeScript agent).
 */
function bareRss(modules: string[], typescript: boolean): Promise<{ firstMb: number; settledMb: number }> {
  const script = `await Promise.all(${JSON.stringify(modules)}.map((m) => import(m))); const first = process.memoryUsage().rss; await new Promise((r) => setTimeout(r, ${SETTLE_MS})); console.log(first, process.memoryUsage().rss);`;
  const args = [...(typescript && TSX_LOADER ? ['--import', TSX_LOADER] : []), '--input-type=module', '-e', script];
  return new Promise((resolve, reject) =>
    execFile(process.execPath, args, (error, stdout) => {
      if (error) return reject(error);
      const [first, settled] = stdout.trim().split(' ').map((bytes) => round(Number(bytes) / 1024 / 1024));
      resolve({ firstMb: first!, settledMb: settled! });
    }),
  );
}

/** What a job process imports (its runner and watchdog, the agent module), imported and not run. */
const jobProcessImports = (root: string, agent: string, extension: string) =>
  [`src/ipc/job_runner${extension}`, `src/ipc/orphan_watchdog${extension}`].map((path) => join(root, path)).concat(agent);

/**
 * An idle job process's RSS as it reports it (at each pong, every 2.5 s): its first report and the
 * last one of SETTLE_MS, over `count` processes, beside a bare Node process and one with the
 * same imports. `compiled`: the agent and voxstate as JavaScript (bench/compiled_agent.ts), as a
 * production agent runs; else the TypeScript fixture through tsx.
 */
async function idleProcessMemory(compiled: boolean, count: number) {
  const sourceRoot = fileURLToPath(new URL('..', import.meta.url));
  const agent = compiled ? await compileScriptedAgent() : join(sourceRoot, 'test/fixtures/agents/scripted_agent.ts');
  const root = compiled ? COMPILED : sourceRoot;
  const extension = compiled ? '.js' : '.ts';
  const { ProcessPool: Pool } = (await import(pathToFileURL(join(root, `src/ipc/process_pool${extension}`)).href)) as typeof import('../src/ipc/process_pool.js');
  const { server: agentServer } = (await import(pathToFileURL(agent).href)) as typeof import('../test/fixtures/agents/scripted_agent.js');
  const executor = new Pool(agentServer, { room: 'local', numIdleProcesses: count, jobMemoryWarnMb: 0, env: { LOG_LEVEL: 'silent' } });
  await executor.start();
  await executor.warmed();
  const reports = executor.processes.map(() => [] as number[]);
  const subscriptions = executor.processes.map((job, index) =>
    job.actor.subscribe((snapshot) => {
      const mb = snapshot.context.memoryMb;
      if (mb !== undefined && mb !== reports[index]!.at(-1)) reports[index]!.push(mb);
    }),
  );
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  for (const subscription of subscriptions) subscription.unsubscribe();
  await executor.close('bench over');
  const mean = (values: number[]) => round(values.reduce((sum, value) => sum + value, 0) / values.length);
  const [bareNode, sameImports] = await Promise.all([bareRss([], false), bareRss(jobProcessImports(root, agent, extension), !compiled)]);
  const idle = { firstMb: mean(reports.map((mbs) => mbs[0]!)), settledMb: mean(reports.map((mbs) => mbs.at(-1)!)) };
  return {
    idle,
    bareNode,
    sameImports,
    overSameImportsMb: round(idle.settledMb - sameImports.settledMb),
    processes: count,
  };
}

export async function run(): Promise<Record<string, unknown>> {
  const results: Record<string, unknown> = {};
  for (const kind of ['process', 'thread'] as const) {
    results[kind] = {
      // 40 samples: the p50 of 10 moved by ±0.3 ms between runs.
      startWarm: await startLatency(kind, true, 40),
      startCold: await startLatency(kind, false, 5),
      ...(kind === 'thread' ? { memory: await idleThreadMemory(4) } : {}),
      throughput: await throughput(kind, 40, 4),
    };
  }
  // Last: it loads a second, compiled copy of voxstate into this process.
  results.idleProcessMemory = { compiledAgent: await idleProcessMemory(true, 2), typescriptAgent: await idleProcessMemory(false, 2) };
  return results;
}
