/**
 * A job's room on the bus (runtime.attachJob): room:joined / room:left, entity:joined / left /
 * updated for its participants, and its primary session's runs, through a real AgentServer job
 * in a LocalRoom.
 */
import { describe, expect, it } from 'vitest';
import { Agent, AgentRuntime, AgentServer, AgentSession, LocalRoom, type RuntimeEventRegistry, type RuntimeEventType } from '../../src/index.js';
import { FakeLLM } from '../../src/testing/index.js';
import { withoutProviderKeys } from '../support/offline.js';

withoutProviderKeys();

const TYPES: RuntimeEventType[] = ['room:joined', 'room:left', 'entity:joined', 'entity:left', 'entity:updated', 'run:started', 'run:completed'];

function next<K extends RuntimeEventType>(runtime: AgentRuntime, type: K): Promise<RuntimeEventRegistry[K]> {
  return new Promise((resolve) => runtime.once(type, resolve));
}

describe('attachJob', () => {
  it('publishes the room, its participants, and the primary session’s runs', async () => {
    const runtime = new AgentRuntime();
    const seen: string[] = [];
    for (const type of TYPES) {
      runtime.on(type, (payload) => {
        const who = 'entityId' in payload ? ` ${payload.entityId}` : 'roomName' in payload ? ` ${payload.roomName}` : '';
        seen.push(`${type}${who}`);
      });
    }
    const server = new AgentServer();
    server.rtcSession(async (ctx) => {
      runtime.attachJob(ctx);
      const session = new AgentSession({ llm: new FakeLLM([{ text: 'Hello there.' }]) });
      await session.start({ agent: new Agent({ instructions: 'x' }), room: ctx.room });
    });
    const room = new LocalRoom({ name: 'bus-room' });
    const alice = room.join({ identity: 'alice' });
    const joined = next(runtime, 'room:joined');
    const job = await server.startJob({ room });
    expect(await joined).toMatchObject({ roomName: 'bus-room', room, jobId: job.ctx.job.id });

    const completed = next(runtime, 'run:completed');
    alice.sendText('hi');
    expect(await completed).toMatchObject({ replied: true, message: { content: 'hi' } });

    const bobJoined = next(runtime, 'entity:joined');
    const bob = room.join({ identity: 'bob' });
    expect(await bobJoined).toMatchObject({ entityId: 'bob', roomName: 'bus-room', participant: { identity: 'bob' } });
    const updated = next(runtime, 'entity:updated');
    bob.setAttributes({ mood: 'happy' });
    expect(await updated).toMatchObject({ entityId: 'bob', changed: { mood: 'happy' } });
    const bobLeft = next(runtime, 'entity:left');
    bob.leave();
    expect(await bobLeft).toMatchObject({ entityId: 'bob' });

    const left = next(runtime, 'room:left');
    job.ctx.shutdown('test over');
    await job.result;
    expect(await left).toMatchObject({ roomName: 'bus-room' });
    expect(seen).toEqual([
      'room:joined bus-room',
      'entity:joined alice',
      'run:started',
      'run:completed',
      'entity:joined bob',
      'entity:updated bob',
      'entity:left bob',
      'room:left bus-room',
    ]);
  });

  it('attached after the room connected: the room and the participants already there are announced at once; detach stops it', async () => {
    const runtime = new AgentRuntime();
    const seen: string[] = [];
    runtime.on('room:joined', ({ roomName }) => void seen.push(`room ${roomName}`));
    runtime.on('entity:joined', ({ entityId }) => void seen.push(`entity ${entityId}`));
    runtime.on('entity:left', ({ entityId }) => void seen.push(`left ${entityId}`));
    const server = new AgentServer();
    let detach: () => void = () => {};
    const attached = new Promise<void>((resolve) => {
      server.rtcSession(async (ctx) => {
        await ctx.connect();
        detach = runtime.attachJob(ctx);
        expect(runtime.attachJob(ctx)).toBe(detach);
        resolve();
      });
    });
    const room = new LocalRoom({ name: 'late' });
    room.join({ identity: 'carol' });
    const job = await server.startJob({ room });
    await attached;
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual(['room late', 'entity carol']);
    detach();
    room.join({ identity: 'dave' }).leave();
    job.ctx.shutdown('done');
    await job.result;
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual(['room late', 'entity carol']);
  });
});
