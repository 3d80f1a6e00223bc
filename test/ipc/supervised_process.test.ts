/**
 * SupervisedProcess over a channel the test plays (no process behind it), on simulated time: what
 * the parent sends (pings), when it kills, and which cause it reports when the child goes away in
 * an order a real process only produces now and then.
 */
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { SupervisedProcess } from '../../src/ipc/supervised_process.js';
import { BOUNDS, SUPERVISION, fakeChannel, jobInfo } from './executor_harness.js';

const PONG = { type: 'pong', timestamp: 0, memory: { rss: 50 * 1024 * 1024, heapUsed: 0 } };

/** A supervised process that has initialized and is idle, on `clock`. */
function readyProcess() {
  const clock = new SimulatedClock();
  const fake = fakeChannel();
  const supervised = new SupervisedProcess(fake.open, SUPERVISION, { clock });
  fake.handlers.spawned();
  fake.handlers.message({ type: 'initialized' });
  expect(supervised.state).toBe('idle');
  const pings = () => fake.sent.filter((message) => message.type === 'ping').length;
  return { clock, fake, supervised, pings };
}

describe('SupervisedProcess: pings on the actor clock', () => {
  it('pings every pingInterval; a child that answers none for pingTimeout is killed as unresponsive', async () => {
    const { clock, fake, supervised, pings } = readyProcess();
    clock.increment(BOUNDS.pingInterval - 1);
    expect(pings()).toBe(0);
    clock.increment(1);
    expect(pings()).toBe(1);
    clock.increment(BOUNDS.pingInterval);
    expect(pings()).toBe(2);
    clock.increment(BOUNDS.pingTimeout - 2 * BOUNDS.pingInterval - 1);
    expect(fake.channel.kill).not.toHaveBeenCalled();
    clock.increment(1);
    expect(fake.channel.kill).toHaveBeenCalledOnce();
    expect(supervised.state).toBe('killing');
    fake.handlers.exited(null, 'SIGKILL');
    expect(await supervised.exited).toMatchObject({ outcome: 'killed', killReason: 'unresponsive' });
  });

  it('each pong restarts the deadline: a child that answers is never unresponsive', () => {
    const { clock, fake, supervised } = readyProcess();
    for (let elapsed = 0; elapsed < 3 * BOUNDS.pingTimeout; elapsed += BOUNDS.pingInterval) {
      clock.increment(BOUNDS.pingInterval);
      fake.handlers.message(PONG);
    }
    expect(fake.channel.kill).not.toHaveBeenCalled();
    expect(supervised.state).toBe('idle');
    expect(supervised.memoryMb).toBe(50);
    supervised.actor.send({ type: 'shutdown', reason: 'test over' });
    fake.handlers.exited(0, null);
  });
});

describe('SupervisedProcess: the cause of a job that ends without saying so', () => {
  it('a ping that could not be sent to a child on its way out is not the cause: "exited with code 0 before its job ended"', async () => {
    const { clock, fake, supervised } = readyProcess();
    const launched = supervised.launch(jobInfo('j'));
    fake.handlers.message({ type: 'jobStarted', jobId: 'j' });
    const handle = await launched;
    // The job calls process.exit(0): its channel closes first, a ping fails, then the exit is seen.
    fake.close();
    clock.increment(BOUNDS.pingInterval);
    fake.handlers.exited(0, null);
    expect(await handle.ended).toEqual({ status: 'failed', reason: 'job crashed', error: 'the job process exited with code 0 before its job ended' });
  });

  it('an uncaught error the child reported before exiting is the cause', async () => {
    const { fake, supervised } = readyProcess();
    const launched = supervised.launch(jobInfo('j'));
    fake.handlers.message({ type: 'jobStarted', jobId: 'j' });
    const handle = await launched;
    fake.handlers.message({ type: 'uncaughtError', error: 'Error: boom' });
    fake.close();
    fake.handlers.exited(1, null);
    expect(await handle.ended).toEqual({ status: 'failed', reason: 'job crashed', error: 'Error: boom (the job process exited with code 1)' });
  });
});
