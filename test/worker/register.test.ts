/** Registration: the worker connects to `<url>/agent` with its JWT and registers as the server says. */
import { JobType } from '@livekit/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { closeWorlds, World } from './harness.js';

afterEach(closeWorlds);

describe('Worker registration', () => {
  it('registers with type, agent name, permissions and version, and reports itself available', async () => {
    const world = await World.start({
      agentName: 'support-agent',
      server: { workerType: 'publisher', permissions: { canPublishData: false, hidden: true } },
      worker: { version: '9.9.9', loadThreshold: Infinity },
    });
    const registered = new Promise<string>((resolve) => world!.worker.events.on('registered', resolve));
    const request = await world.livekit.next('register');
    expect(request.type).toBe(JobType.JT_PUBLISHER);
    expect(request.agentName).toBe('support-agent');
    expect(request.version).toBe('9.9.9');
    expect(request.allowedPermissions).toMatchObject({
      canPublish: true,
      canSubscribe: true,
      canPublishData: false,
      canUpdateMetadata: true,
      hidden: true,
      agent: true,
    });
    expect(await registered).toBe('AW_fake1');
    const status = await world.livekit.next('updateWorker');
    expect(status).toMatchObject({ status: 0, jobCount: 0 });
    expect(world.worker.status).toMatchObject({
      agentName: 'support-agent',
      workerId: 'AW_fake1',
      state: 'available',
      activeJobs: 0,
      version: '9.9.9',
      healthy: true,
    });
    expect(world.states.slice(0, 4)).toEqual(['starting', 'connecting', 'registering', 'available']);
    expect(world.errors).toEqual([]);
  });
});
