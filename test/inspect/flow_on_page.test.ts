/**
 * A session's conversation flow on voxstate's inspector page: the flow's machine is none of
 * voxstate's, so the page gets its diagram (drawn from the actor's own machine, the first time an
 * actor of it appears, with its agents and tool transitions), then the flow actor, named by the
 * agent it has in charge, and its state as the LLM moves it with a tool call.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FeedMessage } from '../../src/inspect/feed.js';
import { startInspectorPage, type InspectorPage } from '../../src/inspect/inspector_page.js';
import { addInspector } from '../../src/inspect/registry.js';
import { AgentSession } from '../../src/session/agent_session.js';
import { FakeLLM } from '../../src/testing/index.js';
import { clinicFlow, type Visit } from '../fixtures/flows/clinic_flow.js';
import { RecordingSocket } from '../support/recording_socket.js';

type Feed = RecordingSocket<FeedMessage>;
type MachineMessage = Extract<FeedMessage, { t: 'machine' }>;
type StateMessage = Extract<FeedMessage, { t: 'state' }>;
type EventMessage = Extract<FeedMessage, { t: 'event' }>;
const isState = (m: FeedMessage): m is StateMessage => m.t === 'state';

describe('a flow on the inspector page', () => {
  let page: InspectorPage;
  /** What a test started (feeds, the inspector's registration, sessions): ended after it, also when it fails. */
  const stops: Array<() => unknown> = [];

  beforeEach(async () => {
    page = await startInspectorPage({ port: 0 });
    stops.push(addInspector(page.inspect));
  });
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
    await page.close();
  });

  const openFeed = async (): Promise<Feed> => {
    const feed = await RecordingSocket.open(`ws://127.0.0.1:${page.address.port}/feed`, (frame) => JSON.parse(frame) as FeedMessage[]);
    stops.push(() => feed.close());
    await feed.until((m) => m.t === 'reset');
    return feed;
  };

  /** A session running the clinic flow, whose LLM takes the receptionist's tool on the first turn. */
  const startSession = async () => {
    const llm = new FakeLLM([{ toolCalls: [{ name: 'caller_identified', arguments: { name: 'Ann' } }] }]);
    const session = new AgentSession<Visit>({ llm, userAwayTimeout: null });
    stops.push(() => session.aclose());
    await session.start({ flow: clinicFlow });
    return session;
  };

  it("shows the flow's diagram with its agents and tools, then the flow actor's state as a tool call moves it", async () => {
    const feed = await openFeed();
    const session = await startSession();
    const flowId = session.flow!.actor.sessionId;

    const diagram = await feed.until((m): m is MachineMessage => m.t === 'machine' && m.id === 'clinic');
    expect(diagram.key).toMatch(/^clinic~\d+$/);
    for (const state of ['clinic.reception', 'clinic.visit.talk.booking', 'clinic.visit.records.fetching', 'clinic.goodbye']) {
      expect(diagram.svg).toContain(`data-state-id="${state}"`);
    }
    expect(diagram.svg).toContain('>agent: receptionist</text>');
    expect(diagram.svg).toContain('>tool: caller_identified</text>');
    const registered = await feed.until((m) => m.t === 'actor' && m.id === flowId);
    expect(registered).toMatchObject({ machine: diagram.key, machineId: 'clinic' });
    const greeting = await feed.until((m): m is StateMessage => isState(m) && m.id === flowId);
    expect(greeting).toMatchObject({ value: 'reception', active: ['clinic', 'clinic.reception'], label: 'clinic flow, agent receptionist' });

    await session.run({ userInput: 'Hi, this is Ann.' });
    const moved = await feed.until((m): m is StateMessage => isState(m) && m.id === flowId && m.active.includes('clinic.visit.talk.booking'));
    expect(moved).toMatchObject({ status: 'active', value: { visit: { talk: 'booking', records: 'fetching' } }, label: 'clinic flow, agent booker' });
    expect(moved.active).toEqual(expect.arrayContaining(['clinic.visit', 'clinic.visit.talk', 'clinic.visit.records.fetching']));
    expect(JSON.parse(moved.context)).toEqual({ name: 'Ann' });
    const taken = feed.messages.find((m): m is EventMessage => m.t === 'event' && m.to === flowId && m.type === 'caller_identified');
    expect(JSON.parse(taken!.payload)).toEqual({ name: 'Ann' });
    // Drawn once, however often its actor changes.
    expect(feed.messages.filter((m) => m.t === 'machine' && m.id === 'clinic')).toHaveLength(1);
  });

  it("gives a page that opens later the flow's diagram and where the flow is", async () => {
    const session = await startSession();
    await session.run({ userInput: 'Hi, this is Ann.' });
    expect(session.flow!.actor.getSnapshot().value).toEqual({ visit: { talk: 'booking', records: 'fetching' } });

    const late = await openFeed();
    const first = JSON.parse(late.frames[0]!) as FeedMessage[];
    const diagram = first.find((m): m is MachineMessage => m.t === 'machine' && m.id === 'clinic');
    expect(diagram?.svg).toContain('data-state-id="clinic.visit.talk.booking"');
    const flowId = session.flow!.actor.sessionId;
    // The diagram comes before the actor that needs it.
    expect(first.indexOf(diagram!)).toBeLessThan(first.findIndex((m) => m.t === 'actor' && m.id === flowId));
    expect(first.find((m) => isState(m) && m.id === flowId)).toMatchObject({ value: { visit: { talk: 'booking', records: 'fetching' } }, label: 'clinic flow, agent booker' });
  });
});
