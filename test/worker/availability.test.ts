/**
 * Job offers (AvailabilityRequest): accepted, rejected (LiveKit then tries another worker),
 * unanswered, answered too late, failing; taken while full (LiveKit routes by the reported status)
 * unless declineWhenFull; declined while draining; offered again after their worker went away.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import type { JobRequest } from '../../src/server/agent_server.js';
import { JobRequestError, JobRequestTimeoutError } from '../../src/worker/errors.js';
import { REQUEST_TIMEOUT_MS } from '../../src/worker/worker.js';
import { deferred } from '../support/deferred.js';
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

  it('reject() answers available=false without terminating the dispatch (LiveKit tries another worker); terminate: true only when asked', async () => {
    const world = await World.start({
      server: { requestFnc: (request) => request.reject(request.job.id === 'end' ? { terminate: true } : undefined) },
    });
    await world.until('available');
    expect(await world.livekit.ask({ id: 'elsewhere' })).toMatchObject({ available: false, terminate: false });
    expect(await world.livekit.ask({ id: 'end' })).toMatchObject({ available: false, terminate: true });
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

  it('at the load threshold it reports itself full and still takes what LiveKit offers: routing is LiveKit\'s', async () => {
    let asked = 0;
    const world = await World.start({
      server: { loadFnc: () => 0.7, requestFnc: (request) => (asked++, request.accept()) },
      worker: { loadThreshold: 0.7 },
    });
    await world.until('full');
    expect(await world.livekit.ask({ id: 'J6' })).toMatchObject({ available: true });
    expect(asked).toBe(1);
  });

  it('declineWhenFull: at the load threshold it declines at once (without terminating), without asking requestFnc', async () => {
    let asked = 0;
    const world = await World.start({
      server: { loadFnc: () => 0.7, declineWhenFull: true, requestFnc: (request) => (asked++, request.accept()) },
      worker: { loadThreshold: 0.7 },
    });
    await world.until('full');
    expect(await world.livekit.ask({ id: 'J6' })).toMatchObject({ available: false, terminate: false });
    expect(asked).toBe(0);
    expect(world.logs.some((line) => line.jobId === 'J6' && line.msg === 'declined a job: the worker is full')).toBe(true);
  });

  it('a requestFnc that does not answer within 7.5 s (the worker clock) is declined without terminating, in time for LiveKit (10 s) to try another worker; a late answer is refused', async () => {
    const clock = new SimulatedClock();
    const asked = deferred();
    const release = deferred();
    const late = deferred<unknown>();
    const world = await World.start({
      worker: { clock },
      server: {
        requestFnc: async (request) => {
          if (request.id !== 'slow') return request.accept();
          asked.resolve();
          await release.promise;
          late.resolve(await request.accept().then(() => 'sent', (error: unknown) => error));
        },
      },
    });
    await world.until('available');
    world.livekit.offer({ id: 'slow' });
    await asked.promise;
    clock.increment(REQUEST_TIMEOUT_MS - 1);
    // Answers go out in order on one socket: the next offer's answer comes after any answer to the first.
    expect(await world.livekit.ask({ id: 'probe' })).toMatchObject({ available: true });
    expect(world.livekit.all('availability').map((answer) => answer.jobId)).toEqual(['probe']);
    clock.increment(1);
    expect(await world.livekit.next('availability', (answer) => answer.jobId === 'slow')).toMatchObject({ available: false, terminate: false });
    expect(world.errors).toEqual([expect.any(JobRequestTimeoutError)]);
    expect(world.errors[0]!.message).toBe('requestFnc did not answer job slow within 7500 ms; the job was declined so that LiveKit can offer it to another worker');

    release.resolve();
    expect(await late.promise).toBeInstanceOf(JobRequestTimeoutError);
    expect(await world.livekit.ask({ id: 'probe2' })).toMatchObject({ available: true });
    expect(world.livekit.all('availability').filter((answer) => answer.jobId === 'slow')).toHaveLength(1);
    expect(world.errors).toHaveLength(1);
  });

  it('an answer in time stops the bound: requestFnc may go on after answering, the job runs', async () => {
    const clock = new SimulatedClock();
    const world = await World.start({
      worker: { clock },
      server: {
        requestFnc: async (request) => {
          await request.accept();
          await new Promise(() => {});
        },
      },
    });
    await world.until('available');
    expect(await world.livekit.ask({ id: 'J8' })).toMatchObject({ available: true });
    world.livekit.assign({ id: 'J8' });
    await world.jobStarted('J8');
    clock.increment(2 * REQUEST_TIMEOUT_MS);
    expect(await world.livekit.ask({ id: 'probe' })).toMatchObject({ available: true });
    expect(world.livekit.all('availability').filter((answer) => answer.jobId === 'J8')).toHaveLength(1);
    expect(world.errors).toEqual([]);
  });

  it('a job offered again after its worker went away (resuming): requestFnc and the log say so; the answer does not claim to resume it', async () => {
    const seen: JobRequest[] = [];
    const world = await World.start({ server: { requestFnc: (request) => (seen.push(request), request.accept()) } });
    await world.until('available');
    expect(await world.livekit.ask({ id: 'R1' }, { resuming: true })).toMatchObject({ available: true, supportsResume: false });
    expect(await world.livekit.ask({ id: 'N1' })).toMatchObject({ available: true, supportsResume: false });
    expect(seen.map((request) => [request.id, request.resuming])).toEqual([
      ['R1', true],
      ['N1', false],
    ]);
    const offers = world.logs.filter((line) => line.msg === 'LiveKit offers a job').map((line) => [line.jobId, line.resuming]);
    expect(offers).toEqual([
      ['R1', true],
      ['N1', false],
    ]);
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
