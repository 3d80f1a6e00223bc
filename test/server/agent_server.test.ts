import { Writable } from 'node:stream';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { AgentServer, LocalRoom, VoxstateError, cli, createLogger, rootLogger, setRootLogger } from '../../src/index.js';

describe('AgentServer', () => {
  it("warming a job process's job path runs none of the user's code and logs nothing; the real job then runs as usual", async () => {
    const written: string[] = [];
    const previous = rootLogger();
    setRootLogger(createLogger(new Writable({ write: (chunk, _encoding, done) => void (written.push(String(chunk)), done()) }) as never, { level: 'trace' }));
    onTestFinished(() => setRootLogger(previous));
    const server = new AgentServer();
    const setup = vi.fn();
    const entrypoint = vi.fn(async (ctx: Parameters<Parameters<typeof server.rtcSession>[0]>[0]) => {
      ctx.addShutdownCallback(callback);
      ctx.shutdown('done');
    });
    const callback = vi.fn(async () => {});
    server.setupFnc = setup;
    server.rtcSession(entrypoint);

    await server._warmJobPath();
    expect([setup.mock.calls.length, entrypoint.mock.calls.length, callback.mock.calls.length]).toEqual([1, 0, 0]);
    expect(written).toEqual([]);

    const job = await server.startJob({ room: new LocalRoom({ name: 'real' }), job: { id: 'real-job' } });
    expect((await job.result).status).toBe('success');
    expect([setup.mock.calls.length, entrypoint.mock.calls.length, callback.mock.calls.length]).toEqual([1, 1, 1]);
    expect(written.join('')).toContain('real-job');
    expect(written.join('')).not.toContain('warm-up');
  });

  it('runs setupFnc once per process; every job sees the same proc.userData', async () => {
    const server = new AgentServer<{ model?: { loaded: number } }>();
    let loads = 0;
    server.setupFnc = (proc) => {
      loads += 1;
      proc.userData.model = { loaded: loads };
    };
    const seen: unknown[] = [];
    server.rtcSession(async (ctx) => {
      seen.push(ctx.proc.userData.model);
      ctx.shutdown('done');
    });
    const results = await Promise.all([1, 2, 3].map(async () => (await server.startJob({ room: new LocalRoom() })).result));
    expect(loads).toBe(1);
    expect(seen).toEqual([{ loaded: 1 }, { loaded: 1 }, { loaded: 1 }]);
    expect(results.map((result) => result.status)).toEqual(['success', 'success', 'success']);
    expect(new Set(results.map((result) => result.jobId)).size).toBe(3);
  });

  it("startJob passes the job's bounds to the job, and keeps the worker's options (credentials, callbacks) out of it", async () => {
    const server = new AgentServer({ apiKey: 'APIkey', apiSecret: 'the-secret', requestFnc: () => {}, loadThreshold: 0.5, entrypointGrace: 1_234 });
    server.rtcSession(async (ctx) => ctx.shutdown('done'));
    const job = await server.startJob({ room: new LocalRoom() });
    const context = job.actor.getSnapshot().context as unknown as Record<string, unknown>;
    expect(context).toMatchObject({ entrypointGrace: 1_234 });
    for (const key of ['apiKey', 'apiSecret', 'requestFnc', 'loadThreshold']) expect(context).not.toHaveProperty(key);
    expect((await job.result).status).toBe('success');
  });

  it('a failing or hanging setupFnc is a typed error, and is tried again for the next job', async () => {
    vi.useFakeTimers();
    try {
      const server = new AgentServer({ initializeProcessTimeout: 1_000 });
      server.rtcSession(async () => {});
      server.setupFnc = () => {
        throw new Error('model missing');
      };
      await expect(server.startJob({ room: new LocalRoom() })).rejects.toThrow('setupFnc failed: model missing');
      server.setupFnc = () => new Promise(() => {});
      const hanging = server.startJob({ room: new LocalRoom() }).catch((error: unknown) => error);
      await vi.advanceTimersByTimeAsync(1_000);
      expect(await hanging).toBeInstanceOf(VoxstateError);
      expect(String(await hanging)).toContain('setupFnc did not finish within 1000 ms');
    } finally {
      vi.useRealTimers();
    }
  });

  it('one entrypoint per server; none registered is a clear error', async () => {
    const server = new AgentServer();
    await expect(server.startJob({ room: new LocalRoom() })).rejects.toThrow('register an entrypoint');
    server.rtcSession(async () => {}, { agentName: 'support' });
    expect(server.agentName).toBe('support');
    expect(server.module).toMatch(/agent_server\.test\.ts$/);
    expect(() => server.rtcSession(async () => {})).toThrow('already has an entrypoint');
  });

  it('cli.runApp does nothing when the registering module is not the program, and explains commands it lacks', async () => {
    const server = new AgentServer();
    server.rtcSession(async () => {});
    expect(await cli.runApp(server)).toBeUndefined();
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await cli.runApp(server, { argv: ['start'] })).toBe(2);
      expect(await cli.runApp(server, { argv: ['nonsense'] })).toBe(2);
      expect(stderr.mock.calls.map((call) => String(call[0])).join('')).toContain('usage:');
    } finally {
      stderr.mockRestore();
    }
  });
});
