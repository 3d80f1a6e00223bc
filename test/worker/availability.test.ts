/** Job offers (AvailabilityRequest): accepted, rejected, unanswered, failing, and declined when full or draining. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { JobRequest } from '../../src/server/agent_server.js';
import { JobRequestError } from '../../src/worker/errors.js';
import { closeWorlds, World } from './harness.js';

afterEach(closeWorlds);

describe('Worker availability', () => {
  it('accepts by default: identity agent-<jobId>, the agent name attribute', async () => {
    const world = await World.start({ agentName: 'sales' });
    await world.until('available');
    const answer = await world.livekit.ask({ id: 'J1' });
    expect(answer).toMatchObject({
      jobId: 'J1',
      available: true,
      terminate: false,
      participantIdentity: 'agent-J1',
      participantName: '',
      participantMetadata: '',
      participantAttributes: { 'lk.agent.name': 'sales' },
    });
  });

  it('requestFnc sees the job and answers with its identity, name, metadata and attributes', async () => {
    const seen: JobRequest[] = [];
    const world = await World.start({
      server: {
        requestFnc: async (request) => {
          seen.push(request);
          await request.accept({ identity: 'bot', name: 'Bot', metadata: '{"v":1}', attributes: { team: 'a' } });
        },
      },
    });
    await world.until('available');
    const answer = await world.livekit.ask({ id: 'J2', roomName: 'lobby', metadata: 'm', attributes: { x: 'y' } });
    expect(seen[0]!.job).toMatchObject({ id: 'J2', roomName: 'lobby', roomSid: 'RM_J2', metadata: 'm', type: 'room', attributes: { x: 'y' } });
    expect(answer).toMatchObject({
      available: true,
      participantIdentity: 'bot',
      participantName: 'Bot',
      participantMetadata: '{"v":1}',
      participantAttributes: { team: 'a', 'lk.agent.name': '' },
    });
  });

  it('reject() answers available=false, terminate=true by default, or as asked', async () => {
    const world = await World.start({
      server: { requestFnc: (request) => request.reject({ terminate: request.job.id === 'keep' ? false : undefined }) },
    });
    await world.until('available');
    expect(await world.livekit.ask({ id: 'drop' })).toMatchObject({ available: false, terminate: true });
    expect(await world.livekit.ask({ id: 'keep' })).toMatchObject({ available: false, terminate: false });
    expect(world.errors).toEqual([]);
  });

  it('a requestFnc that does not answer rejects the job without terminating it, with a warning', async () => {
    const world = await World.start({ server: { requestFnc: async () => {} } });
    await world.until('available');
    expect(await world.livekit.ask({ id: 'J3' })).toMatchObject({ available: false, terminate: false });
    expect(world.logs.some((line) => line.level === 40 && String(line.msg).includes('without accepting or rejecting'))).toBe(true);
    expect(world.errors).toEqual([]);
  });

  it('a requestFnc that throws is an error event, and the job is rejected without terminating it', async () => {
    const world = await World.start({
      server: {
        requestFnc: async () => {
          throw new Error('database down');
        },
      },
    });
    await world.until('available');
    expect(await world.livekit.ask({ id: 'J4' })).toMatchObject({ available: false, terminate: false });
    expect(world.errors).toHaveLength(1);
    expect(world.errors[0]).toBeInstanceOf(JobRequestError);
    expect(world.errors[0]!.message).toBe('requestFnc failed for job J4: database down; the job was rejected');
  });

  it('answering twice is a typed error; the first answer stands', async () => {
    const world = await World.start({
      server: {
        requestFnc: async (request) => {
          await request.accept();
          await request.reject();
        },
      },
    });
    await world.until('available');
    expect(await world.livekit.ask({ id: 'J5' })).toMatchObject({ available: true });
    await world.reported(1);
    expect(world.errors.map((e) => e.message)).toEqual(['requestFnc failed for job J5: job J5 was already accepted or rejected; the job was rejected']);
    expect(world.livekit.all('availability').filter((a) => a.jobId === 'J5')).toHaveLength(1);
  });

  it('at the load threshold it declines at once, without asking requestFnc', async () => {
    let asked = 0;
    const world = await World.start({
      server: { loadFnc: () => 0.7, requestFnc: (request) => (asked++, request.accept()) },
      worker: { loadThreshold: 0.7 },
    });
    await world.until('full');
    expect(await world.livekit.ask({ id: 'J6' })).toMatchObject({ available: false, terminate: false });
    expect(asked).toBe(0);
  });

  it('while draining it declines at once, without asking requestFnc', async () => {
    let asked = 0;
    const world = await World.start({ server: { requestFnc: (request) => (asked++, request.accept()) } });
    await world.until('available');
    await world.worker.drain();
    expect(world.worker.status.state).toBe('drained');
    expect(await world.livekit.ask({ id: 'J7' })).toMatchObject({ available: false });
    expect(asked).toBe(0);
  });
});
