/** The job lifecycle seed's log context fields and job metadata, ported. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { EntrypointError, JobMetadataError, LocalRoom, createLogger } from '../../src/index.js';
import { server } from '../../examples/log_context.js';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: createLogger(stream, { level: 'info' }) };
}

describe('examples/log_context', () => {
  it('every log line of the job carries the job id and the log context fields', async () => {
    const { lines, logger } = capture();
    const room = new LocalRoom({ name: 'log-room' });
    const user = room.join({ identity: 'ada' });
    const job = await server.startJob({
      room,
      logger,
      job: { id: 'job-42', metadata: JSON.stringify({ user_id: 'u1', user_name: 'Ada', user_phone: '+100' }) },
    });
    await new Promise<void>((resolve) => user.onText(() => resolve()));
    job.ctx.shutdown('done');
    await job.result;
    const mine = lines.filter((line) => String(line.msg).startsWith('serving') || String(line.msg).startsWith('connected to room'));
    expect(mine.map((line) => line.msg)).toEqual(['serving Ada (+100)', 'connected to room log-room with participant ada']);
    for (const line of mine) expect(line).toMatchObject({ jobId: 'job-42', job_id: 'job-42', room_name: 'log-room' });
    expect(mine[0]).toMatchObject({ user_id: 'u1' });
    expect(user.received.map((text) => text.text)).toEqual(['Hello Ada!']);
  });

  it('malformed metadata fails the job with a clear typed error, without crashing anything', async () => {
    const { lines, logger } = capture();
    const room = new LocalRoom();
    const job = await server.startJob({ room, logger, job: { id: 'job-bad', metadata: '{"user_id": 1' } });
    const result = await job.result;
    expect(result.status).toBe('failed');
    expect(result.error).toBeInstanceOf(EntrypointError);
    expect(result.error?.cause).toBeInstanceOf(JobMetadataError);
    expect(result.error?.message).toMatch(/job job-bad: metadata is not valid JSON/);
    expect(lines.some((line) => line.level === 50 && String(line.msg).includes('metadata is not valid JSON'))).toBe(true);
  });

  it('metadata of the wrong shape is refused too', async () => {
    const room = new LocalRoom();
    const job = await server.startJob({ room, job: { id: 'job-shape', metadata: '{"user_id": "u1"}' } });
    const result = await job.result;
    expect(result.error?.cause).toBeInstanceOf(JobMetadataError);
    expect(result.error?.message).toContain('does not have the expected shape');
  });

  it('metadata that is not text is refused when the job is created', async () => {
    await expect(server.startJob({ room: new LocalRoom(), job: { id: 'job-num', metadata: 42 } })).rejects.toThrow(JobMetadataError);
  });
});
