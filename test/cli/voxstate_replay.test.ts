/**
 * `voxstate replay <report.json>` as a user runs it (a child process): the inspector page serves
 * the report, and the command ends with its input; a mistake on the command line is exit code 2.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startProgram } from '../support/program.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../fixtures/reports/clinic_report.json', import.meta.url));
const voxstate = (args: string[]) => startProgram(process.execPath, ['--import', 'tsx', 'src/cli/voxstate.ts', ...args], { cwd: ROOT, env: { ...process.env, FORCE_COLOR: '0' } });

describe('voxstate replay', () => {
  it('serves the report on the inspector page until the input ends', async () => {
    const run = voxstate(['replay', FIXTURE, '--port', '0']);
    await run.until('Ctrl+D to end');
    const url = /voxstate inspector: (http:\S+)/.exec(run.out())![1]!;
    const served = (await (await fetch(new URL('/replay', url))).json()) as { file: string; report: { version: number } };
    expect(served).toMatchObject({ file: 'clinic_report.json', report: { version: 1 } });
    run.child.stdin.end();
    expect(await run.exited).toBe(0);
  }, 30_000);

  it('no report file, or an option it does not know: the usage, exit code 2', async () => {
    for (const args of [['replay'], ['replay', FIXTURE, '--frobnicate'], ['replay', FIXTURE, '--port', 'x']]) {
      const run = voxstate(args);
      expect(await run.exited).toBe(2);
      expect(run.err()).toContain('usage: voxstate replay <report.json> [--port N]');
    }
  }, 30_000);
});
