/**
 * The inspector page's replay in a real browser (Debian's headless Chromium, 1,400 px wide): the
 * clinic fixture (a finished call: a flow, four agents, seven speeches, a tool call per handoff, an
 * interruption) played back on the diagrams, with the event log and the transcript in step.
 *
 * Two ways in: `console --replay report.json` of the clinic example, run as a child process
 * through tsx as a developer runs it (so the page's embedded check runs as tsx compiles it); and a
 * file dropped on the page (or chosen with "open report…") of an inspector started with a report
 * that is not one. Bad files (not JSON, truncated, version 2, a field missing) must each say what
 * is wrong and leave the page usable. A screenshot is kept in test-artifacts/replay.png.
 *
 * Every wait is for a condition of the page or the program: no sleeps.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { startInspection, type Inspection } from '../../src/inspect/inspection.js';
import type { SessionReport, TimelineEntry } from '../../src/report/session_report.js';
import { offlineEnv } from '../support/offline.js';
import { startProgram } from '../support/program.js';
import { useChromium } from '../support/chromium.js';

const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url);

const FIXTURE = new URL('../fixtures/reports/clinic_report.json', import.meta.url).pathname;
const text = readFileSync(FIXTURE, 'utf8');
const report = JSON.parse(text) as SessionReport;
const start = report.timeline[0]!.at;

/** The index of the timeline entry of `actor` caused by `event` (the first one). */
const entryOf = (actor: string, event: string) => report.timeline.findIndex((entry) => entry.actor === actor && entry.event === event);
/** What the page must show at entry `index`: rows of the log, items of the transcript. */
const expectedAt = (index: number) => {
  const at = report.timeline[index]!.at;
  return {
    rows: index + 1 + report.events.filter((event) => event.at <= at).length,
    transcript: report.history.filter((item) => item.createdAt <= at),
  };
};

const REPLAY = (machine: string) => `section.machine[data-machine="replay:${machine}"]`;
/** The highlighted state `id` in the diagram of `machine`. */
const ACTIVE = (machine: string, id: string) => `${REPLAY(machine)} g.state.active[data-state-id="${id}"]`;
const ENTRY = (index: number) => `#replay-bar[data-entry="${index}"]`;

/** The little of the browser's globals the page functions use (the tests compile without the DOM library). */
interface PageGlobals {
  DataTransfer: new () => { items: { add(file: unknown): void } };
  File: new (parts: string[], name: string, options: { type: string }) => unknown;
}

/** Drops a file named `name` holding `content` on the page, as a person drags one from their files. */
async function dropFile(page: Page, name: string, content: string): Promise<void> {
  const dataTransfer = await page.evaluateHandle(
    ({ name, content }) => {
      const { DataTransfer, File } = globalThis as unknown as PageGlobals;
      const transfer = new DataTransfer();
      transfer.items.add(new File([content], name, { type: 'application/json' }));
      return transfer;
    },
    { name, content },
  );
  await page.dispatchEvent('#machines', 'dragover', { dataTransfer });
  await page.locator('#drop-zone').waitFor();
  await page.dispatchEvent('#drop-zone', 'drop', { dataTransfer });
  await dataTransfer.dispose();
}

/** Resolves once the page says `file` cannot be replayed, and why. */
async function untilProblem(page: Page, file: string, problem: string | RegExp): Promise<void> {
  await page.locator('#replay-problem.open #replay-problem-file', { hasText: file }).waitFor();
  await page.locator('#replay-problem.open #replay-problem-text', { hasText: problem }).waitFor();
}

/** The text of the transcript's items, as a person reads them. */
const transcriptTexts = (page: Page) => page.locator('#transcript li .text').allInnerTexts();

describe('replay on the inspector page in Chromium', () => {
  const { openPage } = useChromium();
  /** What a test started (the program, the inspector): ended after the tests, also when one fails. */
  const stops: Array<() => unknown> = [];
  afterAll(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  });

  it('console --replay: the diagrams, the event log and the transcript follow the slider, the arrow keys and play', { timeout: 40_000 }, async () => {
    const sessions = mkdtempSync(join(tmpdir(), 'clinic-replay-'));
    stops.push(() => rmSync(sessions, { recursive: true, force: true }));
    const program = startProgram(process.execPath, ['--import', 'tsx', 'examples/clinic_flow.ts', 'console', '--replay', FIXTURE, '--inspect-port', '0'], {
      cwd: new URL('../..', import.meta.url),
      env: offlineEnv({ LOG_LEVEL: 'warn', FORCE_COLOR: '0', CLINIC_SESSIONS_DIR: sessions }),
    });
    await program.until(/voxstate inspector: http:\S+\n/);
    await program.until('replaying clinic_report.json on the inspector page');
    const url = /voxstate inspector: (http:\S+)/.exec(program.out())![1]!;

    const { page, problems } = await openPage();
    const offsite: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(url)) offsite.push(request.url());
    });
    await page.goto(url);
    await page.locator('body.replaying').waitFor();
    await page.locator(ENTRY(0)).waitFor();
    expect(await page.locator('#replay-file').textContent()).toBe('clinic_report.json');
    // The report's machines, in the order their actors appear; the live page's wait.
    expect(await page.locator('section.machine:visible > header h2').allTextContents()).toEqual(['job', 'session', 'clinic', 'agent', 'speech']);
    // At the first entry: the job has just started, nothing else has, nobody has spoken.
    await page.locator(ACTIVE('job', 'job.pending')).waitFor();
    expect(await page.locator('li.actor').count()).toBe(1);
    expect(await page.locator('#transcript li').count()).toBe(0);
    expect(await page.locator('#transcript-count').textContent()).toBe('0 of 16');

    // The slider to 100 ms after the caller began talking over the read-back.
    const over = entryOf('session', 'user.speakingOver');
    await page.locator('#replay-slider').fill(String(report.timeline[over]!.at - start + 100));
    await page.locator(ENTRY(over)).waitFor();
    // Each actor's state at that time, on its diagram and in the list.
    await page.locator(ACTIVE('session', 'session.open.agent.listening.holding.speech')).waitFor();
    await page.locator(ACTIVE('session', 'session.open.user.speaking')).waitFor();
    await page.locator(ACTIVE('clinic', 'clinic.call.conversation.booking.confirming')).waitFor();
    await page.locator(ACTIVE('clinic', 'clinic.call.screening.person')).waitFor();
    await page.locator(ACTIVE('speech', 'speech.playing.speaking')).waitFor();
    expect(await page.locator(`${REPLAY('speech')} .following`).textContent()).toBe('speech speech_5 — playing.speaking');
    expect(await page.locator(`${REPLAY('agent')} .following`).textContent()).toBe('agent confirmer — active');
    expect(await page.locator('li.actor[data-actor-id="agent scheduler"]').getAttribute('data-status')).toBe('done');
    expect(await page.locator('li.actor[data-actor-id="speech speech_6"]').count()).toBe(0);
    // The event log up to that time, its last transition marked; nothing from later.
    const { rows, transcript } = expectedAt(over);
    expect(await page.locator('#log tbody tr').count()).toBe(rows);
    await page.locator('#log tbody tr.current[data-type="user.speakingOver"] td.payload', { hasText: '→ open (lifecycle: running, agent: listening.holding.speech, user: speaking)' }).waitFor();
    expect(await page.locator('#log tbody tr[data-type="interrupt"]').count()).toBe(0);
    expect(await page.locator('#log tbody tr[data-type="function_tool_completed"]').count()).toBe(2);
    // The transcript up to that time: the read-back, cut where the caller spoke.
    expect(await page.locator('#transcript-count').textContent()).toBe(`${transcript.length} of 16`);
    const said = await transcriptTexts(page);
    expect(said[0]).toBe('Riverside Clinic, good morning. May I have your full name and date of birth?');
    expect(said).toContain('slot_chosen {"slot":"Tuesday 10:00"}');
    expect(said).toContain('handoff: scheduler → confirmer');
    expect(said.at(-1)).toBe('So that is Tuesday 10:00, for Ann');
    await page.locator('#transcript li:last-child[data-role="assistant"] .note', { hasText: 'interrupted' }).waitFor();
    expect(said).not.toContain("Yes, that's right.");

    mkdirSync(ARTIFACTS, { recursive: true });
    // The flow's card at the top: the user's own statechart, who talks and which tools moved it.
    await page.locator(REPLAY('clinic')).evaluate((section) => (section as unknown as { scrollIntoView(): void }).scrollIntoView());
    await page.screenshot({ path: new URL('replay.png', ARTIFACTS).pathname });

    // The arrow keys step entry by entry, also with the slider focused: the speech is interrupted, and back.
    await page.locator('#replay-slider').focus();
    await page.keyboard.press('ArrowRight');
    await page.locator(ENTRY(over + 1)).waitFor();
    expect(report.timeline[over + 1]).toMatchObject<Partial<TimelineEntry>>({ actor: 'speech speech_5', event: 'interrupt', state: 'interrupted' });
    await page.locator(ACTIVE('speech', 'speech.interrupted')).waitFor();
    await page.locator('li.actor[data-actor-id="speech speech_5"][data-status="done"]').waitFor();
    expect(await page.locator('#log tbody tr').count()).toBe(expectedAt(over + 1).rows);
    await page.keyboard.press('ArrowLeft');
    await page.locator(ENTRY(over)).waitFor();
    await page.locator(ACTIVE('speech', 'speech.playing.speaking')).waitFor();
    expect(await page.locator('#log tbody tr').count()).toBe(rows);

    // Play from three entries before the end: it steps to the last entry by itself, and stops there.
    const last = report.timeline.length - 1;
    await page.keyboard.press('End');
    await page.locator(ENTRY(last)).waitFor();
    await page.locator(ACTIVE('job', 'job.done')).waitFor();
    await page.locator(ACTIVE('session', 'session.closed')).waitFor();
    await page.locator(ACTIVE('clinic', 'clinic.goodbye')).waitFor();
    expect(await page.locator('#transcript-count').textContent()).toBe('16 of 16');
    for (let back = 0; back < 3; back += 1) await page.keyboard.press('ArrowLeft');
    await page.locator(ENTRY(last - 3)).waitFor();
    await page.locator('#replay-play').click();
    await page.locator('#replay-play[aria-pressed="true"]', { hasText: 'pause' }).waitFor();
    await page.locator(ENTRY(last - 2)).waitFor();
    await page.locator(ENTRY(last)).waitFor();
    await page.locator('#replay-play[aria-pressed="false"]', { hasText: 'play' }).waitFor();

    // Back to the live view: the program runs no actor, and the live page is as it was.
    await page.locator('#replay-live').click();
    await page.locator('body:not(.replaying)').waitFor();
    await page.locator('#connection[data-connection="live"]').waitFor();
    expect(await page.locator('section.machine[data-machine^="replay:"]').count()).toBe(0);
    expect(await page.locator('section.machine[data-machine="session"]').isVisible()).toBe(true);
    await page.locator('#actors .empty').waitFor();

    expect(offsite).toEqual([]);
    expect(problems).toEqual([]);
    program.child.stdin.end();
    expect(await program.exited).toBe(0);
  });

  it('a report dropped or chosen: one that is not JSON, truncated, of version 2 or incomplete says what is wrong and leaves the page usable; the clinic report replays', { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'voxstate-replay-'));
    stops.push(() => rmSync(dir, { recursive: true, force: true }));
    const v2 = join(dir, 'v2.json');
    writeFileSync(v2, JSON.stringify({ ...report, version: 2 }));
    const printed: string[] = [];
    const inspection: Inspection = await startInspection({ port: 0, replay: v2, print: (line) => printed.push(line) });
    stops.push(() => inspection.close());
    expect(printed).toContain('cannot replay v2.json: this report is version 2; this page reads version 1');

    const { page, problems } = await openPage();
    await page.goto(inspection.pageUrl);
    // Opened with a report of another version: it says so, and the live page is there.
    await untilProblem(page, 'v2.json', 'this report is version 2; this page reads version 1');
    await page.locator('#connection[data-connection="live"]').waitFor();
    expect(await page.locator('body.replaying').count()).toBe(0);

    await dropFile(page, 'notes.txt', 'Call Ann back on Tuesday.');
    await untilProblem(page, 'notes.txt', /^the file is not JSON: Unexpected token 'C'/);
    expect(await page.locator('#drop-zone').isVisible()).toBe(false);
    const cut = text.slice(0, 40_000);
    const lines = cut.split('\n');
    await dropFile(page, 'clinic_report.json', cut);
    await untilProblem(page, 'clinic_report.json', `the file is not JSON: unexpected end at line ${lines.length}, column ${lines.at(-1)!.length + 1}: it stops in the middle (was it cut short?)`);
    await dropFile(page, 'v2_dropped.json', JSON.stringify({ ...report, version: 2 }));
    await untilProblem(page, 'v2_dropped.json', 'this report is version 2; this page reads version 1');
    expect(await page.locator('body.replaying').count()).toBe(0);

    // Chosen with "open report…": it replays.
    await page.locator('#report-file').setInputFiles({ name: 'clinic_report.json', mimeType: 'application/json', buffer: Buffer.from(text) });
    await page.locator('body.replaying').waitFor();
    await page.locator(ENTRY(0)).waitFor();
    expect(await page.locator('#replay-problem').isVisible()).toBe(false);
    const handoff = entryOf('flow clinic', 'caller_identified');
    await page.locator('#replay-slider').fill(String(report.timeline[handoff]!.at - start));
    await page.locator(ACTIVE('clinic', 'clinic.call.conversation.booking.choosing')).waitFor();
    // The last entry of that millisecond: the new agent is active, the tool's speech settled.
    const index = report.timeline.findLastIndex((entry) => entry.at === report.timeline[handoff]!.at);
    await page.locator(ENTRY(index)).waitFor();

    // A bad file while a report plays: said, and the report stays.
    const incomplete = JSON.stringify({ ...report, events: undefined });
    await dropFile(page, 'incomplete.json', incomplete);
    await untilProblem(page, 'incomplete.json', 'the report does not have the shape of a version 1 session report: events is missing');
    expect(await page.locator('#replay-file').textContent()).toBe('clinic_report.json');
    await page.locator(ACTIVE('clinic', 'clinic.call.conversation.booking.choosing')).waitFor();
    await page.locator('#replay-problem-close').click();
    expect(await page.locator('#replay-problem').isVisible()).toBe(false);

    // Dropped: the report starts again from its first entry.
    await dropFile(page, 'clinic_report.json', text);
    await page.locator(ENTRY(0)).waitFor();
    await page.locator(ACTIVE('job', 'job.pending')).waitFor();
    await page.keyboard.press('End');
    await page.locator(ACTIVE('speech', 'speech.done')).waitFor();
    expect(await page.locator(`${REPLAY('speech')} .following`).textContent()).toBe('speech speech_7 — done (done)');
    expect(problems).toEqual([]);
  });
});
