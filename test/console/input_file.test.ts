/**
 * `console --input FILE` when FILE cannot be played, run as a user runs it (the CLI in a child
 * process): the job ends failed with the typed error, one clear line says why, the exit code is 1.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { offlineEnv } from '../support/offline.js';

let dir: string;
const children = new Set<ChildProcessWithoutNullStreams>();

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'voxstate-input-'));
});
afterEach(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
  await rm(dir, { recursive: true, force: true });
});

/**
 * The basic_event example in console mode with `--input file`. Stdin stays open until the first
 * error line is printed, so that nothing but the input ends the job; ending it then changes nothing
 * (the job is already shutting down) but keeps a console that ignored the failure from waiting forever.
 */
async function consoleWithInput(file: string): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/basic_event.ts', 'console', '--input', file], {
    cwd: new URL('../..', import.meta.url),
    env: offlineEnv({ LOG_LEVEL: 'fatal', FORCE_COLOR: '0' }),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk) => {
    out += String(chunk);
    if (out.includes('  ✖ ')) child.stdin.end();
  });
  child.stderr.on('data', (chunk) => (err += String(chunk)));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (exitCode) => resolve(exitCode)));
  return { code, out, err };
}

describe('console --input that cannot be played', () => {
  it.each([
    ['a file that does not exist', (d: string) => join(d, 'missing.wav'), (path: string) => `cannot read ${path}: no such file (ENOENT)`],
    ['a directory', (d: string) => d, (path: string) => `cannot read ${path}: it is a directory, not a file (EISDIR)`],
    ['a file that is not a WAV', (d: string) => join(d, 'notes.wav'), (path: string) => `WAV: ${path}: not a RIFF file (starts with "hell")`],
  ])('%s: the job fails with the typed error and the program exits 1', async (_label, pathIn, problemOf) => {
    const path = pathIn(dir);
    if (path.endsWith('notes.wav')) await writeFile(path, 'hello, this is text');
    const { code, out, err } = await consoleWithInput(path);
    const problem = problemOf(path);
    expect(err).toBe('');
    // The error as it is reported, then the job's end: failed, with it.
    expect(out).toContain(`  ✖ ${problem}\n`);
    expect(out.trimEnd().split('\n').at(-1)).toBe(`job failed (--input failed): ${problem}`);
    expect(out).not.toContain('job success');
    expect(code).toBe(1);
  }, 30_000);
});
