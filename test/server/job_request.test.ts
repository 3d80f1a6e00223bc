/**
 * JobRequest as requestFnc (requestFunc) sees it, against the fake LiveKit dispatcher: agents-js's
 * positional accept(name, identity, metadata, attributes) beside the keyword form, its getters,
 * and a typed error for arguments that are not text.
 */
import { JobType } from '@livekit/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobRequest } from '../../src/server/agent_server.js';
import { JobAcceptError, JobRequestError } from '../../src/worker/errors.js';
import { closeWorlds, World } from '../worker/harness.js';

afterEach(closeWorlds);

describe('JobRequest', () => {
  it("accept(name, identity, metadata, attributes), as agents-js: the answer on the wire carries them", async () => {
    const world = await World.start({
      agentName: 'sales',
      server: { requestFnc: (request) => request.accept('Sales Bot', 'sales-bot', '{"tier":1}', { team: 'b' }) },
    });
    await world.until('available');
    expect(await world.livekit.ask({ id: 'J1' })).toMatchObject({
      available: true,
      participantName: 'Sales Bot',
      participantIdentity: 'sales-bot',
      participantMetadata: '{"tier":1}',
      participantAttributes: { team: 'b', 'lk.agent.name': 'sales' },
    });
  });

  it('positional arguments left out take the defaults: identity agent-<job id>', async () => {
    const world = await World.start({ server: { requestFnc: (request) => request.accept('Just a name') } });
    await world.until('available');
    expect(await world.livekit.ask({ id: 'J2' })).toMatchObject({ available: true, participantName: 'Just a name', participantIdentity: 'agent-J2', participantMetadata: '' });
  });

  it("has agents-js's getters: id, job, room, publisher, agentName", async () => {
    const seen: JobRequest[] = [];
    const world = await World.start({
      agentName: 'sales',
      server: { workerType: 'publisher', requestFnc: (request) => (seen.push(request), request.accept()) },
    });
    await world.until('available');
    await world.livekit.ask({ id: 'J3', roomName: 'lobby', agentName: 'sales', type: JobType.JT_PUBLISHER, participantIdentity: 'caller' });
    await world.livekit.ask({ id: 'J4', roomName: 'hall', agentName: 'sales' });
    const [publisher, room] = seen;
    expect(publisher).toMatchObject({ id: 'J3', agentName: 'sales', room: { name: 'lobby', sid: 'RM_J3' }, publisher: { identity: 'caller' } });
    expect(publisher!.job).toMatchObject({ id: 'J3', roomName: 'lobby', participantIdentity: 'caller' });
    expect(room!.publisher).toBeUndefined();
    expect(room!.room).toEqual({ name: 'hall', sid: 'RM_J4' });
  });

  it.each([
    ['a name that is not text', (request: JobRequest) => request.accept(42 as never), 'job J5 could not be accepted: name must be text, got number'],
    ['attributes that are not text', (request: JobRequest) => request.accept('n', 'i', 'm', { n: 1 } as never), 'attributes must map names to text'],
    ['an unknown keyword', (request: JobRequest) => request.accept({ identity: 'i', nickname: 'n' } as never), 'unknown field nickname (accept takes identity, name, metadata, attributes)'],
  ])('%s: a typed error, and the job is rejected', async (_what, answer, message) => {
    const world = await World.start({ server: { requestFnc: answer } });
    await world.until('available');
    expect(await world.livekit.ask({ id: 'J5' })).toMatchObject({ available: false, terminate: false });
    await world.reported(1);
    expect(world.errors[0]).toBeInstanceOf(JobRequestError);
    expect((world.errors[0]!.cause as Error)).toBeInstanceOf(JobAcceptError);
    expect(world.errors[0]!.message).toContain(message);
  });
});
