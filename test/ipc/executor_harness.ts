/**
 * What the executor tests share: pools over the scripted fixture agent with small bounds, job
 * infos carrying a script, a log capture, and checks that no process is left behind.
 */
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { expect, vi } from 'vitest';
import type { SupervisedProcessState } from '../../machines/supervised_process.js';
import { createLogger, type Logger } from '../../src/log/logger.js';
import type { ExecutorPool } from '../../src/ipc/executor_pool.js';
import type { ParentMessage } from '../../src/ipc/ipc_messages.js';
import type { ChannelHandlers, JobChannel, OpenChannel } from '../../src/ipc/job_channel.js';
import { ProcessPool, type ProcessPoolOptions } from '../../src/ipc/process_pool.js';
import type { SupervisedProcess, SupervisionOptions } from '../../src/ipc/supervised_process.js';
import { ThreadExecutor, type ThreadExecutorOptions } from '../../src/ipc/thread_executor.js';
import type { RunningJobInfo } from '../../src/worker/running_job.js';
import { server, type Script } from '../fixtures/agents/scripted_agent.js';

export type ExecutorKind = 'process' | 'thread';
export const EXECUTORS: readonly ExecutorKind[] = ['process', 'thread'];

/** The parent's bounds: small, so a stuck job is reaped in well under a second. */
export const BOUNDS = {
  shutdownProcessTimeout: 500,
  entrypointGrace: 100,
  sessionCloseTimeout: 100,
  initializeProcessTimeout: 5_000,
  pingInterval: 100,
  pingTimeout: 5_000,
} as const;

/** The job's own bounds in the child: lax, so it is the parent that must enforce the shutdown. */
export const LAX_JOB = { entrypointGrace: 30_000, sessionCloseTimeout: 30_000, shutdownProcessTimeout: 30_000, roomDisconnectTimeout: 30_000 };

export function jobInfo(id: string, script: Script = {}): RunningJobInfo {
  return {
    job: {
      id,
      dispatchId: `dispatch-${id}`,
      type: 'room',
      roomName: `room-${id}`,
      roomSid: 'RM_test',
      metadata: JSON.stringify(script),
      agentName: '',
      participantIdentity: undefined,
      attributes: {},
    },
    acceptArguments: { identity: `agent-${id}`, name: 'agent', metadata: '', attributes: {} },
    url: 'ws://127.0.0.1:1',
    token: 'not-a-real-token',
    workerId: 'W_test',
  };
}

export interface TestPool {
  pool: ExecutorPool;
  /** Every process id (thread id) the pool started, in order. */
  ids: number[];
  /** Log lines of the parent (JSON). */
  logs: Array<Record<string, unknown>>;
}

/** A logger whose lines (JSON, parsed) land in `logs`. */
export function captureLogs(): { logger: Logger; logs: Array<Record<string, unknown>> } {
  const logs: Array<Record<string, unknown>> = [];
  const logger = createLogger(
    new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    }) as never,
    { level: 'debug' },
  );
  return { logger, logs };
}

export function makePool(
  kind: ExecutorKind,
  options: ProcessPoolOptions & ThreadExecutorOptions & { setup?: string; job?: object } = {},
): TestPool {
  const { logger, logs } = captureLogs();
  const { setup, job, ...rest } = options;
  const settings = {
    room: 'local' as const,
    numIdleProcesses: 1,
    ...BOUNDS,
    logger,
    ...rest,
    env: { FIXTURE_SETUP: setup ?? 'ok', FIXTURE_JOB_OPTIONS: JSON.stringify(job ?? LAX_JOB), ...rest.env },
  };
  const pool = kind === 'process' ? new ProcessPool(server, settings) : new ThreadExecutor(server, settings);
  const ids: number[] = [];
  pool.on('process_started', (process) => {
    if (process.id !== undefined) ids.push(process.id);
  });
  return { pool, ids, logs };
}

/** Whether process `pid` is gone (a zombie nobody reaped counts as gone: it runs nothing). */
export function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') === true;
  } catch {
    return true;
  }
}

/** Closes the pool and checks nothing it started is left. */
export async function closeAndCheck({ pool, ids }: TestPool, kind: ExecutorKind): Promise<void> {
  await pool.close('test over');
  expect(pool.processes).toEqual([]);
  expect(pool.activeJobs).toBe(0);
  if (kind === 'process') expect(ids.filter((pid) => !isGone(pid)), 'processes left behind').toEqual([]);
}

/** Resolves once `process` is in `state` (at once if it is). */
export function reached(process: SupervisedProcess, state: SupervisedProcessState): Promise<void> {
  if (process.state === state) return Promise.resolve();
  return new Promise((resolve) => {
    const check = ({ newState }: { newState: SupervisedProcessState }) => {
      if (newState !== state) return;
      process.off('state_changed', check);
      resolve();
    };
    process.on('state_changed', check);
  });
}

/** The supervision bounds of a SupervisedProcess made by hand (no pool). */
export const SUPERVISION: SupervisionOptions = { module: '/agent.ts', entry: { from: 'rtcSession' }, room: 'local', memoryWarnMb: 0, memoryLimitMb: 0, highPingThreshold: 500, ...BOUNDS };

/**
 * A channel with no process behind it: the test plays the child through `handlers`, reads what the
 * parent sent in `sent`, and can close it (sends are then undelivered, as on a closed IPC channel).
 */
export function fakeChannel() {
  let handlers!: ChannelHandlers;
  let closed = false;
  const sent: ParentMessage[] = [];
  const channel: JobChannel = {
    kind: 'process',
    id: 1,
    send: (message) => (closed ? handlers.undelivered(message.type, new Error("the process's channel is closed")) : void sent.push(message)),
    kill: vi.fn(),
    usedMb: (report) => report.rss / (1024 * 1024),
  };
  const open: OpenChannel = (given) => {
    handlers = given;
    return channel;
  };
  return {
    open,
    channel,
    sent,
    get handlers() {
      return handlers;
    },
    close() {
      closed = true;
    },
  };
}
