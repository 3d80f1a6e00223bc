/**
 * machines/job_runner.ts: the child's side of a job process, every state and transition, with
 * the effects src/ipc/job_runner.ts gives it recorded (the real runner is tested through real
 * child processes in test/ipc/executors.test.ts).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { jobRunnerMachine, type JobRunnerMachineEvent } from '../../machines/job_runner.js';
import { startActor } from '../../src/actors/start_actor.js';
import { CoverageTracker, machineInventory } from '../support/model_coverage.js';

const tracker = new CoverageTracker(jobRunnerMachine);
afterAll(() => tracker.stop());

const TIMEOUT = 3_000;

/** A runner whose effects are lines in `done`. */
function runner() {
  const done: string[] = [];
  const clock = new SimulatedClock();
  const machine = jobRunnerMachine.provide({
    actions: {
      shutDownJob: (_, { reason }) => void done.push(`job shutdown: ${reason}`),
      announceLeaving: (_, { reason }) => void done.push(`leaving: ${reason}`),
      announceOverdue: ({ context }) => void done.push(`overdue after ${context.shutdownProcessTimeout} ms`),
      exit: (_, { code }) => void done.push(`exit ${code}`),
    },
  });
  const errors: unknown[] = [];
  const actor = startActor(machine, { name: 'job runner', input: undefined, clock, onError: (error) => errors.push(error) });
  const send = (...events: JobRunnerMachineEvent[]) => events.forEach((event) => actor.send(event));
  return { actor, done, clock, send, errors };
}

const INITIALIZE = { type: 'initialize', shutdownProcessTimeout: TIMEOUT } as const;
const SHUTDOWN = (reason: string) => ({ type: 'shutdown', reason }) as const;
const GONE = { type: 'parent.gone', reason: 'parent gone' } as const;

describe('before a job runs, a shutdown ends the process (exit 0) and a parent gone leaves it (exit 1), at once', () => {
  const phases: Array<[string, JobRunnerMachineEvent[]]> = [
    ['waiting', []],
    ['initializing', [INITIALIZE]],
    ['idle', [INITIALIZE, { type: 'initialized' }]],
  ];
  for (const [phase, before] of phases) {
    it(`${phase}: shutdown`, () => {
      const { actor, done, send } = runner();
      send(...before);
      expect(actor.getSnapshot().value).toBe(phase);
      send(SHUTDOWN('bye'));
      expect([actor.getSnapshot().value, actor.getSnapshot().status, done]).toEqual(['gone', 'done', ['exit 0']]);
    });
    it(`${phase}: parent gone`, () => {
      const { actor, done, send } = runner();
      send(...before);
      send(GONE);
      expect([actor.getSnapshot().value, done]).toEqual(['gone', ['leaving: parent gone', 'exit 1']]);
    });
  }

  it('starting: the parent gone leaves at once (the job has not started)', () => {
    const { actor, done, send } = runner();
    send(INITIALIZE, { type: 'initialized' }, { type: 'startJob' }, GONE, { type: 'job.started' });
    expect([actor.getSnapshot().value, done]).toEqual(['gone', ['leaving: parent gone', 'exit 1']]);
  });
});

describe('a job starting and running', () => {
  it('a shutdown while the job starts waits for it, then the first reason reaches the job', () => {
    const { actor, done, send } = runner();
    send(INITIALIZE, { type: 'initialized' }, { type: 'startJob' });
    expect(actor.getSnapshot().value).toEqual({ starting: 'clear' });
    send(SHUTDOWN('first'), SHUTDOWN('second'));
    expect([actor.getSnapshot().value, done]).toEqual([{ starting: 'shutdownPending' }, []]);
    send({ type: 'job.started' });
    expect([actor.getSnapshot().value, done]).toEqual(['running', ['job shutdown: first']]);
  });

  it('a running job gets every shutdown; the process stays until the job ends', () => {
    const { actor, done, send } = runner();
    send(INITIALIZE, { type: 'initialized' }, { type: 'startJob' }, { type: 'job.started' }, SHUTDOWN('a'), SHUTDOWN('b'));
    expect([actor.getSnapshot().value, done]).toEqual(['running', ['job shutdown: a', 'job shutdown: b']]);
  });

  it('the parent gone while the job runs: the job shuts down, bounded by shutdownProcessTimeout, then exit 1', () => {
    const { actor, done, send, clock } = runner();
    send(INITIALIZE, { type: 'initialized' }, { type: 'startJob' }, { type: 'job.started' }, GONE);
    expect([actor.getSnapshot().value, done]).toEqual(['leaving', ['leaving: parent gone', 'job shutdown: parent gone']]);
    // Leaving takes nothing more.
    send(SHUTDOWN('late'), GONE);
    clock.increment(TIMEOUT - 1);
    expect(done).toHaveLength(2);
    clock.increment(1);
    expect([actor.getSnapshot().value, done.slice(2)]).toEqual(['gone', [`overdue after ${TIMEOUT} ms`, 'exit 1']]);
  });

  it('refuses what does not fit: initialize twice, startJob before it is idle', () => {
    const { actor, send } = runner();
    expect(actor.getSnapshot().can({ type: 'startJob' })).toBe(false);
    send(INITIALIZE);
    expect(actor.getSnapshot().can(INITIALIZE)).toBe(false);
    expect(actor.getSnapshot().can({ type: 'startJob' })).toBe(false);
  });
});

describe('coverage', () => {
  it('the tests above took every state and transition of the machine', () => {
    const { states, transitions } = tracker.coverage();
    expect(states.missing).toEqual([]);
    expect(transitions.missing).toEqual([]);
    expect(transitions.covered).toBe(machineInventory(jobRunnerMachine).transitions.size);
  });
});
