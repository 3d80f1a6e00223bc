/**
 * Keep-alive, as LiveKit's Python worker (aiohttp's WebSocket heartbeat; neither LiveKit SDK sends
 * the protocol's WorkerPing): a registered worker sends a WebSocket ping every 30 s; a ping left
 * unanswered for 15 s means the connection is dead (a vanished peer, a NAT that forgot it, which
 * no close ever reports), so it is dropped and made again. On the worker's clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { WorkerConnectionError } from '../../src/worker/errors.js';
import { KEEP_ALIVE_INTERVAL_MS, PONG_TIMEOUT_MS } from '../../src/worker/worker.js';
import { closeWorlds, World } from './harness.js';

afterEach(closeWorlds);

describe('Worker keep-alive', () => {
  it('pings LiveKit every 30 s while registered; answered, the connection stays', async () => {
    const clock = new SimulatedClock();
    const world = await World.start({ worker: { clock }, server: { requestFnc: (request) => request.reject() } });
    await world.until('available');
    clock.increment(KEEP_ALIVE_INTERVAL_MS - 1);
    // Frames go out in order on one socket: had a ping gone out, it would be there before this answer.
    await world.livekit.ask({ id: 'probe' });
    expect(world.livekit.pinged).toBe(0);
    clock.increment(1);
    await world.livekit.pings(1);
    await world.pongReceived();
    clock.increment(PONG_TIMEOUT_MS);
    clock.increment(KEEP_ALIVE_INTERVAL_MS - PONG_TIMEOUT_MS);
    await world.livekit.pings(2);
    await world.pongReceived();
    expect(world.worker.status.state).toBe('available');
    expect(world.livekit.accepted).toBe(1);
    expect(world.errors).toEqual([]);
    // A control frame: the protocol's WorkerPing is never sent.
    expect(world.livekit.all('ping')).toEqual([]);
  });

  it('a ping unanswered for 15 s: the connection is given up as dead, with a typed error, and made again', async () => {
    const clock = new SimulatedClock();
    const world = await World.start({ worker: { clock } });
    await world.until('available');
    world.livekit.answerPings = false;
    clock.increment(KEEP_ALIVE_INTERVAL_MS);
    await world.livekit.pings(1);
    clock.increment(PONG_TIMEOUT_MS - 1);
    expect(world.worker.status.state).toBe('available');
    clock.increment(1);
    expect(world.worker.status.state).toBe('reconnecting');
    expect(world.errors).toEqual([expect.any(WorkerConnectionError)]);
    expect(world.errors[0]!.message).toBe('LiveKit did not answer a ping within 15000 ms: the connection is dead');
    // The first retry is at once.
    world.livekit.answerPings = true;
    clock.increment(0);
    await world.livekit.connections(2);
    await world.until('available');
    expect(world.worker.status.workerId).toBe('AW_fake2');
  });
});
