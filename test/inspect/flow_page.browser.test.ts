/**
 * A session's conversation flow on the inspector page in a real browser (Debian's headless
 * Chromium): the page, which knows only voxstate's machines when it loads, gets the flow's diagram
 * when the flow's actor appears, lists the actor by the agent it has in charge, and highlights the
 * flow's states as the LLM moves it with a tool call. A screenshot is kept in
 * test-artifacts/inspector_flow.png.
 */
import { mkdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startInspection, type Inspection } from '../../src/inspect/inspection.js';
import { AgentSession } from '../../src/session/agent_session.js';
import { FakeLLM } from '../../src/testing/index.js';
import { clinicFlow, type Visit } from '../fixtures/flows/clinic_flow.js';
import { useChromium } from '../support/chromium.js';

const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url);

/** The flow's diagram on the page: its key is made when its first actor appears (`clinic~<n>`). */
const FLOW = 'section.machine[data-machine^="clinic~"]';
const FLOW_ACTOR = 'li.actor[data-machine^="clinic~"]';

describe('a flow on the inspector page in Chromium', () => {
  const { openPage } = useChromium();
  /** What the test started: ended after it, also when it fails. */
  const stops: Array<() => unknown> = [];
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  });

  it("draws the flow when its actor appears and highlights where the flow is as a tool call moves it", { timeout: 20_000 }, async () => {
    const inspection: Inspection = await startInspection({ port: 0, print: false });
    stops.push(() => inspection.close());
    const { page, problems } = await openPage();
    await page.goto(inspection.pageUrl);
    await page.locator('#connection[data-connection="live"]').waitFor();
    // Before the session, the page has no diagram of the flow.
    expect(await page.locator(FLOW).count()).toBe(0);

    const llm = new FakeLLM([{ toolCalls: [{ name: 'caller_identified', arguments: { name: 'Ann' } }] }]);
    const session = new AgentSession<Visit>({ llm, userAwayTimeout: null });
    stops.push(() => session.aclose());
    await session.start({ flow: clinicFlow });

    await page.locator(`${FLOW} g.state.active[data-state-id="clinic.reception"]`).waitFor();
    expect(await page.locator(`${FLOW} > header h2`).textContent()).toBe('clinic');
    await page.locator(`${FLOW_ACTOR}[data-status="active"] .label`, { hasText: 'clinic flow, agent receptionist' }).waitFor();
    // The drawing says who talks where and which transitions are the LLM's.
    await page.locator(`${FLOW} svg text`, { hasText: 'agent: booker' }).waitFor();
    await page.locator(`${FLOW} svg text`, { hasText: 'tool: caller_identified' }).waitFor();

    await session.run({ userInput: 'Hi, this is Ann.' });
    await page.locator(`${FLOW} g.state.active[data-state-id="clinic.visit.talk.booking"]`).waitFor();
    await page.locator(`${FLOW} g.state.active[data-state-id="clinic.visit.records.fetching"]`).waitFor();
    expect(await page.locator(`${FLOW} g.state.active[data-state-id="clinic.reception"]`).count()).toBe(0);
    await page.locator(`${FLOW_ACTOR}[data-status="active"] .label`, { hasText: 'clinic flow, agent booker' }).waitFor();
    await page.locator(`${FLOW} .following`, { hasText: 'clinic flow, agent booker' }).waitFor();

    // Zoomed, for the screenshot: the flow's diagram alone beside the actors.
    await page.locator(`${FLOW} .zoom`).click();
    await page.locator(`${FLOW}.zoomed`).waitFor();
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: new URL('inspector_flow.png', ARTIFACTS).pathname });
    expect(problems).toEqual([]);
  });
});
