/**
 * Seed 003: "each job outputs JSON-formatted logs that include the user transcript, turn detection
 * data, job ID, process ID" and the log context fields. Read as a user reads them: every line
 * written while a job runs — from the job, the session, the agent's tools and hooks — carries
 * jobId, pid, room and the context fields, whoever set the work off (the room's caller, the
 * worker), and the conversation is there: the user's words, the agent's reply, the tool's failure.
 * In process, in a job process and a job thread, and in console mode as a child process.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExecutorPool } from '../../src/ipc/executor_pool.js';
import { ProcessPool } from '../../src/ipc/process_pool.js';
import { ThreadExecutor } from '../../src/ipc/thread_executor.js';
import { LocalRoom, createLogger, rootLogger, setRootLogger, type AgentSession } from '../../src/index.js';
import type { Script } from '../fixtures/agents/scripted_agent.js';
import { captureLogs, closeAndCheck, EXECUTORS, jobInfo, type TestPool } from '../ipc/executor_harness.js';
import { offlineEnv } from '../support/offline.js';
import { startProgram } from '../support/program.js';
import { APOLOGY, server } from './logging_agent.js';

type Line = Record<string, unknown>;

/** What every line of a job carries: its id, the process, its room, and the log context fields. */
function expectJobFields(lines: Line[], fields: { jobId: string; pid: number; room: string }): void {
  expect(lines.length).toBeGreaterThan(0);
  for (const line of lines) expect(line, `line "${String(line.msg)}"`).toMatchObject({ ...fields, tenant: 'acme' });
}

/** The conversation, as the job's lines tell it: the user's words, the tool's own line and its failure, the reply. */
function expectConversation(lines: Line[], userText: string): void {
  const find = (msg: string) => lines.filter((line) => line.msg === msg);
  expect(find('user transcript').map((line) => [line.level, line.transcript])).toEqual([[30, userText]]);
  expect(find('looking it up')).toHaveLength(1);
  const failure = lines.find((line) => line.level === 50 && String(line.msg).includes('tool lookup failed: the directory is down'));
  expect(failure, 'the tool failure line').toMatchObject({ err: { type: 'HookError' } });
  expect(find('agent reply').map((line) => [line.level, line.text])).toEqual([[30, APOLOGY]]);
}

function parse(text: string): Line[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Line);
}

describe('in process', () => {
  let restore: (() => void) | undefined;
  afterEach(() => restore?.());

  it('every line carries the job fields, also for work set off from outside the job: the caller typing, the worker asking to stop', async () => {
    // The job's logger and the process-wide one write to the same place: a line that lost its job
    // goes to the process-wide logger and shows up here without the fields.
    const lines: Line[] = [];
    const logger = createLogger(
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(...parse(String(chunk)));
          done();
        },
      }) as never,
      { level: 'debug' },
    );
    const previous = rootLogger();
    setRootLogger(logger);
    restore = () => setRootLogger(previous);

    const room = new LocalRoom({ name: 'log-room' });
    const caller = room.join({ identity: 'caller' });
    const job = await server.startJob({ room, logger, job: { id: 'job-logs' } });
    const session = await new Promise<AgentSession>((resolve) => job.ctx.once('session_started', resolve));
    await new Promise<void>((resolve) => session.once('agent_state_changed', () => resolve()));
    const apology = new Promise<void>((resolve) => caller.onText((text) => text.text === APOLOGY && resolve()));
    caller.sendText('please look it up');
    await apology;
    job.requestShutdown('the worker is draining');
    expect(await job.result).toMatchObject({ status: 'success', reason: 'the worker is draining' });

    expectJobFields(lines, { jobId: 'job-logs', pid: process.pid, room: 'log-room' });
    expectConversation(lines, 'please look it up');
    // onExit ran because the worker asked, from outside the job: still the job's line.
    expect(lines.filter((line) => line.msg === 'leaving the conversation')).toHaveLength(1);
    expect(lines.find((line) => line.msg === 'job shutting down')).toMatchObject({ reason: 'the worker is draining' });
  });
});

describe.each(EXECUTORS)('in a job %s', (kind) => {
  let t: TestPool | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    if (t) await closeAndCheck(t, kind);
    t = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A pool of one job process (thread) on the logging agent, writing its lines to a file. */
  async function startPool(): Promise<{ pool: ExecutorPool; file: string; pid: () => number }> {
    dir = mkdtempSync(join(tmpdir(), 'voxstate-job-logs-'));
    const file = join(dir, 'job.log');
    const { logger, logs } = captureLogs();
    const settings = { room: 'local' as const, numIdleProcesses: 0, logger, env: { VOXSTATE_TEST_LOG: file } };
    const pool: ExecutorPool = kind === 'process' ? new ProcessPool(server, settings) : new ThreadExecutor(server, settings);
    const ids: number[] = [];
    pool.on('process_started', (process) => process.id !== undefined && ids.push(process.id));
    t = { pool, ids, logs };
    await pool.start();
    return { pool, file, pid: () => (kind === 'process' ? ids[0]! : process.pid) };
  }

  it('every line the job writes carries the job fields and the process id; the conversation is there', async () => {
    const { pool, file, pid } = await startPool();
    const handle = await pool.launch(jobInfo('logs'));
    // The caller hears the apology and leaves: the job ends by itself, seed 003's way.
    expect(await handle.ended).toEqual({ status: 'success', reason: 'all participants left' });

    const lines = parse(readFileSync(file, 'utf8'));
    expectJobFields(lines, { jobId: 'logs', pid: pid(), room: 'room-logs' });
    expectConversation(lines, 'please look it up');
  });

  it("an error nobody catches, thrown outside the job's code, is logged as the job's before the process ends", async () => {
    const { pool, file, pid } = await startPool();
    const handle = await pool.launch(jobInfo('logs-crash', { crash: true } as Script));
    expect((await handle.ended).status).toBe('failed');

    const lines = parse(readFileSync(file, 'utf8'));
    expectJobFields(lines, { jobId: 'logs-crash', pid: pid(), room: 'room-logs-crash' });
    expect(lines.find((line) => String(line.msg).startsWith('uncaught error in the job process'))).toMatchObject({ level: 50, err: { message: 'scripted crash' } });
  });
});

describe('console mode, as a child process', () => {
  it('every line on stderr carries the job fields; the transcript and the tool failure are there', async () => {
    const run = startProgram(process.execPath, ['--import', 'tsx', 'test/log/logging_agent.ts', 'console'], {
      cwd: new URL('../..', import.meta.url),
      env: offlineEnv({ LOG_LEVEL: 'debug', FORCE_COLOR: '0' }),
    });
    await run.until('session: open (lifecycle: running');
    run.child.stdin.write('please look it up\n');
    await run.until(`agent › ${APOLOGY}`);
    run.child.stdin.end();
    expect(await run.exited).toBe(0);
    expect(run.out()).toContain('job success (console input ended)');

    const lines = parse(run.err());
    expectJobFields(lines, { jobId: 'console', pid: run.child.pid!, room: 'console' });
    expectConversation(lines, 'please look it up');
  }, 30_000);
});
