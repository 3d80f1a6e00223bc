import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createActor, setup } from 'xstate';
import { sessionMachine } from '../../machines/index.js';
import { Agent, AgentSession } from '../../src/index.js';
import { addInspector } from '../../src/inspect/registry.js';
import { startStatelyInspector, type StatelyInspector } from '../../src/inspect/stately.js';
import { ScriptedOutput } from '../support/scripted_output.js';
import { RecordingSocket } from '../support/recording_socket.js';
import { sessionMachineInput } from '../support/session_machine_input.js';

interface Message {
  type: string;
  sessionId: string;
  name?: string;
  snapshot?: { status?: string; value?: unknown; context?: Record<string, unknown> };
  event?: { type: string };
  definition?: string;
}

/** The bridge page: one message per frame. */
type Page = RecordingSocket<Message>;
const openPage = (url: string, origin?: string): Promise<Page> => RecordingSocket.open(url, (frame) => [JSON.parse(frame) as Message], origin);

const pageUrl = (inspector: StatelyInspector) => `ws://127.0.0.1:${inspector.address.port}/page`;

describe('Stately Inspector relay', () => {
  let inspector: StatelyInspector;
  const pages: Page[] = [];
  /** What a test started beyond the relay (sessions, inspectors): ended after it, also when it fails. */
  const stops: Array<() => unknown> = [];

  beforeEach(async () => {
    inspector = await startStatelyInspector({ port: 0 });
  });
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
    for (const page of pages.splice(0)) page.close();
    await inspector.close();
  });

  it('listens on 127.0.0.1 only and serves the bridge page', async () => {
    expect(inspector.address.address).toBe('127.0.0.1');
    expect(inspector.address.port).toBeGreaterThan(0);
    expect(new URL(inspector.url).hostname).toBe('127.0.0.1');

    const response = await fetch(inspector.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).toContain('<iframe id="inspector" title="Stately Inspector" src="https://stately.ai/inspect">');
    expect(html).toContain('@statelyai.connected');
    expect(html).toContain('postMessage');
    expect(html).toContain('"/page"');
    // Until the inspector has connected, the page says what it needs (the browser test blocks the internet).
    expect(html).toContain('<div id="notice" role="status" data-state="loading">');
    expect(html).toContain('it needs the internet');

    expect((await fetch(new URL('/elsewhere', inspector.url))).status).toBe(404);
  });

  it('relays actor, event and snapshot messages of a session, with every secret redacted', { timeout: 10_000 }, async () => {
    const page = await openPage(pageUrl(inspector));
    pages.push(page);

    // A secret in the input (hence the context), in an event (under a secret name, and inside a
    // text), and in a close error (hence the releaseResources actor's input and the session's output).
    const input = sessionMachineInput({ apiKey: 'sk-secret-input' });
    const session = createActor(sessionMachine, { input, inspect: inspector.inspect });
    session.subscribe({ error: () => {} });
    session.start();
    session.send({ type: 'start' });
    session.send({ type: 'error.reported', error: { message: 'upstream refused key sk-secret-in-text', token: 'sk-secret-event' } });
    session.send({ type: 'close', reason: 'error', drain: false, error: { apiKey: 'sk-secret-close', code: 401 } });

    const done = await page.until(
      (m) => m.type === '@xstate.snapshot' && m.sessionId === session.sessionId && m.snapshot?.value === 'closed',
    );

    const types = new Set(page.messages.map((m) => m.type));
    expect(types).toEqual(new Set(['@xstate.actor', '@xstate.event', '@xstate.snapshot']));
    const registered = page.messages.find((m) => m.type === '@xstate.actor' && m.sessionId === session.sessionId);
    expect(JSON.parse(registered?.definition ?? '{}')).toMatchObject({ id: 'session' });
    expect(page.messages.some((m) => m.type === '@xstate.event' && m.event?.type === 'error.reported')).toBe(true);
    // The redacted fields are still there, so the inspector shows that they exist.
    expect(done.snapshot?.context).toMatchObject({ apiKey: '[redacted]', closeError: { apiKey: '[redacted]', code: 401 } });

    expect(page.frames.join('\n')).not.toContain('sk-secret');
  });

  it("names voxstate's actors by their role where the inspector would show the machine id", { timeout: 10_000 }, async () => {
    const page = await openPage(pageUrl(inspector));
    pages.push(page);
    stops.push(addInspector(inspector.inspect));
    const session = new AgentSession({ userAwayTimeout: null });
    stops.push(() => session.close());
    class Concierge extends Agent {}
    session.output = new ScriptedOutput();
    await session.start({ agent: new Concierge({ instructions: 'Greet.' }) });
    const speech = session.say('Welcome.');
    await page.until((m) => m.type === '@xstate.actor' && m.name === `speech ${speech.id} (say)`);
    // Voxstate's actors by role; their helpers by invoke id. Never XState's session id (x:3).
    const names = page.messages.filter((m) => m.type === '@xstate.actor').map((m) => m.name);
    expect(new Set(names)).toEqual(new Set(['session of Concierge', 'startSession', 'agent Concierge', 'onEnter', `speech ${speech.id} (say)`]));
  });

  it('replays earlier messages to a page that opens late', { timeout: 10_000 }, async () => {
    const machine = setup({}).createMachine({ id: 'toggle', initial: 'off', states: { off: { on: { flip: 'on' } }, on: {} } });
    const first = await openPage(pageUrl(inspector));
    pages.push(first);
    const actor = createActor(machine, { inspect: inspector.inspect }).start();
    actor.send({ type: 'flip' });
    await first.until((m) => m.type === '@xstate.snapshot' && (m.snapshot?.value as unknown) === 'on');

    const late = await openPage(pageUrl(inspector));
    pages.push(late);
    await late.until((m) => m.type === '@xstate.snapshot' && (m.snapshot?.value as unknown) === 'on');
    expect(late.frames).toEqual(first.frames);
  });

  it('keeps secrets written into a machine definition out of it', { timeout: 10_000 }, async () => {
    const machine = setup({}).createMachine({
      id: 'configured',
      context: { apiKey: 'sk-secret-literal', model: 'small' },
      initial: 'awaitingToken',
      states: { awaitingToken: { on: { 'token.received': 'ready' } }, ready: {} },
    });
    const page = await openPage(pageUrl(inspector));
    pages.push(page);
    const actor = createActor(machine, { inspect: inspector.inspect }).start();
    const registered = await page.until((m) => m.type === '@xstate.actor' && m.sessionId === actor.sessionId);
    const definition = JSON.parse(registered.definition ?? '{}');
    // Names that merely look like secrets stay, or the chart would break.
    expect(definition.states.awaitingToken.on['token.received']).toBeDefined();
    expect(definition.context).toEqual({ apiKey: '[redacted]', model: 'small' });
    expect(page.frames.join('\n')).not.toContain('sk-secret');
  });

  it('refuses WebSocket connections from another site', async () => {
    const refused = openPage(pageUrl(inspector), 'https://evil.example');
    await expect(refused).rejects.toThrow(/403/);
    const ownPage = await openPage(pageUrl(inspector), `http://localhost:${inspector.address.port}`);
    pages.push(ownPage);
  });
});

describe('a page that opens late', () => {
  it('still receives the registration of every actor, even when it fell out of the replay', { timeout: 10_000 }, async () => {
    const inspector = await startStatelyInspector({ port: 0 });
    const pages: Page[] = [];
    try {
      const machine = setup({}).createMachine({ id: 'toggle', initial: 'off', states: { off: { on: { flip: 'on' } }, on: { on: { flip: 'off' } } } });
      const first = await openPage(pageUrl(inspector));
      pages.push(first);
      const actor = createActor(machine, { inspect: inspector.inspect }).start();
      // Far more messages than the replay keeps (three per event).
      for (let i = 0; i < 150; i++) actor.send({ type: 'flip' });
      await first.until((m) => m.type === '@xstate.snapshot' && m.event?.type === 'flip' && first.frames.length >= 1 + 150 * 2);
      const late = await openPage(pageUrl(inspector));
      pages.push(late);
      await late.until((m) => m.type === '@xstate.actor');
      expect(late.messages[0]!.type).toBe('@xstate.actor');
      expect(late.messages.filter((m) => m.type === '@xstate.actor')).toHaveLength(1);
    } finally {
      for (const page of pages) page.close();
      await inspector.close();
    }
  });
});
