/**
 * `console --replay report.json`: the agent program's console verb serves the inspector page on
 * the report instead of running the agent, says where, and ends with its input; a mistake on the
 * command line is one line and exit code 2.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it, onTestFinished } from 'vitest';
import { replayInConsole } from '../../src/console/replay.js';
import { AgentServer } from '../../src/index.js';
import { runApp } from '../../src/cli/run_app.js';
import { terminal } from '../support/terminal.js';

const FIXTURE = new URL('../fixtures/reports/clinic_report.json', import.meta.url).pathname;


describe('console --replay', () => {
  it('serves the report on the inspector page until the input ends, then frees the port', { timeout: 15_000 }, async () => {
    const input = new PassThrough();
    const { output, line, text } = terminal();
    const done = replayInConsole(FIXTURE, { port: 0, input, output });
    // Whatever happens, the page does not outlive the test.
    onTestFinished(async () => {
      input.end();
      await done;
    });
    const [, url] = await line(/voxstate inspector: (http:\S+)/);
    await line(/Ctrl\+D to end/);
    expect(text()).toContain('replaying clinic_report.json on the inspector page (93 transitions, 16 items of history)');
    const served = (await (await fetch(new URL('/replay', url))).json()) as { file: string; report: { version: number } };
    expect(served).toMatchObject({ file: 'clinic_report.json', report: { version: 1 } });

    input.end();
    expect(await done).toBe(0);
    await expect(fetch(url!)).rejects.toThrow();
  });

  it('a report that cannot be replayed is said, and the page is served all the same', async () => {
    const input = new PassThrough();
    const { output, line } = terminal();
    const done = replayInConsole(new URL('make_fixture.ts', new URL('../fixtures/reports/', import.meta.url)).pathname, { port: 0, input, output });
    onTestFinished(async () => {
      input.end();
      await done;
    });
    const [, url] = await line(/voxstate inspector: (http:\S+)/);
    await line(/cannot replay make_fixture\.ts: the file is not JSON: /);
    expect((await fetch(url!)).status).toBe(200);
    input.end();
    expect(await done).toBe(0);
  });

  it('--replay without a file, or with a bad port, is a usage mistake: exit 2 and one line', async () => {
    const written: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string) => written.push(String(chunk)) > 0) as typeof process.stderr.write;
    try {
      expect(await runApp(new AgentServer(), { argv: ['console', '--replay'] })).toBe(2);
      expect(await runApp(new AgentServer(), { argv: ['console', '--replay', '--inspect'] })).toBe(2);
      expect(await runApp(new AgentServer(), { argv: ['console', '--replay', FIXTURE, '--inspect-port', 'eighty'] })).toBe(2);
    } finally {
      process.stderr.write = write;
    }
    expect(written).toEqual([
      '--replay needs a session report file: --replay report.json\n',
      '--replay needs a session report file: --replay report.json\n',
      '--inspect-port must be an integer 0..65535, got "eighty"\n',
    ]);
  });
});
