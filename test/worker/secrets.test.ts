/**
 * Secrets (API secret, the worker's JWT, the jobs' room tokens) never reach a log line, even at
 * debug level, nor what an inspector sees of the worker's actors.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { InspectionEvent } from 'xstate';
import { addInspector } from '../../src/inspect/registry.js';
import { API_SECRET, closeWorlds, World } from './harness.js';

afterEach(closeWorlds);

/**
 * Every string an inspector can reach from `value`: own enumerable properties at any depth, what
 * toJSON gives, and, for an actor, its snapshot (a promise or callback actor's snapshot has its input).
 */
function reachableText(value: unknown, seen = new WeakSet<object>(), depth = 16): string[] {
  if (typeof value === 'string') return [value];
  if (value === null || typeof value !== 'object' || seen.has(value) || depth === 0) return [];
  seen.add(value);
  const deeper = (item: unknown) => reachableText(item, seen, depth - 1);
  const actor = value as { getSnapshot?: unknown; sessionId?: unknown };
  if (typeof actor.getSnapshot === 'function' && typeof actor.sessionId === 'string') return deeper((actor.getSnapshot as () => unknown)());
  const json = (value as { toJSON?: unknown }).toJSON;
  const own = Object.values(value).flatMap(deeper);
  return typeof json === 'function' ? [...own, ...deeper((json as () => unknown).call(value))] : own;
}

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

  it("an assigned job's room token reaches no inspection event (its events, snapshots, actions, the job's actor and its input)", async () => {
    const token = 'room-token-very-secret-456';
    const events: InspectionEvent[] = [];
    const remove = addInspector((event) => events.push(event));
    try {
      const world = await World.start();
      await world.until('available');
      await world.livekit.ask({ id: 'J1' });
      world.livekit.assign({ id: 'J1' }, { token });
      await world.jobStarted('J1');
      world.livekit.terminate('J1');
      await world.jobEnd('J1');
      await world.worker.aclose();
      // The token did reach the job, and the inspector saw the assignment and the job's actor.
      expect(world.infos.map((info) => info.token)).toEqual([token]);
      expect(events.some((event) => event.type === '@xstate.event' && event.event.type === 'server.assignment')).toBe(true);
      expect(events.some((event) => event.type === '@xstate.actor' && (event.actorRef as { id?: string }).id === 'job.J1')).toBe(true);
    } finally {
      remove();
    }
    const seen = events.flatMap((event) => reachableText({ event: 'event' in event ? event.event : undefined, snapshot: 'snapshot' in event ? event.snapshot : undefined, action: 'action' in event ? event.action : undefined, actor: event.actorRef }));
    expect(seen.length).toBeGreaterThan(100);
    expect(seen.filter((text) => text.includes(token))).toEqual([]);
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
