/**
 * The inspector server's side of the replay: `startInspection({ replay })` and
 * `startInspectorPage({ replay })` read the report once, check it with the page's own check, draw
 * its machines and serve it at `/replay`; a bad file is announced and served as its problem. A
 * dropped report's machines are drawn at `POST /replay/diagrams`, for the page itself only.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startInspection } from '../../src/inspect/inspection.js';
import { startInspectorPage, type InspectorPage } from '../../src/inspect/inspector_page.js';
import { InvalidReportError } from '../../src/inspect/invalid_report_error.js';
import { MAX_DIAGRAMS_BODY } from '../../src/inspect/replay_http.js';
import type { SessionReport } from '../../src/report/session_report.js';

const FIXTURE = new URL('../fixtures/reports/clinic_report.json', import.meta.url).pathname;
const text = readFileSync(FIXTURE, 'utf8');
const fixture = JSON.parse(text) as SessionReport;
const dir = mkdtempSync(join(tmpdir(), 'voxstate-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
/** A file in the test's directory with `content`. */
const file = (name: string, content: string) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const stateIdsOf = (svg: string) => [...svg.matchAll(/data-state-id="([^"]+)"/g)].map((match) => match[1]);

type Served = { file: string; problem?: string; report?: SessionReport; diagrams?: Array<{ id: string; svg: string }> };

describe('replay on the inspector server', () => {
  const stops: Array<() => unknown> = [];
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  });
  const page = async (replay?: string): Promise<InspectorPage> => {
    const started = await startInspectorPage({ port: 0, ...(replay === undefined ? {} : { replay }) });
    stops.push(() => started.close());
    return started;
  };
  const post = (at: InspectorPage, body: string, headers: Record<string, string> = { 'Content-Type': 'application/json' }) =>
    fetch(new URL('/replay/diagrams', at.url), { method: 'POST', headers, body });

  it('startInspection({ replay }) announces the report, and the page serves it with its machines drawn', { timeout: 15_000 }, async () => {
    const lines: string[] = [];
    const inspection = await startInspection({ port: 0, replay: FIXTURE, print: (line) => lines.push(line) });
    stops.push(() => inspection.close());
    expect(lines).toEqual([`voxstate inspector: ${inspection.pageUrl}`, 'replaying clinic_report.json on the inspector page (93 transitions, 16 items of history)']);
    expect(inspection.replay).toEqual({ file: 'clinic_report.json', error: undefined });

    const html = await (await fetch(inspection.pageUrl)).text();
    expect(html).toContain('const REPORT_PATH = "/replay";');
    const response = await fetch(new URL('/replay', inspection.pageUrl));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const served = (await response.json()) as Served;
    expect(served.file).toBe('clinic_report.json');
    expect(served.report).toEqual(fixture);
    expect(served.diagrams!.map((diagram) => diagram.id)).toEqual(['job', 'session', 'clinic', 'agent', 'speech']);
    const clinic = served.diagrams!.find((diagram) => diagram.id === 'clinic')!;
    expect(stateIdsOf(clinic.svg)).toContain('clinic.call.conversation.booking.confirming');
    expect(clinic.svg).toContain('tool: booking_confirmed');
  });

  it('a report that cannot be replayed is announced with its problem and served as it, the page still up', async () => {
    const cases: Array<[string, string, string]> = [
      ['not_json.json', 'Hello, I am not a report', 'the file is not JSON: '],
      ['truncated.json', text.slice(0, 5_000), 'the file is not JSON: unexpected end at line '],
      ['v2.json', JSON.stringify({ ...fixture, version: 2 }), 'this report is version 2; this page reads version 1'],
      ['no_timeline.json', JSON.stringify({ ...fixture, timeline: undefined }), 'the report does not have the shape of a version 1 session report: timeline is missing'],
    ];
    for (const [name, content, problem] of cases) {
      const lines: string[] = [];
      const inspection = await startInspection({ port: 0, replay: file(name, content), print: (line) => lines.push(line) });
      stops.push(() => inspection.close());
      expect(lines[1], name).toMatch(new RegExp(`^cannot replay ${name}: ${problem.replace(/[.()]/g, '\\$&')}`));
      expect(inspection.replay?.error).toBeInstanceOf(InvalidReportError);
      const served = (await (await fetch(new URL('/replay', inspection.pageUrl))).json()) as Served;
      expect(served.file).toBe(name);
      expect(served.problem, name).toContain(problem);
      expect(served.report).toBeUndefined();
      expect((await fetch(inspection.pageUrl)).status).toBe(200);
    }
    const missing = await startInspection({ port: 0, replay: join(dir, 'nowhere.json'), print: false });
    stops.push(() => missing.close());
    expect(missing.replay?.error?.problem).toBe(`there is no file at ${join(dir, 'nowhere.json')}`);
    const folder = await startInspection({ port: 0, replay: dir, print: false });
    stops.push(() => folder.close());
    expect(folder.replay?.error?.problem).toBe(`${dir} is not a file`);
  });

  it('a report whose machine cannot be drawn: its problem names the machine', async () => {
    const broken = { ...fixture, machines: { ...fixture.machines, clinic: { id: 'clinic', type: 'compound', states: {} } } };
    const at = await page(file('broken_machine.json', JSON.stringify(broken)));
    expect((await at.replay)?.error?.problem).toBe('machines.clinic cannot be drawn: clinic is compound but has no states');
  });

  it('masks what is shaped like a credential in the report it serves', async () => {
    const leaky = { ...fixture, options: { ...fixture.options, note: 'key sk-replay-0123456789abcdef' } };
    const at = await page(file('leaky.json', JSON.stringify(leaky)));
    const body = await (await fetch(new URL('/replay', at.url))).text();
    expect(body).not.toContain('sk-replay-0123456789abcdef');
    expect(body).toContain('sk-[redacted]');
  });

  it('without a report, /replay is 404 and the page does not ask for one; the CSP lets the page reach its own server', async () => {
    const at = await page();
    expect(at.replay).toBeUndefined();
    const response = await fetch(at.url);
    expect(await response.text()).toContain('const REPORT_PATH = null;');
    expect(response.headers.get('content-security-policy')).toContain(`connect-src 'self' ws://127.0.0.1:${at.address.port}`);
    expect((await fetch(new URL('/replay', at.url))).status).toBe(404);
    expect((await fetch(new URL('/replay', at.url), { method: 'POST' })).status).toBe(405);
  });

  it('POST /replay/diagrams draws the machines of a dropped report', { timeout: 15_000 }, async () => {
    const at = await page();
    const response = await post(at, JSON.stringify({ machines: fixture.machines }));
    expect(response.status).toBe(200);
    const { diagrams } = (await response.json()) as { diagrams: Array<{ id: string; svg: string }> };
    expect(diagrams.map((diagram) => diagram.id)).toEqual(Object.keys(fixture.machines));
    expect(stateIdsOf(diagrams.find((diagram) => diagram.id === 'speech')!.svg)).toContain('speech.interrupted');
  });

  it('POST /replay/diagrams answers only the page, with JSON, bounded, and says what is wrong with a bad request', async () => {
    const at = await page();
    const problem = async (response: Response) => ((await response.json()) as { problem: string }).problem;
    const json = { 'Content-Type': 'application/json' };

    const elsewhere = await post(at, '{"machines":{}}', { ...json, Origin: 'http://evil.example' });
    expect(elsewhere.status).toBe(403);
    expect(await problem(elsewhere)).toBe('only the inspector page may ask for diagrams');
    const asForm = await post(at, 'machines=1', { 'Content-Type': 'text/plain' });
    expect(asForm.status).toBe(415);
    expect((await fetch(new URL('/replay/diagrams', at.url))).status).toBe(405);

    const notJson = await post(at, '{"machines":');
    expect(notJson.status).toBe(400);
    expect(await problem(notJson)).toMatch(/^the request is not JSON: /);
    const noMachines = await post(at, '{"diagrams":[]}');
    expect(noMachines.status).toBe(400);
    expect(await problem(noMachines)).toBe('the request has no "machines" object');
    const badMachine = await post(at, JSON.stringify({ machines: { toggle: { id: 'toggle', type: 'compound', states: {} } } }));
    expect(badMachine.status).toBe(422);
    expect(await problem(badMachine)).toBe('machines.toggle cannot be drawn: toggle is compound but has no states');

    // Too big: refused as soon as it is, by its announced length or as it arrives.
    const big = JSON.stringify({ machines: { pad: 'x'.repeat(MAX_DIAGRAMS_BODY) } });
    const tooBig = await post(at, big);
    expect(tooBig.status).toBe(413);
    expect(await problem(tooBig)).toBe('the machines are more than 16 MB of JSON');
    const streamed = await new Promise<number>((resolve, reject) => {
      const req = request(new URL('/replay/diagrams', at.url), { method: 'POST', headers: { ...json, 'Transfer-Encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      const chunk = 'x'.repeat(1024 * 1024);
      const write = (left: number): void => {
        if (left === 0) return void req.end();
        if (req.write(chunk)) write(left - 1);
        else req.once('drain', () => write(left - 1));
      };
      write(20);
    });
    expect(streamed).toBe(413);
    // The server is still there.
    expect((await post(at, '{"machines":{}}')).status).toBe(200);
  });
});
