/** simulateJob(): a SimulateJobRequest for a room (and a participant), of the worker's type; only when registered. */
import { JobType } from '@livekit/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { closeWorlds, World } from './harness.js';

afterEach(closeWorlds);

describe('Worker.simulateJob', () => {
  it('sends SimulateJobRequest with the room and the participant', async () => {
    const world = await World.start({ server: { workerType: 'publisher' } });
    await world.until('available');
    await world.worker.simulateJob('demo-room', 'alice');
    expect(await world.livekit.next('simulateJob')).toMatchObject({
      type: JobType.JT_PUBLISHER,
      room: { name: 'demo-room' },
      participant: { identity: 'alice' },
    });
    await world.worker.simulateJob('other-room');
    const second = await world.livekit.next('simulateJob');
    expect(second).toMatchObject({ type: JobType.JT_PUBLISHER, room: { name: 'other-room' } });
    expect(second.participant).toBeUndefined();
  });

  it('is a typed error before registration, and a TypeError without a room', async () => {
    const world = await World.start({ run: false });
    await expect(world.worker.simulateJob('r')).rejects.toThrow('the worker is idle: simulateJob() needs it registered with LiveKit');
    await expect(world.worker.simulateJob('')).rejects.toThrow(TypeError);
  });
});
