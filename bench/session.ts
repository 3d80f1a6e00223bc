/**
 * Cost of a session's lifecycle: create + start + close of an AgentSession with its Agent, and of a
 * whole job + session + agent trio (LocalRoom), wall and CPU per iteration (p50, p99 over 1,000);
 * heap per live started session (1,000 held at once) and what is left after closing them.
 * Targets: < 5 ms wall and < 1 ms CPU per session; < 40 KB per live session; back to baseline.
 */
import { Agent, AgentServer, AgentSession, LocalRoom, type AgentSession as Session } from '../src/index.js';

const N = 1_000;
const WARMUP = 100;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function summary(values: number[], digits = 3) {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (x: number) => Number(x.toFixed(digits));
  return { p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)), mean: round(values.reduce((a, b) => a + b, 0) / values.length) };
}

async function measure(iterations: number, once: () => Promise<void>) {
  for (let i = 0; i < WARMUP; i++) await once();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await once();
    wall.push(performance.now() - t0);
    const used = process.cpuUsage(cpu0);
    cpu.push((used.user + used.system) / 1000);
  }
  return { wallMs: summary(wall), cpuMs: summary(cpu) };
}

async function sessionOnce(): Promise<void> {
  const session = new AgentSession();
  await session.start({ agent: new Agent({ instructions: 'bench' }) });
  await session.aclose();
}

const trioServer = new AgentServer();
trioServer.rtcSession(async (ctx) => {
  const session = new AgentSession();
  await session.start({ agent: new Agent({ instructions: 'bench' }), room: ctx.room });
});

async function trioOnce(): Promise<void> {
  const room = new LocalRoom();
  room.join({ identity: 'user' });
  const job = await trioServer.startJob({ room });
  await new Promise<void>((resolve) => job.ctx.once('session_started', () => resolve()));
  job.ctx.shutdown('bench');
  const result = await job.result;
  if (result.status !== 'success') throw new Error(`job failed: ${result.error?.message}`);
}

function heapUsed(): number {
  for (let i = 0; i < 3; i++) globalThis.gc?.();
  return process.memoryUsage().heapUsed;
}

async function heap() {
  if (!globalThis.gc) return { skipped: 'run with --expose-gc' };
  const baseline = heapUsed();
  let sessions: Session[] = [];
  for (let i = 0; i < N; i++) {
    const session = new AgentSession();
    await session.start({ agent: new Agent({ instructions: 'bench' }) });
    sessions.push(session);
  }
  const live = heapUsed();
  await Promise.all(sessions.map((session) => session.aclose()));
  sessions = [];
  const after = heapUsed();
  const perSessionKB = (live - baseline) / N / 1024;
  return {
    liveSessions: N,
    perLiveSessionKB: Number(perSessionKB.toFixed(1)),
    leftAfterCloseKB: Number(((after - baseline) / 1024).toFixed(1)),
    target: { perLiveSessionKB: '< 40', leftAfterClose: 'back to baseline (within 1 KB per closed session)' },
    met: perSessionKB < 40 && after - baseline < N * 1024,
  };
}

export async function run(): Promise<Record<string, unknown>> {
  const session = await measure(N, sessionOnce);
  const trio = await measure(N, trioOnce);
  return {
    iterations: N,
    sessionCreateStartClose: { ...session, met: session.wallMs.p50 < 5 && session.cpuMs.p50 < 1 },
    jobSessionAgentTrio: { ...trio, met: trio.wallMs.p50 < 5 && trio.cpuMs.p50 < 1 },
    target: 'per session: wall < 5 ms, CPU < 1 ms (p50)',
    heap: await heap(),
  };
}
