/** Secrets (API secret, the worker's JWT, the jobs' room tokens) never reach a log line, even at debug level. */
import { afterEach, describe, expect, it } from 'vitest';
import { API_SECRET, closeWorlds, World } from './harness.js';

afterEach(closeWorlds);

describe('Worker secrets', () => {
  it('a whole life (register, job with a token, drop and reconnect, close) logs no secret', async () => {
    const world = await World.start();
    await world.until('available');
    await world.livekit.ask({ id: 'J1' });
    world.livekit.assign({ id: 'J1' }, { token: 'room-token-very-secret-123' });
    await world.jobStarted('J1');
    world.livekit.drop();
    await world.livekit.connections(2);
    await world.until('available');
    world.livekit.terminate('J1');
    await world.jobEnd('J1');
    await world.worker.aclose();

    expect(world.livekit.tokens).toHaveLength(2);
    expect(world.logText.length).toBeGreaterThan(10);
    const text = world.logText.join('');
    for (const secret of [API_SECRET, 'room-token-very-secret-123', ...world.livekit.tokens]) expect(text).not.toContain(secret);
    expect(JSON.stringify(world.worker.status)).not.toContain(API_SECRET);
    expect(JSON.stringify(world.worker.actor.getSnapshot().context)).not.toContain('room-token-very-secret-123');
  });

  it('refused credentials log no secret', async () => {
    const wrong = 'wrong-secret-abcdefghijklmnopqrstuvwxyz012345';
    const world = await World.start({ apiSecret: wrong });
    await world.running!.catch(() => {});
    const text = world.logText.join('');
    expect(text).toContain('refused');
    for (const secret of [wrong, API_SECRET, ...world.livekit.tokens]) expect(text).not.toContain(secret);
    expect(world.errors.map((e) => e.message).join('\n')).not.toContain(wrong);
  });
});
