/**
 * initializeLogger({ pretty, level }), as agents-js programs and tests call it first: a program
 * (a child process) that calls it logs on stderr, pretty or JSON, at that level, with voxstate's
 * redaction; a level that does not exist is a typed error.
 */
import { describe, expect, it } from 'vitest';
import { offlineEnv } from '../support/offline.js';
import { startProgram } from '../support/program.js';

/** Runs `code` (ES module JavaScript with `initializeLogger` and `log` in scope) as a program. */
function program(code: string) {
  const source = `import { initializeLogger, log } from './src/log/logger.ts';\n${code}`;
  // No LOG_LEVEL: the level is initializeLogger's.
  const { LOG_LEVEL: _level, ...env } = offlineEnv({ FORCE_COLOR: '0' });
  return startProgram(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', source], { cwd: new URL('../..', import.meta.url), env });
}

describe('initializeLogger', () => {
  it('pretty: human lines on stderr from the level up, secrets redacted', async () => {
    const run = program(`
      initializeLogger({ pretty: true, level: 'debug' });
      log().trace('too fine');
      log().debug({ apiKey: 'the-key-itself' }, 'ready to talk');
    `);
    expect(await run.exited).toBe(0);
    expect(run.err()).toMatch(/DEBUG \(\d+\): ready to talk/);
    expect(run.err()).toContain('apiKey: "[redacted]"');
    expect(run.err()).not.toContain('the-key-itself');
    expect(run.err()).not.toContain('too fine');
    expect(run.out()).toBe('');
  }, 15_000);

  it('JSON at the level given (default info)', async () => {
    const run = program(`
      initializeLogger({ pretty: false, level: 'warn' });
      log().info('quiet');
      log().warn({ room: 'r1' }, 'loud');
      initializeLogger({ pretty: false });
      log().debug('still quiet');
      log().info('back at info');
    `);
    expect(await run.exited).toBe(0);
    const lines = run.err().trim().split('\n').map((line) => JSON.parse(line) as { level: number; msg: string; room?: string });
    expect(lines.map(({ level, msg, room }) => ({ level, msg, room }))).toEqual([
      { level: 40, msg: 'loud', room: 'r1' },
      { level: 30, msg: 'back at info', room: undefined },
    ]);
  }, 15_000);

  it('a level that does not exist is a typed error', async () => {
    const run = program(`
      try {
        initializeLogger({ pretty: false, level: 'loud' });
      } catch (error) {
        console.log(JSON.stringify({ name: error.name, code: error.code, message: error.message }));
      }
    `);
    expect(await run.exited).toBe(0);
    expect(JSON.parse(run.out())).toEqual({
      name: 'VoxstateError',
      code: 'invalid_log_level',
      message: 'the log level must be one of trace, debug, info, warn, error, fatal, silent, got "loud"',
    });
  }, 15_000);
});

describe('LOG_LEVEL', () => {
  /** A program importing voxstate with LOG_LEVEL set to `level`, logging one info line. */
  function withLevel(level: string) {
    const env = offlineEnv({ FORCE_COLOR: '0', LOG_LEVEL: level });
    const source = `import { log } from './src/log/logger.ts';\nlog().info('hello');`;
    return startProgram(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', source], { cwd: new URL('../..', import.meta.url), env });
  }

  it('a value that is not a level does not stop the program: it logs at info and says why', async () => {
    const run = withLevel('verbose');
    expect(await run.exited).toBe(0);
    const lines = run.err().trim().split('\n').map((line) => JSON.parse(line) as { level: number; msg: string });
    expect(lines.map(({ level, msg }) => [level, msg])).toEqual([
      [40, 'LOG_LEVEL="verbose" is not a log level (trace, debug, info, warn, error, fatal, silent): logging at info'],
      [30, 'hello'],
    ]);
  }, 15_000);

  it('empty is as unset', async () => {
    const run = withLevel('');
    expect(await run.exited).toBe(0);
    expect(run.err().trim().split('\n').map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual(['hello']);
  }, 15_000);
});
