/** The main job, as a user runs it: `npm start` is `tsx examples/basic_event.ts console`. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { offlineEnv } from '../support/offline.js';
import { startProgram } from '../support/program.js';

function start(args: string[]) {
  return startProgram(process.execPath, ['--import', 'tsx', ...args], {
    cwd: new URL('../..', import.meta.url),
    env: offlineEnv({ LOG_LEVEL: 'warn', FORCE_COLOR: '0' }),
  });
}

describe('npm start (console mode on the basic_event example)', () => {
  it('greets, answers typed lines, and shuts down through the contract at end of input', async () => {
    const run = start(['examples/basic_event.ts', 'console']);
    await run.until('agent › Hello, Alice!');
    run.child.stdin.write('hello there\n');
    await run.until('agent › You said: hello there');
    run.child.stdin.end();
    expect(await run.exited).toBe(0);
    const out = run.out();
    expect(out.match(/\[Once\] Greeted Alice/g)).toHaveLength(1);
    expect(out).not.toContain('Bob');
    expect(out).toContain('job success (console input ended)');
  }, 30_000);

  it('Ctrl+C shuts the job down through the contract', async () => {
    const run = start(['examples/basic_event.ts', 'console']);
    await run.until('agent › Hello, Alice!');
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    expect(run.out()).toContain('job: done │ session: closed');
    expect(run.out()).toContain('job success (console interrupted (Ctrl+C))');
  }, 30_000);

  it('exit_message: "end session" makes the agent say goodbye and the job end', async () => {
    const run = start(['examples/exit_message.ts', 'console']);
    await run.until('session: open (lifecycle: running');
    run.child.stdin.write('end session\n');
    expect(await run.exited).toBe(0);
    expect(run.out()).toContain('agent › Goodbye!');
    expect(run.out()).toContain('job success (all participants left)');
  }, 30_000);

  it('realtime_agent: the realtime model\'s offline stand-in says what it is, greets, answers typed lines and runs a named tool', async () => {
    const run = start(['examples/realtime_agent.ts', 'console']);
    await run.until('agent › Hello! I am an offline stand-in');
    expect(run.out()).toContain('realtime model openai/gpt-realtime: offline stand-in');
    run.child.stdin.write('tell joke\n');
    await run.until('agent › Done: tell_joke');
    run.child.stdin.end();
    expect(await run.exited).toBe(0);
    expect(run.out()).toContain('job success (console input ended)');
  }, 30_000);

  it('clinic_flow: the flow moves through its phases by named transitions with key=value arguments, and ends the call', async () => {
    const sessions = mkdtempSync(join(tmpdir(), 'clinic-console-'));
    try {
      const run = startProgram(process.execPath, ['--import', 'tsx', 'examples/clinic_flow.ts', 'console'], {
        cwd: new URL('../..', import.meta.url),
        env: offlineEnv({ LOG_LEVEL: 'warn', FORCE_COLOR: '0', CLINIC_SESSIONS_DIR: sessions }),
      });
      await run.until('agent › Riverside Clinic, good morning. May I have your full name and date of birth?');
      run.child.stdin.write('caller identified name=Ann dob=1990-04-01\n');
      await run.until('agent › Thank you, Ann. Which day and time would suit you?');
      run.child.stdin.write("slot chosen slot='Tuesday 10:00'\n");
      await run.until('agent › So that is Tuesday 10:00, for Ann. Shall I book it?');
      run.child.stdin.write('booking confirmed\n');
      expect(await run.exited).toBe(0);
      expect(run.out()).toContain('agent › You are booked for Tuesday 10:00. Goodbye!');
      // The finished call was forgotten: nothing is left to resume.
      expect(readdirSync(sessions)).toEqual([]);
    } finally {
      rmSync(sessions, { recursive: true, force: true });
    }
  }, 30_000);

  it('console --record DIR: the conversation\'s audio (stereo WAV) and its session report are written there; a directory that cannot be written is a clear error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'console-record-'));
    try {
      const run = start(['examples/basic_event.ts', 'console', '--record', join(dir, 'calls')]);
      await run.until('agent › Hello, Alice!');
      run.child.stdin.write('hello there\n');
      await run.until('agent › You said: hello there');
      run.child.stdin.end();
      expect(await run.exited).toBe(0);
      const files = readdirSync(join(dir, 'calls')).sort();
      expect(files.map((name) => name.replace(/\d{4}-.*Z/, 'TIME'))).toEqual(['console-TIME.json', 'console-TIME.wav']);
      const report = JSON.parse(readFileSync(join(dir, 'calls', files[0]!), 'utf8'));
      expect(report).toMatchObject({ version: 1, job: { id: 'console' }, room: { name: 'console' } });
      expect(report.history.map((item: { content?: string }) => item.content)).toEqual(['Hello, Alice!', 'hello there', 'You said: hello there']);
      expect(readFileSync(join(dir, 'calls', files[1]!)).subarray(0, 4).toString()).toBe('RIFF');

      writeFileSync(join(dir, 'a-file'), 'x');
      const refused = start(['examples/basic_event.ts', 'console', '--record', join(dir, 'a-file', 'calls')]);
      refused.child.stdin.end();
      expect(await refused.exited).not.toBe(0);
      expect(refused.out() + refused.err()).toMatch(/cannot record into .*a-file\/calls: ENOTDIR/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('an unknown command prints the usage and exits 2; importing an agent module runs nothing', async () => {
    const run = start(['examples/basic_event.ts', 'frobnicate']);
    expect(await run.exited).toBe(2);
    expect(run.err()).toContain('usage:');
    const imported = start(['-e', "await import('./examples/basic_event.ts'); console.log('imported')"]);
    expect(await imported.exited).toBe(0);
    expect(imported.out().trim()).toBe('imported');
  }, 30_000);
});

describe('console --inspect', () => {
  it('serves the Stately Inspector bridge on 127.0.0.1 and streams every actor to it', async () => {
    const { WebSocket } = await import('ws');
    const run = start(['examples/basic_event.ts', 'console', '--inspect', '--inspect-port', '0']);
    await run.until('Stately Inspector bridge: ');
    const url = /Stately Inspector bridge: (\S+)/.exec(run.out())![1]!;
    expect(new URL(url).hostname).toBe('127.0.0.1');
    const page = new WebSocket(`${url.replace(/^http/, 'ws').replace(/\/$/, '')}/page`);
    const messages: Array<{ type: string; snapshot?: { value?: unknown }; definition?: string }> = [];
    page.on('message', (data) => messages.push(JSON.parse(String(data))));
    await new Promise((resolve) => page.once('open', resolve));
    await run.until('agent › Hello, Alice!');
    run.child.stdin.end();
    expect(await run.exited).toBe(0);
    page.close();
    const actors = messages.filter((message) => message.type === '@xstate.actor').map((message) => JSON.parse(message.definition!).id);
    expect(actors).toEqual(expect.arrayContaining(['job', 'session', 'agent', 'speech']));
    expect(messages.some((message) => message.type === '@xstate.snapshot' && JSON.stringify(message.snapshot?.value) === '"done"')).toBe(true);
  }, 30_000);
});
