/**
 * Messages between a job process and its parent are checked on arrival: a malformed one is an
 * IpcMessageError, reported and ignored by whichever side got it, never a crash, never trusted,
 * and never echoed (a message may carry the room token).
 */
import { describe, expect, it } from 'vitest';
import { IpcMessageError, parseChildMessage, parseParentMessage, type ChildMessage } from '../../src/ipc/ipc_messages.js';
import { JobRunner } from '../../src/ipc/job_runner.js';
import { SupervisedProcess } from '../../src/ipc/supervised_process.js';
import { rootLogger, setRootLogger } from '../../src/log/logger.js';
import { SUPERVISION, captureLogs, fakeChannel, jobInfo } from './executor_harness.js';

describe('IPC messages', () => {
  it('well-formed messages pass as they are', () => {
    const info = jobInfo('j');
    for (const message of [
      { type: 'initialize', module: '/a.ts', entry: { from: 'rtcSession' }, room: 'local', shutdownProcessTimeout: 10 },
      { type: 'initialize', module: '/a.ts', entry: { from: 'defaultExport', agentName: 'a', initializeProcessTimeout: 5 }, room: 'local', shutdownProcessTimeout: 10 },
      { type: 'startJob', info },
      { type: 'shutdown', reason: 'bye' },
      { type: 'ping', timestamp: 1 },
    ]) {
      expect(parseParentMessage(message)).toBe(message);
    }
    for (const message of [
      { type: 'initialized' },
      { type: 'initializeFailed', error: 'no model' },
      { type: 'pong', timestamp: 1, memory: { rss: 1, heapUsed: 1 } },
      { type: 'jobStarted', jobId: 'j' },
      { type: 'jobShuttingDown', reason: 'x' },
      { type: 'jobClosing' },
      { type: 'jobEnded', status: 'failed', reason: 'x', error: 'boom' },
      { type: 'jobEnded', status: 'success', reason: 'x' },
      { type: 'uncaughtError', error: 'boom' },
    ]) {
      expect(parseChildMessage(message)).toBe(message);
    }
  });

  it.each([
    [null, 'expected an object, got null'],
    ['ping', 'expected an object, got string'],
    [[1], 'expected an object, got an array'],
    [{}, 'it has no type'],
    [{ type: 'launchMissiles' }, 'unknown type "launchMissiles"'],
    [{ type: 'constructor' }, 'unknown type "constructor"'],
    [{ type: 'ping', timestamp: 'now' }, 'ping: timestamp is not a finite number'],
    [{ type: 'initialize', module: '/a.ts', entry: { from: 'rtcSession' }, room: 'moon', shutdownProcessTimeout: 1 }, 'initialize: room is not one of livekit, local'],
    [{ type: 'initialize', module: '/a.ts', room: 'local', shutdownProcessTimeout: 1 }, 'initialize: entry is not { from: rtcSession | defaultExport }'],
    [{ type: 'initialize', module: '/a.ts', entry: { from: 'window' }, room: 'local', shutdownProcessTimeout: 1 }, 'entry is not { from: rtcSession | defaultExport }'],
    [{ type: 'initialize', module: '/a.ts', entry: { from: 'defaultExport', agentName: 'a' }, room: 'local', shutdownProcessTimeout: 1 }, 'entry is initializeProcessTimeout is not a finite number'],
    [{ type: 'startJob', info: { ...jobInfo('j'), token: 42 } }, 'startJob: info is token is not text'],
    [{ type: 'startJob', info: { ...jobInfo('j'), job: { ...jobInfo('j').job, attributes: { a: 1 } } } }, 'info is job is attributes is not a map of text'],
  ])('from the parent: %j → %s', (raw, problem) => {
    const error = (() => {
      try {
        parseParentMessage(raw);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(IpcMessageError);
    expect((error as IpcMessageError).code).toBe('ipc_message_invalid');
    expect((error as Error).message).toContain(problem);
  });

  it('the error never carries what the message carried', () => {
    const secret = 'eyJhbGciOiJIUzI1NiJ9.secret';
    expect(() => parseParentMessage({ type: 'startJob', info: { ...jobInfo('j'), token: secret, workerId: 7 } })).toThrow(IpcMessageError);
    try {
      parseParentMessage({ type: 'startJob', info: { ...jobInfo('j'), token: secret, workerId: 7 } });
    } catch (error) {
      expect((error as Error).message).not.toContain(secret);
    }
    expect(() => parseChildMessage({ type: 'jobEnded', status: 'meh', reason: 'x' })).toThrow('jobEnded: status is not one of success, failed');
  });

  it('the child logs a malformed message (its problem, not its content) and goes on answering pings', () => {
    const sent: ChildMessage[] = [];
    const { logger, logs } = captureLogs();
    const saved = rootLogger();
    setRootLogger(logger);
    try {
      const runner = new JobRunner({ send: async (message) => void sent.push(message), exit: () => expect.fail('the child must not exit') });
      expect(() => runner.receive({ type: 'startJob', info: 'everything' })).not.toThrow();
      expect(() => runner.receive(undefined)).not.toThrow();
      runner.receive({ type: 'ping', timestamp: 5 });
    } finally {
      setRootLogger(saved);
    }
    expect(sent).toEqual([{ type: 'pong', timestamp: 5, memory: { rss: expect.any(Number), heapUsed: expect.any(Number) } }]);
    expect(logs.map((line) => [line.level, line.msg, (line.err as { code?: string }).code])).toEqual([
      [50, 'malformed message from the parent process: startJob: info is not an object; it was ignored', 'ipc_message_invalid'],
      [50, 'malformed message from the parent process: expected an object, got undefined; it was ignored', 'ipc_message_invalid'],
    ]);
    expect(JSON.stringify(logs)).not.toContain('everything');
  });

  it('the parent reports a malformed message as an error event and goes on', () => {
    const fake = fakeChannel();
    const supervised = new SupervisedProcess(fake.open, SUPERVISION);
    const { handlers } = fake;
    const errors: unknown[] = [];
    supervised.on('error', (error) => errors.push(error));
    handlers.spawned();
    handlers.message({ type: 'initialized', extra: 'fine' });
    handlers.message({ type: 'jobEnded', status: 'exploded' });
    handlers.message('garbage');
    expect(errors.map((error) => (error as Error).message)).toEqual([
      'malformed message from the child process: jobEnded: status is not one of success, failed; it was ignored',
      'malformed message from the child process: expected an object, got string; it was ignored',
    ]);
    expect(errors.every((error) => error instanceof IpcMessageError)).toBe(true);
    expect(supervised.state).toBe('idle');
    handlers.exited(0, null);
    expect(supervised.state).toBe('exited');
  });
});
