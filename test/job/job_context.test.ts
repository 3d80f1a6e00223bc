/** JobContext: connect, participants, participant entrypoints, log context, metadata. */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Writable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import {
  ClosedError,
  HookError,
  Job,
  JobProcess,
  LocalRoom,
  VoxstateError,
  createLogger,
  currentJobContext,
  getJobContext,
  jobInfo,
  log,
  type JobContext,
  type RemoteParticipant,
} from '../../src/index.js';
import { flush, useFakeTime } from '../support/fake_time.js';

useFakeTime();

function makeJob(entrypoint: (ctx: JobContext) => unknown, room = new LocalRoom({ name: 'r' }), logger?: ReturnType<typeof createLogger>) {
  return new Job({ info: jobInfo({ id: 'job-ctx', roomName: room.name, metadata: '{"a":1}' }), room, proc: new JobProcess(), entrypoint, ...(logger ? { logger } : {}) });
}

describe('connect', () => {
  it('is idempotent, moves the job to running, and is refused once shutting down', async () => {
    const room = new LocalRoom();
    const connect = vi.spyOn(room, 'connect');
    let ctx!: JobContext;
    const job = makeJob(async (c) => {
      ctx = c;
      await Promise.all([c.connect(), c.connect()]);
      await c.connect();
    }, room);
    job.start();
    await flush();
    expect(connect).toHaveBeenCalledTimes(1);
    expect(job.state).toBe('running');
    ctx.shutdown('bye');
    await flush();
    await job.result;
    const late = new LocalRoom();
    const lateJob = makeJob(async () => {}, late);
    lateJob.requestShutdown('early');
    await expect(lateJob.ctx.connect()).rejects.toThrow(ClosedError);
  });

  it('getJobContext() and log() find the job inside the entrypoint and what it awaits', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const stream = new Writable({
      write(chunk, _e, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    let found: JobContext | undefined;
    const job = makeJob(
      async (ctx) => {
        ctx.logContextFields = { room_name: ctx.room.name, apiKey: 'sk-live-123' };
        await Promise.resolve();
        found = getJobContext();
        log().info('inside');
      },
      new LocalRoom({ name: 'logged' }),
      createLogger(stream, { level: 'info' }),
    );
    job.start();
    await flush();
    expect(found).toBe(job.ctx);
    expect(lines.find((line) => line.msg === 'inside')).toMatchObject({ jobId: 'job-ctx', room_name: 'logged', apiKey: '[redacted]' });
    expect(JSON.stringify(lines)).not.toContain('sk-live-123');
    expect(() => getJobContext()).toThrow('outside a job');
    job.requestShutdown('done');
    await flush();
    await job.result;
  });

  it('a listener the job registered runs as code of the job, although the event comes from outside it; one registered outside does not', async () => {
    const room = new LocalRoom({ name: 'scoped' });
    const seen: Array<[string, string | undefined]> = [];
    room.on('dataReceived', () => void seen.push(['outside', currentJobContext()?.job.id]));
    const job = makeJob(async (ctx) => {
      ctx.room.on('dataReceived', () => void seen.push(['job', currentJobContext()?.job.id]));
      await ctx.connect();
    }, room);
    job.start();
    await flush();
    // The test is no job: a member's data reaches the room from here.
    room.join({ identity: 'sender' }).sendData(new Uint8Array([1]));
    expect(seen).toEqual([
      ['outside', undefined],
      ['job', 'job-ctx'],
    ]);
    job.requestShutdown('done');
    await flush();
    await job.result;
  });

  it("such a listener also runs in the rest of its async context: the program's own AsyncLocalStorage stores (a trace's context)", async () => {
    const trace = new AsyncLocalStorage<string>();
    const room = new LocalRoom({ name: 'traced' });
    const seen: Array<[string | undefined, string | undefined]> = [];
    const job = makeJob(async (ctx) => {
      trace.run('span-1', () => ctx.room.on('dataReceived', () => void seen.push([currentJobContext()?.job.id, trace.getStore()])));
      await ctx.connect();
    }, room);
    job.start();
    await flush();
    trace.run('span-outside', () => room.join({ identity: 'sender' }).sendData(new Uint8Array([1])));
    expect(seen).toEqual([['job-ctx', 'span-1']]);
    job.requestShutdown('done');
    await flush();
    await job.result;
  });

  it("every line names the job and its room once; a context field of the same name does not replace them", async () => {
    const raw: string[] = [];
    const stream = new Writable({
      write(chunk, _e, done) {
        raw.push(String(chunk));
        done();
      },
    });
    const job = makeJob(
      async (ctx) => {
        ctx.logContextFields = { room: 'somewhere else', jobId: 'another', tenant: 'acme' };
        log().info('inside');
      },
      new LocalRoom({ name: 'r' }),
      createLogger(stream, { level: 'info' }),
    );
    job.start();
    await flush();
    const line = raw.find((text) => text.includes('"inside"'))!;
    expect(JSON.parse(line)).toMatchObject({ jobId: 'job-ctx', room: 'r', tenant: 'acme', pid: process.pid });
    expect(line.match(/"jobId"/g)).toHaveLength(1);
    expect(line.match(/"room"/g)).toHaveLength(1);
    job.requestShutdown('done');
    await flush();
    await job.result;
  });

  it('parses metadata as JSON on request', () => {
    const job = makeJob(async () => {});
    expect(job.ctx.jobMetadata()).toEqual({ a: 1 });
  });
});

describe('participant entrypoints', () => {
  it('run for participants present at connect and for later joiners of the given kinds, concurrently', async () => {
    const room = new LocalRoom();
    room.join({ identity: 'present' });
    room.join({ identity: 'bot', kind: 'agent' });
    const calls: string[] = [];
    const job = makeJob(async (ctx) => {
      ctx.addParticipantEntrypoint(async (_c, p) => {
        calls.push(`a:${p.identity}`);
      });
      ctx.addParticipantEntrypoint(
        async (_c, p) => {
          calls.push(`sip:${p.identity}`);
        },
        { kinds: ['sip'] },
      );
      await ctx.connect();
    }, room);
    job.start();
    await flush();
    room.join({ identity: 'phone', kind: 'sip' });
    room.join({ identity: 'later' });
    await flush();
    expect(calls).toEqual(['a:present', 'a:phone', 'sip:phone', 'a:later']);
    job.requestShutdown('done');
    await flush();
    await job.result;
  });

  it('registered after connect: only later joiners; registering twice is refused; failures are reported', async () => {
    const room = new LocalRoom();
    room.join({ identity: 'present' });
    const calls: string[] = [];
    const errors: unknown[] = [];
    const job = makeJob(async (ctx) => {
      await ctx.connect();
      const entry = async (_c: JobContext, p: RemoteParticipant) => {
        calls.push(p.identity);
        if (p.identity === 'fails') throw new Error('entry failed');
      };
      ctx.addParticipantEntrypoint(entry);
      expect(() => ctx.addParticipantEntrypoint(entry)).toThrow(VoxstateError);
    }, room);
    job.ctx.on('error', (event) => errors.push(event.error));
    job.start();
    await flush();
    room.join({ identity: 'fails' });
    await flush();
    expect(calls).toEqual(['fails']);
    expect(errors).toEqual([expect.any(HookError)]);
    job.requestShutdown('done');
    await flush();
    expect((await job.result).status).toBe('success');
  });

  it('the shutdown waits for running participant entrypoints within the grace period', async () => {
    const room = new LocalRoom();
    room.join({ identity: 'slow' });
    let finished = false;
    const job = makeJob(async (ctx) => {
      ctx.addParticipantEntrypoint(async () => {
        await new Promise((resolve) => setTimeout(resolve, 500));
        finished = true;
      });
      await ctx.connect();
    }, room);
    job.start();
    await flush();
    job.requestShutdown('done');
    await flush();
    expect(job.state).toBe('shuttingDown.awaitingEntrypoint');
    await vi.advanceTimersByTimeAsync(500);
    expect(finished).toBe(true);
    expect((await job.result).status).toBe('success');
  });
});

describe('waitForParticipant', () => {
  it('returns a present participant, or waits for one of the right identity and kind', async () => {
    const room = new LocalRoom();
    room.join({ identity: 'first' });
    let ctx!: JobContext;
    const job = makeJob(async (c) => {
      ctx = c;
    }, room);
    job.start();
    await flush();
    expect((await ctx.waitForParticipant()).identity).toBe('first');
    const waiting = ctx.waitForParticipant({ identity: 'caller', kinds: ['sip'] }).catch((error: unknown) => error);
    room.join({ identity: 'caller' }); // standard, not sip: not this one
    room.join({ identity: 'other', kind: 'sip' });
    const caller = room.join({ identity: 'sip-caller', kind: 'sip' });
    expect(caller.participant.kind).toBe('sip');
    // The default kinds are standard, sip and connector.
    expect((await ctx.waitForParticipant({ identity: 'sip-caller' })).identity).toBe('sip-caller');
    job.requestShutdown('done');
    await flush();
    expect(await waiting).toBeInstanceOf(ClosedError);
    await job.result;
  });

  it('rejects when the room disconnects while waiting', async () => {
    const room = new LocalRoom();
    let ctx!: JobContext;
    const job = makeJob(async (c) => {
      ctx = c;
    }, room);
    job.start();
    await flush();
    const waiting = ctx.waitForParticipant();
    room.close();
    await expect(waiting).rejects.toThrow('room');
    // Asked again after the room is gone: refused at once.
    await expect(ctx.waitForParticipant()).rejects.toThrow(ClosedError);
    await flush();
    await job.result;
  });
});
