/**
 * Model-based test of machines/assigned_job.ts: the worker's child actor for each job it runs,
 * driven through the REAL Worker (src/worker/worker.ts) on the fake LiveKit dispatcher.
 *
 * xstate/graph gives the shortest path to every (state, incoming transition) of the statechart.
 * Each path runs on a fresh Worker that is assigned job J, with an executor the test holds: its
 * launch succeeds or fails when the test says, and the job it launched ends when the test says.
 * Each event of the path is a real action: the launch going through (`job.launched`), failing or
 * the job ending (`job.ended`), LiveKit terminating the job (`shutdown`). After each step the job's
 * actor must be where the path says (gone from the worker once ended), and what the world sees
 * must be what the worker's contract with LiveKit says, written out here apart from the machine:
 * LiveKit hears JS_RUNNING once the job runs and JS_SUCCESS or JS_FAILED (with the error) once it
 * ended; the program gets job_started, job_ended and, for a launch that fails, a JobLaunchError;
 * the executor is told to shut the job down once it runs, at most once, with the first reason.
 * CoverageTracker measures on the real actors that the paths take every state and transition.
 */
import { JobStatus } from '@livekit/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { __unsafe_getAllOwnEventDescriptors, type EventObject, type SnapshotFrom } from 'xstate';
import { TestModel } from 'xstate/graph';
import { assignedJobMachine, type JobEnd } from '../../machines/assigned_job.js';
import { until } from '../../src/actors/until.js';
import { JobLaunchError } from '../../src/worker/errors.js';
import type { JobExecutor, JobHandle, RunningJobInfo } from '../../src/worker/running_job.js';
import { deferred, type Deferred } from '../support/deferred.js';
import { CoverageTracker } from '../support/model_coverage.js';
import { closeWorlds, World } from '../worker/harness.js';

type Snapshot = SnapshotFrom<typeof assignedJobMachine>;

const TERMINATED = 'job terminated by LiveKit';
const LAUNCH_ERROR = new Error('no room today');

/** A job the executor launched, ending when the test says. */
interface HeldJob {
  handle: JobHandle;
  end: Deferred<JobEnd>;
  /** The reasons the executor was told to shut the job down with. */
  shutdowns: string[];
}

/** An executor whose launch goes through or fails when the test says. */
class HeldExecutor implements JobExecutor {
  readonly launches: Array<{ info: RunningJobInfo; result: Deferred<JobHandle> }> = [];
  readonly #launched = deferred();
  job: HeldJob | undefined;

  async start(): Promise<void> {}
  get activeJobs(): number {
    return this.job && !this.job.end.settled ? 1 : 0;
  }
  launch(info: RunningJobInfo): Promise<JobHandle> {
    const result = deferred<JobHandle>();
    this.launches.push({ info, result });
    this.#launched.resolve();
    return result.promise;
  }
  /** Resolves once the worker has asked for a launch. */
  launched(): Promise<void> {
    return this.#launched.promise;
  }
  /** The launch goes through: the job runs. */
  run(): void {
    const end = deferred<JobEnd>();
    const shutdowns: string[] = [];
    const handle: JobHandle = {
      id: 'J',
      ended: end.promise,
      shutdown: async (reason) => {
        shutdowns.push(reason);
        await end.promise;
      },
    };
    this.job = { handle, end, shutdowns };
    this.launches[0]!.result.resolve(handle);
  }
  fail(): void {
    this.launches[0]!.result.reject(LAUNCH_ERROR);
  }
  /** Whatever is left ends (as a job told to shut down would). */
  async close(reason: string): Promise<void> {
    if (this.job && !this.job.end.settled) this.job.end.resolve({ status: 'success', reason });
  }
}

// --- the paths ---

/** The events a real world can make the job's actor take in `snapshot`. */
function eventsFrom(snapshot: Snapshot): EventObject[] {
  // An ended job's actor is done: it takes nothing any more.
  if (snapshot.status === 'done') return [];
  return __unsafe_getAllOwnEventDescriptors(snapshot).flatMap((type): EventObject[] => {
    switch (type) {
      case 'shutdown':
        return [{ type, reason: TERMINATED } as EventObject];
      case 'job.ended': {
        if (snapshot.matches('launching')) return [{ type, end: { status: 'failed', reason: 'launch failed', error: `job J could not be launched: ${LAUNCH_ERROR.message}` } } as EventObject];
        const reason = snapshot.matches({ launched: 'shuttingDown' }) ? TERMINATED : 'the job is done';
        return [{ type, end: { status: 'success', reason } } as EventObject];
      }
      default:
        return [{ type }];
    }
  });
}

const model = new TestModel<Snapshot, EventObject, unknown>(assignedJobMachine as never, {
  input: { jobId: 'J', pending: {} as never, assignment: { jobId: 'J' }, workerId: 'AW' },
  events: eventsFrom,
  serializeState: (snapshot: Snapshot, event: EventObject | undefined, previous: Snapshot | undefined) =>
    `${JSON.stringify(snapshot.value)} via ${event?.type ?? '-'} from ${previous ? JSON.stringify(previous.value) : '-'}`,
} as never);
const paths = model.getShortestPaths();

// --- what the world must see ---

/** What the world has seen of job J so far: the worker's contract for it, apart from the machine. */
class Contract {
  running = false;
  ended: JobEnd | undefined;
  /** The first shutdown order; the executor hears of it once the job runs. */
  reason: string | undefined;

  apply(event: EventObject): void {
    if (event.type === 'job.launched') this.running = true;
    if (event.type === 'shutdown') this.reason ??= (event as EventObject & { reason: string }).reason;
    if (event.type === 'job.ended') this.ended = (event as unknown as { end: JobEnd }).end;
  }

  /** The job statuses LiveKit has had. */
  get statuses(): Array<{ status: JobStatus; error: string }> {
    const out = this.running ? [{ status: JobStatus.JS_RUNNING, error: '' }] : [];
    if (this.ended) out.push({ status: this.ended.status === 'success' ? JobStatus.JS_SUCCESS : JobStatus.JS_FAILED, error: this.ended.status === 'failed' ? this.ended.error : '' });
    return out;
  }

  /** The shutdowns the executor was told of: the first reason, once the job runs (and before it ended by itself). */
  shutdowns(endedBeforeOrder: boolean): string[] {
    return this.running && this.reason !== undefined && !endedBeforeOrder ? [this.reason] : [];
  }
}

let coverage: CoverageTracker;
beforeAll(() => {
  coverage = new CoverageTracker(assignedJobMachine);
});
afterAll(() => coverage.stop());
afterEach(closeWorlds);

describe('assigned job machine: generated paths (xstate/graph) through the real Worker', () => {
  paths.forEach((path, index) => {
    const name = `#${index + 1} ${path.steps
      .slice(1)
      .map(({ event }) => event.type)
      .join(' → ')} ⇒ ${JSON.stringify(path.state.value)}`;
    it(name, async () => {
      const executor = new HeldExecutor();
      const world = await World.start({ worker: { executor } });
      await world.until('available');
      await world.livekit.ask({ id: 'J' });
      world.livekit.assign({ id: 'J' }, { token: 'room-token-J' });
      await executor.launched();
      const actor = () => world.worker.actor.getSnapshot().context.jobs.J;
      const contract = new Contract();
      const job = actor()!;
      let endedBeforeOrder = false;

      for (const [i, { state, event }] of path.steps.entries()) {
        if (i > 0) {
          const where = `step ${i} (${event.type}) ⇒ ${JSON.stringify(state.value)}`;
          const wasRunning = contract.running;
          contract.apply(event);
          switch (event.type) {
            case 'job.launched':
              executor.run();
              break;
            case 'shutdown':
              world.livekit.terminate('J');
              break;
            case 'job.ended':
              if (!wasRunning) executor.fail();
              else {
                endedBeforeOrder = contract.reason === undefined;
                executor.job!.end.resolve((event as unknown as { end: JobEnd }).end);
              }
              break;
          }
          // The job's actor is where the path says; an ended one is gone from the worker.
          if (state.status === 'done') {
            await until(world.worker.actor, (snapshot) => snapshot.context.jobs.J === undefined);
            expect(job.getSnapshot().status, where).toBe('done');
          } else {
            await until(job, (snapshot) => JSON.stringify(snapshot.value) === JSON.stringify(state.value));
          }
          // What LiveKit heard of the job.
          const statuses = contract.statuses;
          while (world.livekit.all('updateJob').length < statuses.length) await world.livekit.messages(world.livekit.received.length + 1);
          expect(
            world.livekit.all('updateJob').map(({ jobId, status, error }) => ({ jobId, status, error })),
            `${where}: the job statuses LiveKit received`,
          ).toEqual(statuses.map((s) => ({ jobId: 'J', ...s })));
          // What the program was told.
          expect(world.started, `${where}: job_started`).toEqual(contract.running ? ['J'] : []);
          expect(world.ended, `${where}: job_ended`).toEqual(contract.ended ? [['J', contract.ended]] : []);
          expect(world.errors.map((e) => e.constructor), `${where}: error events`).toEqual(
            contract.ended?.reason === 'launch failed' ? [JobLaunchError] : [],
          );
          expect(world.worker.status.activeJobs, `${where}: jobs counted`).toBe(contract.ended ? 0 : 1);
          // What the executor was told.
          expect(executor.job?.shutdowns ?? [], `${where}: shutdowns ordered`).toEqual(contract.shutdowns(endedBeforeOrder));
        }
      }
      // The executor launched the job with LiveKit's assignment: its URL and the agent's token.
      expect(executor.launches.map(({ info }) => [info.job.id, info.token, info.url])).toEqual([['J', 'room-token-J', world.livekit.url]]);
    });
  });

  it('the paths take every state and transition of the assigned job machine', () => {
    console.log(`${paths.length} generated paths\n${coverage.report()}`);
    const { states, transitions } = coverage.coverage();
    expect(states.missing).toEqual([]);
    expect(transitions.missing).toEqual([]);
  });
});
