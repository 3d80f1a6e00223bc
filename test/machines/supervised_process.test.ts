/**
 * Model-based test of machines/supervised_process.ts against the REAL SupervisedProcess over a real child
 * process running the scripted fixture agent (test/fixtures/agents/scripted_agent.ts).
 *
 * xstate/graph gives the shortest path to every (state, incoming event) of the statechart. Each
 * path is performed for real: the fixture's setup and job script are chosen from the path's events
 * (a setup that fails, hangs or exits; an entrypoint that ignores the shutdown; a shutdown callback
 * that hangs), and each step is a real action (launching a job, SIGUSR2 to make the job shut itself
 * down, allocate memory or block its event loop; a shutdown request) or something the process does
 * by itself (spawning, initializing, answering pings, exiting). After each step the real actor must
 * have passed through the state the path names, in order; self-transitions are checked by what
 * they record (a memory warning, the job's end). Beside the states, each step is checked by what
 * crossed the IPC channel (the parent's initialize, startJob, shutdown and pings; the child's
 * answers), and each path by what its user sees at the end: whether the process got ready (or why
 * not), how its job ended, how the process exited (SIGKILL when killed), no error events, and no
 * process left. CoverageTracker measures, from the real actors, that the paths took every state
 * and transition.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventObject, SnapshotFrom } from 'xstate';
import { TestModel } from 'xstate/graph';
import { supervisedProcessMachine, type SupervisedProcessMachineContext } from '../../machines/supervised_process.js';
import type { VoxstateError } from '../../src/errors.js';
import type { ChildMessage, ParentMessage } from '../../src/ipc/ipc_messages.js';
import type { OpenChannel } from '../../src/ipc/job_channel.js';
import { openProcessChannel } from '../../src/ipc/process_channel.js';
import { SupervisedProcess, type SupervisionOptions } from '../../src/ipc/supervised_process.js';
import type { JobEnd, JobHandle } from '../../src/worker/running_job.js';
import type { Script } from '../fixtures/agents/scripted_agent.js';
import { LAX_JOB, isGone, jobInfo } from '../ipc/executor_harness.js';

/** The fixture agent is TypeScript: its children load tsx. */
const TS_CHILD = { typescript: true };
import { CoverageTracker } from '../support/model_coverage.js';

type Snapshot = SnapshotFrom<typeof supervisedProcessMachine>;
type Sample = EventObject & { usedMb?: number; reason?: string; tag?: string };

const MODEL_WARN_MB = 100;
const MODEL_LIMIT_MB = 200;
const MODULE = new URL('../fixtures/agents/scripted_agent.ts', import.meta.url).pathname;

const BASE: Omit<SupervisionOptions, 'memoryWarnMb' | 'memoryLimitMb'> = {
  module: MODULE,
  entry: { from: 'rtcSession' },
  room: 'local',
  initializeProcessTimeout: 5_000,
  // Room for a loaded machine to exit normally; the paths that exceed it hang for real.
  shutdownProcessTimeout: 1_000,
  entrypointGrace: 100,
  sessionCloseTimeout: 100,
  pingInterval: 50,
  pingTimeout: 3_000,
  highPingThreshold: 10_000,
};

const at = (snapshot: Snapshot, state: string) => snapshot.matches(state as never);
/** Whether a job was launched in this process (an idle process, or one whose setup failed, has none). */
const hasJob = (snapshot: Snapshot) =>
  snapshot.context.shutdownReason !== undefined && snapshot.context.shutdownReason !== 'idle stop' && !snapshot.context.initializeError;

/** The events a real process can be made to take in `snapshot` (see the file comment). */
function samples(snapshot: Snapshot): Sample[] {
  const own = new Set(snapshot._nodes.flatMap((node) => [...node.transitions.keys()]));
  const out: Sample[] = [];
  for (const type of own) {
    switch (type) {
      case 'ping.due':
        // Pings go on in every ready state; one path shows them.
        if (at(snapshot, 'ready.idle')) out.push({ type });
        break;
      case 'pong':
        // An ordinary pong at rest; growing past the thresholds only where a job can allocate.
        if (at(snapshot, 'ready.idle')) out.push({ type, usedMb: 1, tag: 'low' });
        if (at(snapshot, 'ready.running')) {
          if (snapshot.context.memoryWarnedAtMb === undefined) out.push({ type, usedMb: MODEL_WARN_MB + 1, tag: 'warn' });
          out.push({ type, usedMb: MODEL_LIMIT_MB + 1, tag: 'limit' });
        }
        break;
      case 'unresponsive':
        if (at(snapshot, 'ready.running')) out.push({ type });
        break;
      case 'shutdown':
        if (at(snapshot, 'ready.exiting')) break;
        out.push({
          type,
          reason: at(snapshot, 'ready.starting') || at(snapshot, 'ready.running') ? 'job stop' : 'idle stop',
          // Both lead to killing: told apart, so each gets its path.
          ...(at(snapshot, 'spawning') ? { tag: 'spawning' } : at(snapshot, 'initializing') ? { tag: 'initializing' } : {}),
        });
        break;
      case 'exited':
        // By itself: a setup that exits, a process done with its job, a killed one.
        if (at(snapshot, 'initializing') || at(snapshot, 'ready.exiting.closing') || at(snapshot, 'killing')) out.push({ type, code: 0, signal: null } as Sample);
        break;
      case 'job.ended':
        if (at(snapshot, 'ready.exiting.closing') && !hasJob(snapshot)) break;
        out.push({ type, status: 'failed', reason: 'x', error: 'y', tag: at(snapshot, 'ready.starting') ? 'start failure' : 'end' } as Sample);
        break;
      case 'xstate.after.shutdownProcessTimeout.supervisedProcess.ready.exiting.closing':
        // Only a job can hang in its shutdown: an idle process or one whose setup failed exits at once.
        if (hasJob(snapshot)) out.push({ type });
        break;
      case 'initialize.failed':
        out.push({ type, error: 'the model is missing' } as Sample);
        break;
      case 'job.shuttingDown':
        out.push({ type, reason: 'script said so' });
        break;
      default:
        out.push({ type });
    }
  }
  return out;
}

const model = new TestModel<Snapshot, Sample, unknown>(supervisedProcessMachine as never, {
  input: {
    initializeProcessTimeout: 1,
    shutdownBudget: 1,
    shutdownProcessTimeout: 1,
    memoryWarnMb: MODEL_WARN_MB,
    memoryLimitMb: MODEL_LIMIT_MB,
    pingInterval: 1,
    pingTimeout: 1,
  },
  events: (snapshot: Snapshot) => samples(snapshot),
  serializeState: (snapshot: Snapshot, event: Sample | undefined) =>
    `${JSON.stringify(snapshot.value)} ${snapshot.context.shutdownReason ?? ''} ${snapshot.context.memoryWarnedAtMb === undefined ? '' : 'warned'} ${snapshot.context.killReason ?? ''} via ${event?.type ?? '-'} ${event?.tag ?? ''}`,
} as never);
const paths = model.getShortestPaths();

let coverage: CoverageTracker;
let thresholds = { warnMb: 0, limitMb: 0, warnAllocMb: 0, limitAllocMb: 0 };

beforeAll(async () => {
  // The RSS of a job process running a job, so the memory steps cross the real thresholds.
  const probe = new SupervisedProcess((handlers) => openProcessChannel({ env: { FIXTURE_JOB_OPTIONS: JSON.stringify(LAX_JOB) } }, handlers, TS_CHILD), {
    ...BASE,
    memoryWarnMb: 0,
    memoryLimitMb: 0,
  });
  await probe.ready;
  const handle = await probe.launch(jobInfo('probe'));
  // A few pongs in, once the job's modules are loaded.
  const base = await new Promise<number>((resolve) => {
    let pongs = 0;
    const subscription = probe.actor.subscribe((snapshot) => {
      if (snapshot.context.memoryMb === undefined || ++pongs < 5) return;
      subscription.unsubscribe();
      resolve(snapshot.context.memoryMb);
    });
  });
  await handle.shutdown('probed');
  // Warn: +80 MB crosses the warning (+50) but not the limit (+150); +200 crosses the limit alone.
  thresholds = { warnMb: Math.ceil(base + 50), limitMb: Math.ceil(base + 150), warnAllocMb: 80, limitAllocMb: 200 };
  // Installed now: it sees only the processes of the paths.
  coverage = new CoverageTracker(supervisedProcessMachine);
});

/** Every process a path started: shut down after all, also those of a path that timed out. */
const supervisedProcesses = new Set<SupervisedProcess>();

afterAll(async () => {
  coverage.stop();
  await Promise.all([...supervisedProcesses].map((supervised) => supervised.shutdown('test over')));
});

interface Plan {
  setup: 'ok' | 'fail' | 'hang' | 'exit';
  script: Script;
  jobId: string;
  pingTimeout: number;
  initializeProcessTimeout: number;
}

function planOf(steps: Array<{ state: Snapshot; event: Sample }>): Plan {
  const plan: Plan = { setup: 'ok', script: { steps: [] }, jobId: 'model', pingTimeout: BASE.pingTimeout, initializeProcessTimeout: BASE.initializeProcessTimeout };
  steps.forEach(({ event }, i) => {
    const before = steps[i - 1]?.state;
    if (event.type.startsWith('xstate.after.initializeProcessTimeout')) {
      plan.setup = 'hang';
      plan.initializeProcessTimeout = 300;
    }
    if (event.type === 'initialize.failed') plan.setup = 'fail';
    if (event.type === 'exited' && before && at(before, 'initializing')) plan.setup = 'exit';
    if (event.type.startsWith('xstate.after.shutdownBudget')) plan.script.entrypoint = 'stuck';
    if (event.type.startsWith('xstate.after.shutdownProcessTimeout')) plan.script.callback = 'hang';
    if (event.type === 'job.ended' && event.tag === 'start failure') plan.jobId = '';
    if (event.type === 'job.shuttingDown') plan.script.steps!.push('shutdown');
    if (event.type === 'pong' && event.tag === 'warn') plan.script.steps!.push(`alloc:${thresholds.warnAllocMb}`);
    if (event.type === 'pong' && event.tag === 'limit') plan.script.steps!.push(`alloc:${thresholds.limitAllocMb}`);
    if (event.type === 'unresponsive') {
      plan.script.steps!.push('block');
      plan.pingTimeout = 500;
    }
  });
  return plan;
}

/** Every snapshot the real actor went through, and a cursor: the steps find their states in order. */
class History {
  readonly snapshots: Snapshot[] = [];
  #cursor = 0;
  #waiting: (() => void) | undefined;

  constructor(supervised: SupervisedProcess) {
    this.snapshots.push(supervised.actor.getSnapshot());
    supervised.actor.subscribe({
      next: (snapshot) => {
        this.snapshots.push(snapshot);
        this.#waiting?.();
      },
      complete: () => this.#waiting?.(),
    });
  }

  /**
   * Waits until a snapshot from the cursor on satisfies `check`; the cursor moves to it. Only the
   * test's own timeout bounds the wait; a process that has ended without getting there fails it.
   */
  async reach(what: string, check: (snapshot: Snapshot) => boolean): Promise<Snapshot> {
    for (;;) {
      for (let i = this.#cursor; i < this.snapshots.length; i++) {
        if (check(this.snapshots[i]!)) {
          this.#cursor = i;
          return this.snapshots[i]!;
        }
      }
      const last = this.snapshots.at(-1)!;
      if (last.status !== 'active') {
        const states = this.snapshots.slice(this.#cursor).map((s) => JSON.stringify(s.value)).filter((value, i, all) => value !== all[i - 1]);
        throw new Error(`never reached ${what}; went through ${states.join(' → ')} (kill reason: ${last.context.killReason ?? 'none'}, memory ${Math.round(last.context.memoryMb ?? 0)} MB)`);
      }
      await new Promise<void>((resolve) => (this.#waiting = resolve));
    }
  }
}

/** A real job process's channel, recording the type of every message that crossed it either way. */
function recordedChannel(env: Record<string, string>) {
  const toChild: Array<ParentMessage['type']> = [];
  const fromChild: Array<ChildMessage['type']> = [];
  const open: OpenChannel = (handlers) => {
    const channel = openProcessChannel({ env }, {
      ...handlers,
      message: (raw) => {
        fromChild.push((raw as ChildMessage).type);
        handlers.message(raw);
      },
    }, TS_CHILD);
    return {
      kind: channel.kind,
      get id() {
        return channel.id;
      },
      send: (message) => {
        toChild.push(message.type);
        channel.send(message);
      },
      kill: () => channel.kill(),
      usedMb: (report) => channel.usedMb(report),
    };
  };
  return { open, toChild, fromChild };
}

/** What must have crossed the channel once the machine took `event` (from `before`), either way. */
function messagesOf(event: Sample, before: Snapshot | undefined): { toChild?: ParentMessage['type']; fromChild?: ChildMessage['type'] } {
  switch (event.type) {
    case 'initialized':
      return { toChild: 'initialize', fromChild: 'initialized' };
    case 'initialize.failed':
      return { toChild: 'initialize', fromChild: 'initializeFailed' };
    case 'launch':
      return { toChild: 'startJob' };
    case 'job.started':
      return { fromChild: 'jobStarted' };
    case 'job.shuttingDown':
      return { fromChild: 'jobShuttingDown' };
    case 'job.closing':
      return { fromChild: 'jobClosing' };
    case 'job.ended':
      return { fromChild: 'jobEnded' };
    case 'ping.due':
      return { toChild: 'ping' };
    case 'pong':
      return { toChild: 'ping', fromChild: 'pong' };
    case 'shutdown':
      // A process not yet initialized is killed: there is nobody to tell.
      return before && at(before, 'ready') ? { toChild: 'shutdown' } : {};
    default:
      return {};
  }
}

/** Why the process never got ready, as `ready` rejects, for a path that ends before it did. */
function notReadyBecause(snapshot: Snapshot): RegExp {
  const { killReason, initializeError } = snapshot.context;
  if (initializeError) return /setupFnc failed: the model is missing/;
  if (killReason === 'initialize timeout') return /did not initialize within 300 ms/;
  if (killReason === 'closed') return /it was killed: the executor closed/;
  return /it exited before it was ready/;
}

/**
 * How a launched job ends, for a path that ends in `last` (its final state): killed, it failed for
 * the kill's reason; else the fixture's job wound down by the contract, with the shutdown's reason.
 */
function jobEndOf(last: Snapshot): Partial<JobEnd> {
  const { killReason, shutdownReason } = last.context;
  if (last.matches('killed' as never)) return { status: 'failed', reason: killReason };
  return { status: 'success', reason: shutdownReason };
}

const label = (event: Sample) => `${event.type.replace(/^xstate\.after\.([^.]+)\..*/, 'after $1')}${event.tag ? ` (${event.tag})` : ''}`;

describe('supervised process machine, generated paths through a real SupervisedProcess', () => {
  describe.concurrent('paths', () => {
    for (const path of paths) {
      const name = `${path.steps.slice(1).map((step) => label(step.event)).join(' → ')} ⇒ ${JSON.stringify(path.state.value)}`;
      it(name, async () => {
        const plan = planOf(path.steps as never);
        const wire = recordedChannel({ FIXTURE_SETUP: plan.setup, FIXTURE_JOB_OPTIONS: JSON.stringify(LAX_JOB) });
        const errors: VoxstateError[] = [];
        let supervised!: SupervisedProcess;
        let history!: History;
        let launched: Promise<JobHandle> | undefined;
        let signalled = 0;
        const signalChild = () => {
          signalled += 1;
          process.kill(supervised.id!, 'SIGUSR2');
        };
        try {
          for (const [i, { state, event }] of path.steps.entries()) {
            const before = path.steps[i - 1]?.state;
            switch (event.type) {
              case 'xstate.init':
                supervised = new SupervisedProcess(wire.open, {
                  ...BASE,
                  pingTimeout: plan.pingTimeout,
                  initializeProcessTimeout: plan.initializeProcessTimeout,
                  memoryWarnMb: thresholds.warnMb,
                  memoryLimitMb: thresholds.limitMb,
                });
                supervisedProcesses.add(supervised);
                supervised.on('error', (error) => errors.push(error));
                history = new History(supervised);
                break;
              case 'launch':
                launched = supervised.launch({ ...jobInfo('model', plan.script), job: { ...jobInfo('model', plan.script).job, id: plan.jobId } });
                launched.catch(() => {});
                break;
              case 'shutdown':
                void supervised.shutdown(event.reason!);
                break;
              case 'job.shuttingDown':
              case 'unresponsive':
                await history.reach('the job running', (s) => s.matches({ ready: 'running' } as never));
                signalChild();
                break;
              case 'pong':
                if (event.tag !== 'low') {
                  await history.reach('the job running', (s) => s.matches({ ready: 'running' } as never));
                  signalChild();
                }
                break;
              default:
              // Spawning, initializing, the job's own progress, pings, pongs, delays and exits happen by themselves.
            }
            const expected = JSON.stringify(state.value);
            const where = `step ${i} (${label(event)}) ⇒ ${expected}`;
            if (event.type === 'pong' && event.tag === 'warn') {
              await history.reach(`${where}: a memory warning`, (s) => s.context.memoryWarnedAtMb !== undefined);
            } else if (event.type === 'pong' && event.tag === 'low') {
              await history.reach(`${where}: a memory report`, (s) => s.context.memoryMb !== undefined && JSON.stringify(s.value) === expected);
            } else if (event.type === 'ping.due') {
              await history.reach(`${where}: a ping`, () => wire.toChild.includes('ping'));
            } else if (event.type === 'job.ended') {
              await history.reach(`${where}: the job's end`, (s) => s.context.jobEnd !== undefined);
            }
            await history.reach(where, (s) => JSON.stringify(s.value) === expected);
            const context = history.snapshots.at(-1)!.context as SupervisedProcessMachineContext;
            if (state.matches('killing' as never) || state.matches('killed' as never)) {
              expect(context.killReason, where).toBe(state.context.killReason);
            }
            const crossed = messagesOf(event, before);
            if (crossed.toChild) expect(wire.toChild, `${where}: the parent sent`).toContain(crossed.toChild);
            if (crossed.fromChild) expect(wire.fromChild, `${where}: the child sent`).toContain(crossed.fromChild);
          }
          expect(signalled).toBe(plan.script.steps!.length);

          // What the user of a process that went all the way sees.
          const last = path.state;
          if (last.status === 'done') {
            const output = await supervised.exited;
            expect(output.outcome).toBe(last.matches('killed' as never) ? 'killed' : 'exited');
            if (output.outcome === 'killed') expect(output.exit).toEqual({ code: null, signal: 'SIGKILL' });
            const wasReady = path.steps.some(({ state: s }) => s.matches('ready' as never));
            if (wasReady) await supervised.ready;
            else await expect(supervised.ready).rejects.toThrow(notReadyBecause(last));
            if (launched) {
              const startFailed = path.steps.some(({ event }) => event.type === 'job.ended' && event.tag === 'start failure');
              if (startFailed) await expect(launched).rejects.toMatchObject({ code: 'job_start_failed' });
              else expect(await (await launched).ended).toMatchObject(jobEndOf(last));
            }
          }
          expect(errors, 'error events').toEqual([]);
        } finally {
          // Whatever the path left running is shut down; nothing may be left behind.
          if (supervised) {
            await supervised.shutdown('path over');
            if (supervised.id !== undefined) expect(isGone(supervised.id)).toBe(true);
          }
        }
      });
    }
  });

  it('the paths took every state and transition of the supervised process machine', () => {
    console.log(`${paths.length} generated paths\n${coverage.report()}`);
    const { states, transitions } = coverage.coverage();
    expect(states.missing).toEqual([]);
    expect(transitions.missing).toEqual([]);
  });
});
