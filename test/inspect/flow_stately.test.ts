/**
 * A session's conversation flow in the Stately Inspector: the flow actor is registered (named by
 * the agent it has in charge, its definition with the agents and tool descriptions its meta
 * holds) and its live state follows a tool call of the LLM.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addInspector } from '../../src/inspect/registry.js';
import { startStatelyInspector, type StatelyInspector } from '../../src/inspect/stately.js';
import { AgentSession } from '../../src/session/agent_session.js';
import { FakeLLM } from '../../src/testing/index.js';
import { clinicFlow, type Visit } from '../fixtures/flows/clinic_flow.js';
import { RecordingSocket } from '../support/recording_socket.js';

interface Message {
  type: string;
  sessionId: string;
  name?: string;
  snapshot?: { status?: string; value?: unknown; context?: Record<string, unknown> };
  event?: { type: string; name?: string };
  definition?: string;
}
type Page = RecordingSocket<Message>;

describe('a flow in the Stately Inspector', () => {
  let inspector: StatelyInspector;
  /** What a test started (the bridge page, the registration, the session): ended after it, also when it fails. */
  const stops: Array<() => unknown> = [];

  beforeEach(async () => {
    inspector = await startStatelyInspector({ port: 0 });
  });
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
    await inspector.close();
  });

  it('registers the flow actor with its definition, and relays its state as the LLM takes a tool', async () => {
    const page: Page = await RecordingSocket.open(`ws://127.0.0.1:${inspector.address.port}/page`, (frame) => [JSON.parse(frame) as Message]);
    stops.push(() => page.close());
    stops.push(addInspector(inspector.inspect));
    const llm = new FakeLLM([{ toolCalls: [{ name: 'caller_identified', arguments: { name: 'Ann' } }] }]);
    const session = new AgentSession<Visit>({ llm, userAwayTimeout: null });
    stops.push(() => session.aclose());
    await session.start({ flow: clinicFlow });
    const flowId = session.flow!.actor.sessionId;

    const registered = await page.until((m) => m.type === '@xstate.actor' && m.sessionId === flowId);
    // By its role, never XState's session id.
    expect(registered.name).toBe('clinic flow, agent receptionist');
    const definition = JSON.parse(registered.definition ?? '{}');
    expect(definition).toMatchObject({ id: 'clinic', initial: 'reception' });
    expect(definition.states.reception.meta).toEqual({ agent: 'receptionist' });
    expect(definition.states.reception.on.caller_identified).toMatchObject({ target: 'visit', meta: { description: 'The caller said their name' } });
    expect(definition.states.visit).toMatchObject({ type: 'parallel', states: { talk: { meta: { agent: 'booker' } } } });
    await page.until((m) => m.type === '@xstate.snapshot' && m.sessionId === flowId && m.snapshot?.value === 'reception');

    await session.run({ userInput: 'Hi, this is Ann.' });
    const moved = await page.until(
      (m) => m.type === '@xstate.snapshot' && m.sessionId === flowId && (m.snapshot?.value as { visit?: unknown } | undefined)?.visit !== undefined,
    );
    expect(moved.snapshot).toMatchObject({ status: 'active', value: { visit: { talk: 'booking', records: 'fetching' } }, context: { name: 'Ann' } });
    expect(moved.event).toEqual({ type: 'caller_identified', name: 'Ann' });
  });
});
