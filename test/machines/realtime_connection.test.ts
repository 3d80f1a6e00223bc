/**
 * machines/realtime_connection.ts: every state and transition, on a simulated clock, with the
 * attempts to open scripted (the real session is tested against the fake Realtime API in
 * test/plugins/openai/realtime_session.test.ts).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { fromPromise, SimulatedClock } from 'xstate';
import { realtimeConnectionMachine, type RealtimeConnectionEmitted } from '../../machines/realtime_connection.js';
import { startActor } from '../../src/actors/start_actor.js';
import { deferred } from '../support/deferred.js';
import { CoverageTracker, machineInventory } from '../support/model_coverage.js';

const tracker = new CoverageTracker(realtimeConnectionMachine);
afterAll(() => tracker.stop());

const TIMEOUT = 5_000;
const RETRY = 100;

/** A connection whose attempts to open are settled by the test, one deferred per attempt. */
function connection(maxRetry = 2, shutFails = false) {
  const attempts: Array<ReturnType<typeof deferred<void>>> = [];
  const shut: string[] = [];
  const clock = new SimulatedClock();
  const machine = realtimeConnectionMachine.provide({
    actors: {
      open: fromPromise(() => {
        const attempt = deferred<void>();
        attempts.push(attempt);
        return attempt.promise;
      }),
      shut: fromPromise<void>(async () => {
        shut.push('shut');
        if (shutFails) throw new Error('the socket would not close');
      }),
    },
  });
  const emitted: RealtimeConnectionEmitted[] = [];
  const actor = startActor(machine, { name: 'realtime connection', input: { maxRetry, retryIntervalMs: RETRY, timeoutMs: TIMEOUT }, clock, onError: () => {} });
  actor.on('*', (event) => emitted.push(event));
  const settled = () => new Promise((resolve) => setImmediate(resolve));
  return { actor, attempts, shut, clock, emitted, settled, value: () => actor.getSnapshot().value };
}

const refused = { recoverable: false, message: 'refused' };
const flaky = { recoverable: true, message: 'flaky' };

describe('connecting', () => {
  it('is ready once an attempt opens: announced, not as a reconnection', async () => {
    const c = connection();
    c.attempts[0]!.resolve();
    await c.settled();
    expect([c.value(), c.emitted]).toEqual(['ready', [{ type: 'ready', reconnected: false }]]);
  });

  it('tries again after retryIntervalMs when an attempt fails, at most maxRetry times, then fails with the last error', async () => {
    const c = connection(2);
    c.attempts[0]!.reject(flaky);
    await c.settled();
    expect(c.value()).toBe('reconnecting');
    c.clock.increment(RETRY - 1);
    expect(c.attempts).toHaveLength(1);
    c.clock.increment(1);
    expect([c.value(), c.attempts.length]).toEqual(['connecting', 2]);
    c.attempts[1]!.reject(flaky);
    await c.settled();
    c.clock.increment(RETRY);
    c.attempts[2]!.reject({ ...flaky, message: 'last' });
    await c.settled();
    expect([c.value(), c.actor.getSnapshot().status]).toEqual(['failed', 'done']);
    expect(c.emitted).toEqual([
      { type: 'retrying', error: flaky, attempt: 2 },
      { type: 'retrying', error: flaky, attempt: 3 },
      { type: 'failed', error: { ...flaky, message: 'last' }, attempts: 3 },
    ]);
  });

  it('does not try again after an error that says it is not worth it', async () => {
    const c = connection(5);
    c.attempts[0]!.reject(refused);
    await c.settled();
    expect([c.value(), c.emitted]).toEqual(['failed', [{ type: 'failed', error: refused, attempts: 1 }]]);
  });

  it('bounds an attempt by timeoutMs: the attempt is dropped and tried again', () => {
    const c = connection(1);
    c.clock.increment(TIMEOUT);
    expect(c.emitted).toEqual([{ type: 'retrying', error: { kind: 'timeout', timeoutMs: TIMEOUT }, attempt: 2 }]);
    c.clock.increment(RETRY);
    expect(c.attempts).toHaveLength(2);
  });

  it('a close while connecting or waiting to reconnect ends it at once', async () => {
    const c = connection();
    c.actor.send({ type: 'close' });
    expect([c.value(), c.shut]).toEqual(['closed', []]);
    const d = connection();
    d.attempts[0]!.reject(flaky);
    await d.settled();
    d.actor.send({ type: 'close' });
    d.clock.increment(RETRY);
    expect([d.value(), d.attempts.length]).toEqual(['closed', 1]);
  });
});

describe('ready', () => {
  it('a drop reconnects after retryIntervalMs, counting attempts afresh, and the next ready is a reconnection', async () => {
    const c = connection(1);
    c.attempts[0]!.reject(flaky);
    await c.settled();
    c.clock.increment(RETRY);
    c.attempts[1]!.resolve();
    await c.settled();
    c.actor.send({ type: 'dropped', error: flaky });
    expect(c.value()).toBe('reconnecting');
    c.clock.increment(RETRY);
    c.attempts[2]!.reject(flaky);
    await c.settled();
    // One more try is allowed: the failures before the drop do not count.
    expect(c.value()).toBe('reconnecting');
    c.clock.increment(RETRY);
    c.attempts[3]!.resolve();
    await c.settled();
    expect(c.value()).toBe('ready');
    expect(c.emitted.filter((event) => event.type === 'ready')).toEqual([
      { type: 'ready', reconnected: false },
      { type: 'ready', reconnected: true },
    ]);
  });

  for (const shutFails of [false, true]) {
    it(`a close shuts the socket, then it is closed${shutFails ? ' (also when shutting fails)' : ''}`, async () => {
      const c = connection(2, shutFails);
      c.attempts[0]!.resolve();
      await c.settled();
      c.actor.send({ type: 'close' });
      await c.settled();
      expect([c.value(), c.shut, c.actor.getSnapshot().status]).toEqual(['closed', ['shut'], 'done']);
    });
  }
});

describe('coverage', () => {
  it('the tests above took every state and transition of the machine', () => {
    const { states, transitions } = tracker.coverage();
    expect(states.missing).toEqual([]);
    expect(transitions.missing).toEqual([]);
    expect(transitions.covered).toBe(machineInventory(realtimeConnectionMachine).transitions.size);
  });
});
