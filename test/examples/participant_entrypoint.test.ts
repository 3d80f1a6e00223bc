/** The job lifecycle seed's participant entrypoints, ported. */
import { describe, expect, it } from 'vitest';
import { LocalRoom } from '../../src/index.js';
import { server } from '../../examples/participant_entrypoint.js';

describe('examples/participant_entrypoint', () => {
  it('greets participants already present at connect and those who join later, skips the service bot, and stops tracking at shutdown', async () => {
    const room = new LocalRoom({ name: 'entrypoints' });
    const early = room.join({ identity: 'early' });
    const bot = room.join({ identity: 'some-service-bot' });
    const job = await server.startJob({ room });
    await new Promise<void>((resolve) => {
      if (job.state === 'running') resolve();
      job.ctx.on('state_changed', (event) => event.newState === 'running' && resolve());
    });
    const late = room.join({ identity: 'late' });
    const agent = room.join({ identity: 'other-agent', kind: 'agent' });
    expect(early.received.map((text) => `${text.topic}: ${text.text}`)).toEqual(['greeting: Hello, early!', 'greeting: Hello, late!']);
    expect(bot.received.map((text) => text.text)).toEqual(['Hello, early!', 'Hello, late!']);
    expect(late.received.map((text) => text.text)).toEqual(['Hello, late!']);
    expect(agent.received).toEqual([]);
    // trackParticipantAudio waits 60 s on the job's signal: shutdown ends it at once.
    job.ctx.shutdown('done');
    const result = await job.result;
    expect(result.status).toBe('success');
  });
});
