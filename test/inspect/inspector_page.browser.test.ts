/**
 * The inspector page in a real browser: Debian's headless Chromium (/usr/bin/chromium) opens the
 * page, 1,400 px wide, while a scripted conversation runs through a real job, session and agent,
 * and the test checks what a new user sees: the highlighted states follow the conversation, every
 * diagram's text is large enough to read, actors are named by their role and payloads hold the
 * user's data. A screenshot is kept in test-artifacts/inspector.png. Then the Stately bridge page,
 * with the internet blocked, must say what it needs.
 *
 * Each step of the conversation is held (the LLM's reply, the playout) until the page shows the
 * state it causes: real time only as awaited conditions, no sleeps.
 */
import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { Agent, AgentServer, AgentSession, LocalRoom } from '../../src/index.js';
import { startInspection, type Inspection } from '../../src/inspect/inspection.js';
import { FakeLLM } from '../../src/testing/index.js';
import { ScriptedOutput } from '../support/scripted_output.js';
import { useChromium } from '../support/chromium.js';

const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url);
const SECRET = 'sk-browser-test-0123456789';
/** Smallest diagram text a person reads comfortably, in CSS px as rendered (font size × scale). */
const READABLE_PX = 11;

/** The little of the browser's globals the page functions use (the tests compile without the DOM library). */
interface Rect {
  left: number;
  top: number;
  right: number;
  bottom: number;
  width: number;
}
interface PageElement {
  getAttribute(name: string): string | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
  getBoundingClientRect(): Rect;
  closest(selector: string): PageElement | null;
  clientWidth: number;
  clientHeight: number;
  clientLeft: number;
  clientTop: number;
  textContent: string | null;
  viewBox: { baseVal: { width: number } };
}
interface PageWindow {
  document: PageElement;
  innerWidth: number;
  innerHeight: number;
  getComputedStyle(element: PageElement): { fontSize: string };
  MutationObserver: new (callback: () => void) => { observe(target: PageElement, options: object): void };
  seenAgentStates: string[];
}

/**
 * Per diagram shown (`section.machine` not hidden), the smallest of its texts as rendered: the
 * computed font size times the scale the SVG is drawn at.
 */
const smallestDiagramText = (page: Page, selector = 'section.machine') =>
  page.evaluate((sections) => {
    const window = globalThis as unknown as PageWindow;
    const out: Record<string, { px: number; text: string }> = {};
    for (const section of window.document.querySelectorAll(sections)) {
      const svg = section.querySelector('.diagram svg')!;
      const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
      if (scale === 0) continue;
      let smallest = { px: Infinity, text: '' };
      for (const text of svg.querySelectorAll('text')) {
        const px = Number.parseFloat(window.getComputedStyle(text).fontSize) * scale;
        if (px < smallest.px) smallest = { px: Math.round(px * 10) / 10, text: text.textContent ?? '' };
      }
      out[section.getAttribute('data-machine')!] = smallest;
    }
    return out;
  }, selector);

/** Every diagram shown draws all its text at READABLE_PX or more; lists the offenders. */
async function expectReadable(page: Page, selector?: string): Promise<void> {
  const smallest = await smallestDiagramText(page, selector);
  expect(Object.keys(smallest).length).toBeGreaterThan(0);
  const tooSmall = Object.entries(smallest).filter(([, { px }]) => px < READABLE_PX);
  expect(tooSmall, `diagram text below ${READABLE_PX} px`).toEqual([]);
}

/**
 * A state of the session's agent region, by its name: `[data-state-id$=".agent.thinking"]`, wherever
 * the region sits in the chart.
 */
const AGENT_STATE = (state: string) => `section.machine[data-machine="session"] g.state.active[data-state-id$=".agent.${state}"]`;
/** Any highlighted state of the session's agent region. */
const ANY_AGENT_STATE = 'g.state.active[data-state-id*=".agent."][data-state-kind="atomic"]';

/** Resolves once the state `selector` finds is highlighted and wholly visible inside its diagram's scrolled box. */
const untilStateInView = (page: Page, selector: string) =>
  page.waitForFunction((found) => {
    const { document } = globalThis as unknown as PageWindow;
    const state = document.querySelector(found);
    const box = state?.closest('.diagram');
    if (!state || !box || box.clientWidth === 0) return false;
    const frame = box.getBoundingClientRect();
    const left = frame.left + box.clientLeft;
    const top = frame.top + box.clientTop;
    const r = state.getBoundingClientRect();
    return r.left >= left && r.top >= top && r.right <= left + box.clientWidth && r.bottom <= top + box.clientHeight;
  }, selector);

/** Where the session's agent region is, as the page highlights it ('' when none is). */
const shownAgentState = (page: Page) =>
  page.evaluate((any) => {
    const { document } = globalThis as unknown as PageWindow;
    const active = document.querySelector(`section.machine[data-machine="session"] ${any}`);
    // The region's own state (`listening`), not where inside it (`listening.attentive`).
    return active?.getAttribute('data-state-id')?.split('.agent.')[1]?.split('.')[0] ?? '';
  }, ANY_AGENT_STATE);

const untilAgentState = (page: Page, state: string) =>
  page.waitForFunction((selector) => {
    const { document } = globalThis as unknown as PageWindow;
    return document.querySelector(selector) !== null;
  }, AGENT_STATE(state));

describe('inspector page in Chromium', () => {
  const { openPage } = useChromium();
  let inspection: Inspection | undefined;
  /** What a test started in this process (the job): ended after the tests, also when one fails. */
  const stops: Array<() => unknown> = [];

  afterAll(async () => {
    await inspection?.close();
    for (const stop of stops.splice(0)) await stop();
  });

  it('highlights the session agent state as a scripted conversation goes listening → thinking → speaking → listening, readably, naming actors by role', { timeout: 20_000 }, async () => {
    const opening = openPage();
    inspection = await startInspection({ port: 0, stately: true, print: false });
    const { page, problems } = await opening;
    const offsite: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(inspection!.pageUrl.replace(/\/$/, '')) && !request.url().startsWith('data:')) offsite.push(request.url());
    });
    await page.goto(inspection.pageUrl);
    await page.locator('#connection[data-connection="live"]').waitFor();

    // Every machine's diagram is drawn at a size its text can be read at, 1,400 px wide and 1,920.
    await expectReadable(page);
    await page.setViewportSize({ width: 1920, height: 1080 });
    await expectReadable(page);
    await page.setViewportSize({ width: 1400, height: 900 });

    // Every highlighted agent state the page shows, in order, as it changes.
    await page.evaluate((any) => {
      const window = globalThis as unknown as PageWindow;
      const seen: string[] = [];
      window.seenAgentStates = seen;
      const section = window.document.querySelector('section.machine[data-machine="session"]')!;
      const record = () => {
        const active = section.querySelector(any);
        const state = active?.getAttribute('data-state-id')?.split('.agent.')[1]?.split('.')[0];
        if (state && seen[seen.length - 1] !== state) seen.push(state);
      };
      new window.MutationObserver(record).observe(section, { subtree: true, attributes: true, attributeFilter: ['class'] });
    }, ANY_AGENT_STATE);

    // A real job, session and agent; the LLM's reply and the playout wait for the test.
    const llm = new FakeLLM([{ text: 'It is noon.', hold: true }]);
    const out = new ScriptedOutput();
    const server = new AgentServer();
    class Concierge extends Agent {}
    let session: AgentSession | undefined;
    server.rtcSession(async (ctx) => {
      session = new AgentSession({ llm, userAwayTimeout: null });
      session.output = out;
      await session.start({ agent: new Concierge({ instructions: 'Answer briefly.' }), room: ctx.room });
      await ctx.connect();
    });
    const room = new LocalRoom({ name: 'browser' });
    const user = room.join({ identity: 'user' });
    const job = await server.startJob({ room, job: { id: 'browser-job' } });
    stops.push(() => {
      // A test that failed half way leaves the reply held and speech playing: cut them short.
      llm.release();
      session?.shutdown({ drain: false });
      job.ctx.shutdown('test ended');
      return job.result;
    });

    await untilAgentState(page, 'listening');
    // The live job, session and agent are listed by their role, with their states.
    await page.locator('li.actor[data-machine="job"][data-status="active"] .label', { hasText: 'job for room browser' }).waitFor();
    await page.locator('li.actor[data-machine="session"][data-status="active"] .label', { hasText: 'session of Concierge in room browser' }).waitFor();
    await page.locator('li.actor[data-machine="session"][data-status="active"] .state', { hasText: 'agent: listening' }).waitFor();
    await page.locator('li.actor[data-machine="agent"][data-status="active"] .label', { hasText: 'agent Concierge' }).waitFor();
    await page.locator('li.actor[data-machine="agent"][data-status="active"] .state', { hasText: 'active' }).waitFor();
    // The user speaks (a line of text), with a key pasted in: the page must not show it.
    user.sendText(`what time is it? my key is ${SECRET}`);
    await untilAgentState(page, 'thinking');
    expect(await shownAgentState(page)).toBe('thinking');
    await page.locator('section.machine[data-machine="session"] .following', { hasText: 'agent: thinking' }).waitFor();
    // The session's diagram, bigger than its card, has scrolled to show the state it highlights.
    await untilStateInView(page, AGENT_STATE('thinking'));

    llm.release();
    await untilAgentState(page, 'speaking');
    await out.untilPlaying();
    // The speech actor of the reply is listed by its id and source, and followed by the speech diagram.
    await page.locator('li.actor[data-machine="speech"] .label', { hasText: /^speech speech_\w+ \(generate_reply\)$/ }).waitFor();
    await page.locator('section.machine[data-machine="speech"][data-status="active"] g.state.active').first().waitFor();

    (await out.untilPlaying()).finish();
    await untilAgentState(page, 'listening');
    expect(await page.evaluate(() => (globalThis as unknown as PageWindow).seenAgentStates)).toEqual([
      'listening',
      'thinking',
      'speaking',
      'listening',
    ]);

    // The event log shows the session's events with their payloads, by the actor's role; the key
    // the user typed shows masked, and nowhere in the clear.
    const log = page.locator('#log tbody');
    await log.locator('tr[data-type="speech.generating"] td.actor', { hasText: 'session of Concierge in room browser' }).first().waitFor({ state: 'attached' });
    await log.locator('tr[data-type="speech.generating"] td.payload', { hasText: '"source":"generate_reply"' }).first().waitFor({ state: 'attached' });
    // The conversation is there too (the session announces it without a transition), the key masked.
    await log.locator('tr[data-type="conversation_item_added"] td.payload', { hasText: 'my key is sk-[redacted]' }).first().waitFor({ state: 'attached' });
    const content = await page.content();
    expect(content).not.toContain(SECRET);
    expect(content).not.toContain('xstate$$type');
    // No actor is called by XState's session id (x:3) anywhere a person reads.
    expect(await page.locator('#actors').innerText()).not.toMatch(/\bx:\d+/);
    expect(await page.locator('#log').innerText()).not.toMatch(/\bx:\d+/);

    // Clicking an actor makes its diagram follow it.
    await page.locator('li.actor[data-machine="speech"] button').first().click();
    await page.locator('li.actor.pinned[data-machine="speech"]').waitFor();
    await page.locator('section.machine[data-machine="speech"][data-status="done"]').waitFor();
    // Zooming the session's diagram gives it the area beside the actors: wholly in the window,
    // still readable, its highlighted state in view. Escape goes back.
    await page.locator('section.machine[data-machine="session"] .diagram').click();
    const zoomed = page.locator('section.machine.zoomed[data-machine="session"]');
    await zoomed.waitFor();
    const box = (await zoomed.boundingBox())!;
    const viewport = page.viewportSize()!;
    expect(box.y).toBeGreaterThanOrEqual(0);
    expect(box.y + box.height).toBeLessThanOrEqual(viewport.height);
    expect(box.x + box.width).toBeLessThanOrEqual(viewport.width);
    expect(box.height).toBeGreaterThan(viewport.height / 2);
    await expectReadable(page, 'section.machine.zoomed');
    // The listening state holds the false-interruption wait and is bigger than the window: its
    // highlighted inner state is what must show.
    await untilStateInView(page, AGENT_STATE('listening.attentive'));

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: new URL('inspector.png', ARTIFACTS).pathname });
    await page.keyboard.press('Escape');
    await page.locator('section.machine.zoomed').waitFor({ state: 'detached' });
    await page.locator('#log-pane').waitFor();

    job.ctx.shutdown('test over');
    expect((await job.result).status).toBe('success');
    await page.locator('section.machine[data-machine="job"][data-status="done"]').waitFor();
    expect(offsite).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('the Stately bridge page, with no internet, says in words what it needs and where the offline page is', { timeout: 15_000 }, async () => {
    inspection ??= await startInspection({ port: 0, stately: true, print: false });
    const { statelyUrl, pageUrl } = inspection;
    expect(statelyUrl).toBeDefined();
    const { page, problems } = await openPage();
    // Chromium here has no internet anyway; blocking it makes that the test's premise, not luck.
    const loopback = (url: URL) => url.hostname === '127.0.0.1';
    await page.route((url) => !loopback(url), (route) => route.abort('internetdisconnected'));
    const unreachable = page.waitForEvent('requestfailed', (request) => request.url().startsWith('https://stately.ai/'));
    await page.goto(statelyUrl!);
    await unreachable;

    const notice = page.locator('#notice[data-state="unreachable"]');
    await notice.waitFor();
    const words = await notice.innerText();
    expect(words).toContain('The Stately Inspector could not be loaded');
    expect(words).toContain('https://stately.ai/inspect');
    expect(words).toContain('it needs the internet');
    expect(words).toContain('works without the internet');
    expect(await page.locator('#offline-page').getAttribute('href')).toBe(pageUrl);
    // The words cover the window: not a blank frame with a line of text above it.
    const covered = (await notice.boundingBox())!;
    expect(covered.height).toBe(page.viewportSize()!.height);
    // The only errors are the refused loads of stately.ai.
    expect(problems.filter((problem) => !problem.includes('ERR_INTERNET_DISCONNECTED'))).toEqual([]);
  });
});
