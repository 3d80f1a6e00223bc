/**
 * The inspector page in a real browser: Debian's headless Chromium (/usr/bin/chromium) opens the
 * page while a scripted conversation runs through a real job, session and agent, and the test
 * checks that the highlighted states follow the conversation. A screenshot is kept in
 * test-artifacts/inspector.png.
 *
 * Each step of the conversation is held (the LLM's reply, the playout) until the page shows the
 * state it causes: real time only as awaited conditions, no sleeps.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { Agent, AgentServer, AgentSession, LocalRoom } from '../../src/index.js';
import { startInspection, type Inspection } from '../../src/inspect/inspection.js';
import { FakeLLM } from '../../src/testing/index.js';
import { ScriptedOutput } from '../support/scripted_output.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url);
// Without the background-networking flags Chromium dials out, and this machine refuses it.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SECRET = 'sk-browser-test-0123456789';

/** The little of the browser's globals the page functions use (the tests compile without the DOM library). */
interface PageElement {
  getAttribute(name: string): string | null;
  querySelector(selector: string): PageElement | null;
}
interface PageWindow {
  document: PageElement;
  MutationObserver: new (callback: () => void) => { observe(target: PageElement, options: object): void };
  seenAgentStates: string[];
}

/** Where the session's agent region is, as the page highlights it ('' when none is). */
const shownAgentState = (page: Page) =>
  page.evaluate(() => {
    const { document } = globalThis as unknown as PageWindow;
    const active = document.querySelector('section.machine[data-machine="session"] g.state.active[data-state-id^="session.running.agent."]');
    return active?.getAttribute('data-state-id')?.split('.').pop() ?? '';
  });

const untilAgentState = (page: Page, state: string) =>
  page.waitForFunction(
    (id) => {
      const { document } = globalThis as unknown as PageWindow;
      return document.querySelector(`section.machine[data-machine="session"] g.state.active[data-state-id="${id}"]`) !== null;
    },
    `session.running.agent.${state}`,
  );

describe('inspector page in Chromium', () => {
  let context: BrowserContext | undefined;
  let inspection: Inspection | undefined;
  let profile: string | undefined;

  afterAll(async () => {
    await context?.close();
    await inspection?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('highlights the session agent state as a scripted conversation goes listening → thinking → speaking → listening', { timeout: 20_000 }, async () => {
    // CI installs Chromium; a machine without it fails this test, it does not skip it.
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium is missing at ${CHROMIUM}: install Debian's chromium package (apt-get install chromium) to run the browser test`);
    }
    profile = mkdtempSync(join(tmpdir(), 'voxstate-chromium-'));
    const browserStarted = chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1600, height: 1000 },
    });
    inspection = await startInspection({ port: 0, print: false });
    context = await browserStarted;
    const page = context.pages()[0] ?? (await context.newPage());
    // A state the page never shows fails in seconds, naming the condition, not at the test's timeout.
    page.setDefaultTimeout(5_000);
    const offsite: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(inspection!.pageUrl.replace(/\/$/, '')) && !request.url().startsWith('data:')) offsite.push(request.url());
    });
    // Script errors and refused loads (a CSP violation is a console error) would break the page.
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    await page.goto(inspection.pageUrl);
    await page.locator('#connection[data-connection="live"]').waitFor();

    // Every highlighted agent state the page shows, in order, as it changes.
    await page.evaluate(() => {
      const window = globalThis as unknown as PageWindow;
      const seen: string[] = [];
      window.seenAgentStates = seen;
      const section = window.document.querySelector('section.machine[data-machine="session"]')!;
      const record = () => {
        const active = section.querySelector('g.state.active[data-state-id^="session.running.agent."]');
        const state = active?.getAttribute('data-state-id')?.split('.').pop();
        if (state && seen[seen.length - 1] !== state) seen.push(state);
      };
      new window.MutationObserver(record).observe(section, { subtree: true, attributes: true, attributeFilter: ['class'] });
    });

    // A real job, session and agent; the LLM's reply and the playout wait for the test.
    const llm = new FakeLLM([{ text: 'It is noon.', hold: true }]);
    const out = new ScriptedOutput();
    const server = new AgentServer();
    server.rtcSession(async (ctx) => {
      const session = new AgentSession({ llm, userAwayTimeout: null });
      session.output = out;
      await session.start({ agent: new Agent({ instructions: 'Answer briefly.' }), room: ctx.room });
      await ctx.connect();
    });
    const room = new LocalRoom({ name: 'browser' });
    const user = room.join({ identity: 'user' });
    const job = await server.startJob({ room, job: { id: 'browser-job' } });

    await untilAgentState(page, 'listening');
    // The live job, session and agent are listed, with their states.
    await page.locator('li.actor[data-machine="job"][data-status="active"] .label', { hasText: 'job browser-job' }).waitFor();
    await page.locator('li.actor[data-machine="session"][data-status="active"] .state', { hasText: 'running (agent: listening' }).waitFor();
    await page.locator('li.actor[data-machine="agent"][data-status="active"] .state', { hasText: 'active' }).waitFor();
    // The user speaks (a line of text), with a key pasted in: the page must not show it.
    user.sendText(`what time is it? my key is ${SECRET}`);
    await untilAgentState(page, 'thinking');
    expect(await shownAgentState(page)).toBe('thinking');
    await page.locator('section.machine[data-machine="session"] .following', { hasText: 'agent: thinking' }).waitFor();

    llm.release();
    await untilAgentState(page, 'speaking');
    await out.untilPlaying();
    // The speech actor of the reply is listed and followed by the speech diagram.
    await page.locator('section.machine[data-machine="speech"][data-status="active"] g.state.active').first().waitFor();

    (await out.untilPlaying()).finish();
    await untilAgentState(page, 'listening');
    expect(await page.evaluate(() => (globalThis as unknown as PageWindow).seenAgentStates)).toEqual([
      'listening',
      'thinking',
      'speaking',
      'listening',
    ]);

    // The event log shows the session's events with their payloads, the key masked.
    const log = page.locator('#log tbody');
    await log.locator('tr[data-type="agent.thinking"]').first().waitFor({ state: 'attached' });
    await log.locator('tr[data-type="item.added"] td.payload', { hasText: 'my key is sk-[redacted]' }).first().waitFor();
    expect(await page.content()).not.toContain(SECRET);

    // Clicking an actor makes its diagram follow it; clicking a diagram zooms it.
    await page.locator('li.actor[data-machine="speech"] button').first().click();
    await page.locator('li.actor.pinned[data-machine="speech"]').waitFor();
    await page.locator('section.machine[data-machine="speech"][data-status="done"]').waitFor();
    await page.locator('section.machine[data-machine="agent"] .diagram').click();
    await page.locator('section.machine.zoomed[data-machine="agent"]').waitFor();
    await page.locator('section.machine[data-machine="agent"] .diagram').click();

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: new URL('inspector.png', ARTIFACTS).pathname, fullPage: true });

    job.ctx.shutdown('test over');
    expect((await job.result).status).toBe('success');
    await page.locator('section.machine[data-machine="job"][data-status="done"]').waitFor();
    expect(offsite).toEqual([]);
    expect(problems).toEqual([]);
  });
});
