/**
 * Assigned jobs: launched in the executor with the assignment's URL and token, reported as
 * JS_RUNNING, then JS_SUCCESS or JS_FAILED (with the error) however they end; terminated by
 * LiveKit; dropped when their assignment does not come within 7.5 s.
 */
import { JobStatus } from '@livekit/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AssignmentTimeoutError, JobLaunchError, WorkerProtocolError } from '../../src/worker/errors.js';
import { ASSIGNMENT_TIMEOUT_MS } from '../../src/worker/worker.js';
import type { JobInfo } from '../../src/job/job_info.js';
import { closeWorlds, World } from './harness.js';

afterEach(closeWorlds);

describe('Worker jobs', () => {
  it('launches an assigned job with the assignment token and the worker URL; JS_RUNNING, then JS_SUCCESS on termination', async () => {
    const world = await World.start();
    await world.until('available');
    const answer = await world.livekit.ask({ id: 'J1', roomName: 'kitchen', metadata: '{"a":1}' });
    expect(answer.available).toBe(true);
    world.livekit.assign({ id: 'J1', roomName: 'kitchen', metadata: '{"a":1}' }, { token: 'secret-room-token' });
    expect(await world.livekit.next('updateJob')).toMatchObject({ jobId: 'J1', status: JobStatus.JS_RUNNING, error: '' });
    expect(world.infos).toHaveLength(1);
    expect(world.infos[0]).toMatchObject({
      job: { id: 'J1', roomName: 'kitchen', metadata: '{"a":1}' },
      acceptArguments: { identity: 'agent-J1' },
      url: world.livekit.url,
      token: 'secret-room-token',
      workerId: 'AW_fake1',
    });
    expect(world.rooms.get('J1')!.isConnected).toBe(true);
    expect(world.worker.status.activeJobs).toBe(1);

    world.livekit.terminate('J1');
    expect(await world.livekit.next('updateJob')).toMatchObject({ jobId: 'J1', status: JobStatus.JS_SUCCESS, error: '' });
    expect(await world.jobEnd('J1')).toEqual({ status: 'success', reason: 'job terminated by LiveKit' });
    expect(world.rooms.get('J1')!.isConnected).toBe(false);
    expect(world.worker.status.activeJobs).toBe(0);
    expect(world.started).toEqual(['J1']);
    expect(world.errors).toEqual([]);
  });

  it("the entrypoint's ctx.job carries what LiveKit said of the job: room sid, dispatch, participant, attributes, worker", async () => {
    const seen: JobInfo[] = [];
    const world = await World.start({ entrypoint: async (ctx) => void seen.push(ctx.job) });
    await world.until('available');
    const job = { id: 'J1', roomName: 'kitchen', participantIdentity: 'caller', attributes: { tier: 'gold' } };
    await world.livekit.ask(job);
    world.livekit.assign(job);
    await world.jobStarted('J1');
    expect(seen).toEqual([
      expect.objectContaining({
        id: 'J1',
        room: { name: 'kitchen', sid: 'RM_J1' },
        dispatchId: 'AD_J1',
        participantIdentity: 'caller',
        attributes: { tier: 'gold' },
        workerId: 'AW_fake1',
      }),
    ]);
  });

  it('uses the assignment URL when LiveKit gives one', async () => {
    const world = await World.start();
    await world.until('available');
    await world.livekit.ask({ id: 'J2' });
    world.livekit.assign({ id: 'J2' }, { url: 'wss://media.example' });
    await world.jobStarted('J2');
    expect(world.infos[0]!.url).toBe('wss://media.example');
  });

  it('a job that ends by itself is reported JS_SUCCESS', async () => {
    const world = await World.start({ entrypoint: async (ctx) => ctx.shutdown('all done') });
    await world.until('available');
    await world.startJob('J3');
    expect(await world.livekit.next('updateJob', (u) => u.status !== JobStatus.JS_RUNNING)).toMatchObject({ jobId: 'J3', status: JobStatus.JS_SUCCESS });
    expect(await world.jobEnd('J3')).toEqual({ status: 'success', reason: 'all done' });
  });

  it('an entrypoint that throws is reported JS_FAILED with its error', async () => {
    const world = await World.start({
      entrypoint: async () => {
        throw new Error('no greeting configured');
      },
    });
    await world.until('available');
    await world.livekit.ask({ id: 'J4' });
    world.livekit.assign({ id: 'J4' });
    const final = await world.livekit.next('updateJob', (u) => u.status !== JobStatus.JS_RUNNING);
    expect(final).toMatchObject({ jobId: 'J4', status: JobStatus.JS_FAILED, error: 'the entrypoint of job J4 failed: no greeting configured' });
    expect(await world.jobEnd('J4')).toMatchObject({ status: 'failed', reason: 'job crashed' });
  });

  it('a job that cannot be launched is reported JS_FAILED and as an error event', async () => {
    const world = await World.start({ roomFactoryFails: true });
    await world.until('available');
    await world.livekit.ask({ id: 'J5' });
    world.livekit.assign({ id: 'J5' });
    expect(await world.livekit.next('updateJob')).toMatchObject({ jobId: 'J5', status: JobStatus.JS_FAILED, error: 'job J5 could not be launched: no room for you' });
    expect(world.errors).toEqual([expect.any(JobLaunchError)]);
    expect(world.started).toEqual([]);
    expect(world.worker.status.activeJobs).toBe(0);
  });

  it('a termination of a job the worker does not run is ignored (logged at debug)', async () => {
    const world = await World.start();
    await world.until('available');
    await world.startJob('J6');
    world.livekit.terminate('nobody');
    world.livekit.terminate('J6');
    await world.jobEnd('J6');
    expect(world.errors).toEqual([]);
    expect(world.logs.some((line) => line.level === 20 && line.jobId === 'nobody' && String(line.msg).includes('does not run'))).toBe(true);
    expect(world.ended.map(([id]) => id)).toEqual(['J6']);
  });

  it('an accepted job whose assignment does not come within 7.5 s is dropped; a late assignment is reported failed', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const world = await World.start();
    await world.until('available');
    await world.livekit.ask({ id: 'J7' });
    await vi.advanceTimersByTimeAsync(ASSIGNMENT_TIMEOUT_MS - 1);
    expect(world.errors).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(world.errors).toEqual([expect.any(AssignmentTimeoutError)]);
    expect(world.errors[0]!.message).toBe('job J7 was accepted but not assigned within 7500 ms; it was dropped');
    expect(world.worker.actor.getSnapshot().context.pending).toEqual({});

    world.livekit.assign({ id: 'J7' });
    expect(await world.livekit.next('updateJob')).toMatchObject({ jobId: 'J7', status: JobStatus.JS_FAILED });
    expect(world.errors[1]).toBeInstanceOf(WorkerProtocolError);
    expect(world.infos).toEqual([]);
  });

  it('an assignment in time cancels the timeout', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const world = await World.start();
    await world.until('available');
    await world.livekit.ask({ id: 'J8' });
    await vi.advanceTimersByTimeAsync(ASSIGNMENT_TIMEOUT_MS - 100);
    world.livekit.assign({ id: 'J8' });
    await world.jobStarted('J8');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(world.errors).toEqual([]);
  });
});
