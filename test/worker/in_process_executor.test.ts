/** InProcessExecutor: real jobs of an AgentServer in this process, shut down through the job's contract. */
import { describe, expect, it } from 'vitest';
import { AgentServer, ClosedError, LocalRoom } from '../../src/index.js';
import { InProcessExecutor } from '../../src/worker/in_process_executor.js';
import type { RunningJobInfo } from '../../src/worker/running_job.js';

function info(id: string): RunningJobInfo {
  return {
    job: { id, dispatchId: '', type: 'room', roomName: `room-${id}`, roomSid: '', metadata: '{"n":1}', agentName: '', participantIdentity: undefined, attributes: {} },
    acceptArguments: { identity: `agent-${id}`, name: '', metadata: '', attributes: {} },
    url: 'ws://127.0.0.1:1',
    token: 't',
    workerId: 'AW_1',
  };
}

describe('InProcessExecutor', () => {
  it('runs the job with its id and metadata on the room it made; shutdown ends it with the reason', async () => {
    const server = new AgentServer();
    const seen: unknown[] = [];
    const callbacks: string[] = [];
    server.rtcSession(async (ctx) => {
      seen.push([ctx.job.id, ctx.job.metadata, ctx.room.name]);
      ctx.addShutdownCallback(async (reason) => void callbacks.push(reason));
      await ctx.connect();
    });
    const rooms: LocalRoom[] = [];
    const executor = new InProcessExecutor(server, { roomFactory: (i) => (rooms.push(new LocalRoom({ name: i.job.roomName })), rooms.at(-1)!) });
    await executor.start();
    const handle = await executor.launch(info('J1'));
    expect(executor.activeJobs).toBe(1);
    await handle.shutdown('job terminated');
    expect(await handle.ended).toEqual({ status: 'success', reason: 'job terminated' });
    expect(seen).toEqual([['J1', '{"n":1}', 'room-J1']]);
    expect(callbacks).toEqual(['job terminated']);
    expect(rooms[0]!.isConnected).toBe(false);
    expect(executor.activeJobs).toBe(0);
  });

  it('a failed job ends failed with its error; close() shuts every job down and refuses new ones', async () => {
    const server = new AgentServer();
    server.rtcSession(async (ctx) => {
      if (ctx.job.id === 'bad') throw new Error('boom');
      await ctx.connect();
    });
    const executor = new InProcessExecutor(server, { roomFactory: (i) => new LocalRoom({ name: i.job.roomName }) });
    const bad = await executor.launch(info('bad'));
    expect(await bad.ended).toMatchObject({ status: 'failed', reason: 'job crashed', error: 'the entrypoint of job bad failed: boom' });
    const good = await executor.launch(info('good'));
    await executor.close('worker closing');
    expect(await good.ended).toEqual({ status: 'success', reason: 'worker closing' });
    await expect(executor.launch(info('late'))).rejects.toBeInstanceOf(ClosedError);
  });
});
