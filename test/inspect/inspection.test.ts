/** startInspection: the page, the Stately bridge beside it, the process-wide observers, and `console --inspect`. */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { setup } from 'xstate';
import { startActor } from '../../src/actors/start_actor.js';
import { startInspection, type Inspection } from '../../src/inspect/inspection.js';
import { currentInspector } from '../../src/inspect/registry.js';
import { offlineEnv } from '../support/offline.js';

const toggleMachine = setup({}).createMachine({ id: 'toggle', initial: 'off', states: { off: { on: { flip: 'on' } }, on: {} } });

/** Messages of a WebSocket, JSON-parsed (arrays flattened), with a wait for one that matches. */
function listen(url: string) {
  const socket = new WebSocket(url);
  const messages: Array<Record<string, unknown>> = [];
  const waiters = new Set<() => void>();
  socket.on('message', (data) => {
    const parsed = JSON.parse(String(data)) as Record<string, unknown> | Record<string, unknown>[];
    messages.push(...(Array.isArray(parsed) ? parsed : [parsed]));
    for (const wake of [...waiters]) wake();
  });
  const opened = new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const until = (predicate: (message: Record<string, unknown>) => boolean) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const check = () => {
        const found = messages.find(predicate);
        if (!found) return;
        waiters.delete(check);
        resolve(found);
      };
      waiters.add(check);
      check();
    });
  return { socket, messages, opened, until };
}

const feedUrl = (pageUrl: string) => `${pageUrl.replace(/^http/, 'ws')}feed`;

function occupy(port = 0): Promise<Server> {
  const server = createServer();
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

describe('startInspection', () => {
  let inspection: Inspection | undefined;
  const cleanup: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0)) await step();
    await inspection?.close();
    inspection = undefined;
  });

  it('serves the page, announces it, and shows every actor started afterwards until closed', async () => {
    expect(currentInspector()).toBeUndefined();
    const lines: string[] = [];
    inspection = await startInspection({ port: 0, print: (line) => lines.push(line) });
    expect(lines).toEqual([`voxstate inspector: ${inspection.pageUrl}`]);
    expect(new URL(inspection.pageUrl).hostname).toBe('127.0.0.1');
    expect(inspection.stately).toBeUndefined();
    expect(currentInspector()).toBeDefined();

    const feed = listen(feedUrl(inspection.pageUrl));
    cleanup.push(() => feed.socket.terminate());
    await feed.opened;
    const actor = startActor(toggleMachine, { name: 'Toggle', input: undefined as never, onError: () => {} });
    actor.send({ type: 'flip' });
    await feed.until((m) => m.t === 'state' && m.id === actor.sessionId && m.value === 'on');

    const { port } = inspection.page.address;
    await inspection.close();
    expect(currentInspector()).toBeUndefined();
    (await occupy(port)).close();
  });

  it('starts the Stately bridge beside the page when asked, on 127.0.0.1, and feeds both', { timeout: 10_000 }, async () => {
    const lines: string[] = [];
    inspection = await startInspection({ port: 0, stately: true, print: (line) => lines.push(line) });
    expect(inspection.statelyUrl).toBeDefined();
    expect(new URL(inspection.statelyUrl!).hostname).toBe('127.0.0.1');
    expect(new URL(inspection.statelyUrl!).port).not.toBe(new URL(inspection.pageUrl).port);
    expect(lines).toEqual([
      `voxstate inspector: ${inspection.pageUrl}`,
      `Stately Inspector bridge: ${inspection.statelyUrl} (needs the internet in the browser)`,
    ]);
    // Without the internet the bridge has nothing to show: its page points to the offline one.
    expect(await (await fetch(inspection.statelyUrl!)).text()).toContain(`<a id="offline-page" href="${inspection.pageUrl}">`);

    const feed = listen(feedUrl(inspection.pageUrl));
    const bridge = listen(`${inspection.statelyUrl!.replace(/^http/, 'ws')}page`);
    cleanup.push(() => feed.socket.terminate(), () => bridge.socket.terminate());
    await Promise.all([feed.opened, bridge.opened]);
    const actor = startActor(toggleMachine, { name: 'Toggle', input: undefined as never, onError: () => {} });
    await feed.until((m) => m.t === 'actor' && m.id === actor.sessionId);
    await bridge.until((m) => m.type === '@xstate.actor' && m.sessionId === actor.sessionId);
  });

  it('takes the port after the page’s for the bridge, and fails cleanly when a port is taken', { timeout: 10_000 }, async () => {
    const taken = await occupy();
    cleanup.push(() => void taken.close());
    const port = (taken.address() as { port: number }).port;
    // The page's port is taken.
    await expect(startInspection({ port, print: false })).rejects.toThrow(/EADDRINUSE/);
    // The bridge's (page port + 1) is taken: the page that did start is closed again.
    await expect(startInspection({ port: port - 1, stately: true, print: false })).rejects.toThrow(/EADDRINUSE/);
    expect(currentInspector()).toBeUndefined();
    (await occupy(port - 1)).close();
  });
});

describe('console --inspect', () => {
  it('serves voxstate’s inspector page and the Stately bridge, and the page follows the console’s job', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'examples/basic_event.ts', 'console', '--inspect', '--inspect-port', '0'], {
      cwd: new URL('../..', import.meta.url),
      env: offlineEnv({ LOG_LEVEL: 'warn', FORCE_COLOR: '0' }),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const waiters = new Set<() => void>();
    child.stdout.on('data', (chunk) => {
      out += String(chunk);
      for (const wake of [...waiters]) wake();
    });
    child.stderr.on('data', (chunk) => (err += String(chunk)));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const until = async (needle: string) => {
      while (!out.includes(needle)) {
        if (child.exitCode !== null) throw new Error(`exited before "${needle}":\n${out}\n${err}`);
        await new Promise<void>((resolve) => waiters.add(resolve));
      }
    };
    try {
      await until('Stately Inspector bridge: ');
      const pageUrl = /voxstate inspector: (\S+)/.exec(out)?.[1];
      expect(pageUrl).toBeDefined();
      expect(new URL(pageUrl!).hostname).toBe('127.0.0.1');
      expect(/Stately Inspector bridge: (\S+)/.exec(out)?.[1]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      expect(await (await fetch(pageUrl!)).text()).toContain('data-state-id="session.open.agent.listening"');

      const feed = listen(feedUrl(pageUrl!));
      await feed.opened;
      await until('agent › Hello, Alice!');
      await feed.until((m) => m.t === 'state' && JSON.stringify(m.value).includes('"agent":{"listening"'));
      const machines = new Set(feed.messages.filter((m) => m.t === 'actor').map((m) => m.machine));
      expect([...machines]).toEqual(expect.arrayContaining(['job', 'session', 'agent', 'speech']));
      child.stdin.end();
      expect(await exited).toBe(0);
      expect(feed.messages.some((m) => m.t === 'state' && m.label === 'job for room console' && m.status === 'done')).toBe(true);
    } finally {
      child.kill();
    }
  }, 30_000);
});
