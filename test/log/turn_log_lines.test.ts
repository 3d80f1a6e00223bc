/**
 * Seed 003's "turn detection data" in the logs: at debug, each final transcript the STT gives, the
 * end of each user turn with the endpointing delay it took (and the bounds it was decided by), a
 * turn dropped for want of words, and user speech over the agent: an interruption, or a pause that
 * words made one, or a false interruption that resumed the agent. At info, what the user said.
 */
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger, rootLogger, setRootLogger } from '../../src/index.js';
import { useFakeTime } from '../support/fake_time.js';
import { useVoiceSessions } from '../support/voice_sessions.js';

useFakeTime();
const { listening, talking } = useVoiceSessions();

let lines: Array<Record<string, unknown>> = [];
let previous: ReturnType<typeof rootLogger>;
beforeEach(() => {
  lines = [];
  previous = rootLogger();
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  setRootLogger(createLogger(stream as never, { level: 'debug' }));
});
afterEach(() => setRootLogger(previous));

/** The lines whose message starts with `prefix`, without pino's own fields. */
const linesOf = (prefix: string) =>
  lines.filter((line) => String(line.msg).startsWith(prefix)).map(({ time: _t, pid: _p, ...rest }) => rest);

describe('turn detection in the logs', () => {
  it('a spoken turn: the final transcript, the end of the turn after minEndpointingDelay, and what the user said', async () => {
    const { user } = await listening();
    void user.say('what time is it', { durationMs: 900, sttDelayMs: 200 });
    await vi.advanceTimersByTimeAsync(2_000);
    expect(linesOf('received user transcript')).toEqual([{ level: 20, transcript: 'what time is it', language: 'en', msg: 'received user transcript' }]);
    expect(linesOf('end of user turn')).toEqual([
      { level: 20, transcript: 'what time is it', endpointingDelayMs: 500, minEndpointingDelay: 500, maxEndpointingDelay: 3_000, msg: 'end of user turn' },
    ]);
    expect(linesOf('user transcript')).toEqual([{ level: 30, transcript: 'what time is it', msg: 'user transcript' }]);
  });

  it('a late transcript: the turn ended when it came, past minEndpointingDelay', async () => {
    const { user } = await listening();
    void user.say('slow network', { durationMs: 640, sttDelayMs: 1_200 });
    await vi.advanceTimersByTimeAsync(4_000);
    const [end] = linesOf('end of user turn');
    expect(end).toMatchObject({ transcript: 'slow network' });
    expect(end!.endpointingDelayMs).toBeGreaterThan(500);
    expect(end!.endpointingDelayMs).toBeLessThan(3_000);
  });

  it('no words: the turn is dropped after maxEndpointingDelay', async () => {
    const { user } = await listening();
    void user.say('', { durationMs: 320, noWords: true });
    await vi.advanceTimersByTimeAsync(4_000);
    expect(linesOf('user turn dropped')).toEqual([{ level: 20, maxEndpointingDelay: 3_000, msg: 'user turn dropped: nothing was transcribed' }]);
    expect(linesOf('end of user turn')).toEqual([]);
  });

  it('words while the agent is paused: an interruption', async () => {
    const { user, session } = await talking();
    session.say('This is a rather long story.');
    await vi.advanceTimersByTimeAsync(1_000);
    void user.say('wait stop please', { durationMs: 1_000 });
    await vi.advanceTimersByTimeAsync(1_500);
    expect(linesOf('user speech over the agent').map((line) => line.msg)).toEqual(['user speech over the agent: paused, waiting for words']);
    expect(linesOf('words while paused')).toHaveLength(1);
    expect(linesOf('no words while paused')).toEqual([]);
  });

  it('no words while paused: a false interruption, the agent resumes', async () => {
    const { user, session } = await talking();
    session.say('This is a rather long story.');
    await vi.advanceTimersByTimeAsync(1_000);
    void user.say('', { durationMs: 700, noWords: true });
    await vi.advanceTimersByTimeAsync(3_000);
    expect(linesOf('no words while paused')).toEqual([
      { level: 20, falseInterruptionTimeout: 2_000, msg: 'no words while paused: a false interruption, resuming' },
    ]);
    expect(linesOf('words while paused')).toEqual([]);
  });

  it('an output that cannot pause: an interruption at once', async () => {
    const { user, session } = await listening({}, []);
    session.say('a long story about everything');
    await vi.advanceTimersByTimeAsync(100);
    void user.say('', { durationMs: 1_000, noWords: true });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(linesOf('user speech over the agent').map((line) => line.msg)).toEqual(['user speech over the agent: an interruption']);
  });
});
