/** voxstate's own inspector page: the server, the page it serves, and its live feed. */
import { connect, createServer } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createActor, setup } from 'xstate';
import { sessionMachine } from '../../machines/index.js';
import type { FeedMessage } from '../../src/inspect/feed.js';
import { Agent, AgentServer, AgentSession, LocalRoom } from '../../src/index.js';
import { startInspectorPage, type InspectorPage } from '../../src/inspect/inspector_page.js';
import { addInspector } from '../../src/inspect/registry.js';
import { exportedMachines } from '../../src/viz/index.js';
import { RecordingSocket } from '../support/recording_socket.js';
import { ScriptedOutput } from '../support/scripted_output.js';
import { SupervisedProcess } from '../../src/ipc/supervised_process.js';
import { SUPERVISION, fakeChannel } from '../ipc/executor_harness.js';
import { World, closeWorlds } from '../worker/harness.js';
import { sessionMachineInput } from '../support/session_machine_input.js';

/** The feed as the page reads it: every frame is an array of messages. */
type Feed = RecordingSocket<FeedMessage>;
const openFeed = (page: InspectorPage, options: { origin?: string; path?: string } = {}): Promise<Feed> =>
  RecordingSocket.open(`ws://127.0.0.1:${page.address.port}${options.path ?? '/feed'}`, (frame) => JSON.parse(frame) as FeedMessage[], options.origin);

type StateMessage = Extract<FeedMessage, { t: 'state' }>;
type EventMessage = Extract<FeedMessage, { t: 'event' }>;
const isState = (m: FeedMessage): m is StateMessage => m.t === 'state';
const isEvent = (m: FeedMessage): m is EventMessage => m.t === 'event';

const toggleMachine = setup({}).createMachine({
  id: 'toggle',
  initial: 'off',
  states: { off: { on: { flip: 'on' } }, on: { on: { flip: 'off' } } },
});

describe('inspector page server', () => {
  let page: InspectorPage;
  const feeds: Feed[] = [];
  /** What a test started beyond the page (jobs, sessions, inspectors): ended after it, also when it fails. */
  const stops: Array<() => unknown> = [];

  beforeEach(async () => {
    page = await startInspectorPage({ port: 0 });
  });
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
    for (const feed of feeds.splice(0)) feed.close();
    await page.close();
  });

  const open = async (options?: { origin?: string }) => {
    const feed = await openFeed(page, options);
    feeds.push(feed);
    return feed;
  };

  it('listens on 127.0.0.1 only and serves one self-contained page with every machine drawn', { timeout: 15_000 }, async () => {
    expect(page.address.address).toBe('127.0.0.1');
    expect(page.address.port).toBeGreaterThan(0);
    expect(new URL(page.url).hostname).toBe('127.0.0.1');

    const response = await fetch(page.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/https?:\/\//);
    const html = await response.text();
    // Nothing from elsewhere: no script, style, font, image or frame source but the page itself.
    expect(html).not.toMatch(/\b(src|href)="https?:/);
    expect(html).not.toMatch(/@import|url\((?!#)|<iframe|<link rel="stylesheet"/);
    expect(html.replaceAll('http://www.w3.org/2000/svg', '')).not.toMatch(/https?:\/\//);
    // Every machine of machines/index.ts, its states identifiable by their xstate id.
    for (const { name, machine } of exportedMachines()) {
      expect(html).toContain(`<section class="machine" data-machine="${name}"`);
      expect(html).toContain(`data-state-id="${machine.root.id}"`);
    }
    for (const state of ['thinking', 'speaking']) {
      expect(html).toContain(`<g class="state" data-state-id="session.open.agent.${state}" data-state-kind="atomic">`);
    }
    expect(html).toContain('data-state-id="session.open.agent.listening.holding"');
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(html).toContain(`<script nonce="${nonce}">`);
  });

  it('answers 404 to unknown paths, 405 to other methods, 403 to a host name that is not loopback', async () => {
    expect((await fetch(new URL('/elsewhere', page.url))).status).toBe(404);
    expect((await fetch(new URL('/favicon.ico', page.url))).status).toBe(404);
    expect((await fetch(page.url, { method: 'POST', body: 'x' })).status).toBe(405);
    const rebound = await new Promise<string>((resolve, reject) => {
      // fetch cannot set Host; a raw request can, as a DNS-rebinding page would.
      const socket = connect(page.address.port, '127.0.0.1');
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
      socket.write(`GET / HTTP/1.1\r\nHost: attacker.example:${page.address.port}\r\nConnection: close\r\n\r\n`);
    });
    expect(rebound).toMatch(/^HTTP\/1\.1 403/);
    await expect(openFeed(page, { path: '/elsewhere' })).rejects.toThrow(/404/);
    // Another site open in the same browser may not read the feed.
    await expect(openFeed(page, { origin: 'http://attacker.example' })).rejects.toThrow(/403/);
    const own = await open({ origin: `http://127.0.0.1:${page.address.port}` });
    await own.until((m) => m.t === 'reset');
  });

  it('feeds actors, their active states and events with payloads as a session runs', async () => {
    const feed = await open();
    await feed.until((m) => m.t === 'reset');
    const session = createActor(sessionMachine, { input: sessionMachineInput(), inspect: page.inspect });
    session.start();
    session.send({ type: 'start' });
    await feed.until((m) => isState(m) && m.active.includes('session.open.lifecycle.running'));
    session.send({ type: 'speech.generating', source: 'generate_reply' });
    session.send({ type: 'user.transcribed', transcript: 'what time is it?', isFinal: true, language: 'en' });

    const thinking = await feed.until(
      (m): m is StateMessage => isState(m) && m.active.includes('session.open.agent.thinking'),
    );
    expect(thinking).toMatchObject({ id: session.sessionId, status: 'active', value: { open: { lifecycle: 'running', agent: 'thinking', user: 'listening' } } });
    expect(thinking.active).toEqual(
      expect.arrayContaining(['session', 'session.open.lifecycle.running', 'session.open.agent', 'session.open.agent.thinking', 'session.open.user', 'session.open.user.listening']),
    );
    const registered = feed.messages.find((m) => m.t === 'actor' && m.id === session.sessionId);
    expect(registered).toMatchObject({ machine: 'session', machineId: 'session', label: `session ${session.sessionId}` });
    const transcribed = await feed.until((m): m is EventMessage => isEvent(m) && m.type === 'user.transcribed');
    expect(transcribed.to).toBe(session.sessionId);
    expect(JSON.parse(transcribed.payload)).toEqual({ transcript: 'what time is it?', isFinal: true, language: 'en' });

    session.stop();
    const stopped = await feed.until((m): m is StateMessage => isState(m) && m.id === session.sessionId && m.status === 'stopped');
    expect(stopped.value).toEqual({ open: { lifecycle: 'running', agent: 'thinking', user: 'listening' } });
  });

  it("names voxstate's actors by their role, and an actor inside a payload by that name", async () => {
    const feed = await open();
    stops.push(addInspector(page.inspect));
    class Concierge extends Agent {}
    const out = new ScriptedOutput();
    const server = new AgentServer();
    const sessions: AgentSession[] = [];
    server.rtcSession(async (ctx) => {
      const session = new AgentSession({ userAwayTimeout: null });
      session.output = out;
      sessions.push(session);
      await session.start({ agent: new Concierge({ instructions: 'Greet.' }), room: ctx.room });
      await ctx.connect();
    });
    const job = await server.startJob({ room: new LocalRoom({ name: 'lobby' }), job: { id: 'job-7' } });
    stops.push(() => {
      // A test that failed half way leaves speech playing: cut it short.
      for (const session of sessions) session.shutdown({ drain: false });
      job.ctx.shutdown('test over');
      return job.result;
    });
    // A session of its own, with the base Agent: known by its id, since its class says nothing.
    const bare = new AgentSession({ userAwayTimeout: null });
    stops.push(() => bare.close());
    bare.output = new ScriptedOutput();
    await bare.start({ agent: new Agent({ instructions: 'Plain.', id: 'front_desk' }) });

    const speech = sessions[0]!.say('Welcome.');
    const created = await feed.until((m): m is EventMessage => isEvent(m) && m.type === 'speech_created');
    (await out.untilPlaying()).finish();
    await speech.waitForPlayout();
    await feed.until((m) => m.t === 'state' && m.label === `speech ${speech.id} (say)` && m.status === 'done');
    const labels = new Map<string, string>();
    for (const m of feed.messages) if (m.t === 'actor' || m.t === 'state') labels.set(m.id, m.label);
    expect(new Set(labels.values())).toEqual(
      new Set([
        'job for room lobby',
        'session of Concierge in room lobby',
        'agent Concierge',
        `speech ${speech.id} (say)`,
        'session of front_desk',
        'agent front_desk',
      ]),
    );
    // The session's announcements are in its log; the speech handle in one is the user's object,
    // its actor named, not XState's reference.
    expect(created.to).toBe(sessions[0]!.actor.sessionId);
    expect(JSON.parse(created.payload).speechHandle).toMatchObject({ id: speech.id, source: 'say', actor: `speech ${speech.id} (say)` });
    expect(feed.frames.join('\n')).not.toContain('xstate$$type');
  });

  it('names a worker by the agent it serves and its LiveKit id, a supervised job process by its kind and id', async () => {
    const feed = await open();
    stops.push(addInspector(page.inspect));
    stops.push(closeWorlds);
    const world = await World.start({ agentName: 'front-desk' });
    await world.until('available');
    const workerId = world.worker.status.workerId!;
    expect(workerId).toBeTruthy();
    // A process channel the test plays: its id (a pid) is 1.
    const fake = fakeChannel();
    const supervised = new SupervisedProcess(fake.open, SUPERVISION);
    stops.push(() => {
      supervised.actor.send({ type: 'shutdown', reason: 'test over' });
      fake.handlers.exited(0, null);
      return supervised.exited;
    });
    await feed.until((m) => m.t === 'state' && m.label === `worker for agent front-desk (${workerId})`);
    await feed.until((m) => m.t === 'state' && m.label === 'supervisedProcess process 1');
  });

  it('draws a machine that is not one of machines/index.ts when its first actor appears', async () => {
    const feed = await open();
    const actor = createActor(toggleMachine, { inspect: page.inspect }).start();
    actor.send({ type: 'flip' });
    const diagram = await feed.until((m) => m.t === 'machine');
    expect(diagram).toMatchObject({ id: 'toggle', key: expect.stringMatching(/^toggle~\d+$/) });
    expect((diagram as { svg: string }).svg).toContain('data-state-id="toggle.on"');
    const on = await feed.until((m): m is StateMessage => isState(m) && m.value === 'on');
    expect(on.active).toEqual(['toggle', 'toggle.on']);
    // Once per machine, however many actors run it.
    createActor(toggleMachine, { inspect: page.inspect }).start().send({ type: 'flip' });
    await feed.until((m) => isState(m) && m.id !== actor.sessionId && m.value === 'on');
    expect(feed.messages.filter((m) => m.t === 'machine')).toHaveLength(1);
  });

  it('gives a page that opens late the live actors with their current state and the recent events, bounded', async () => {
    await page.close();
    page = await startInspectorPage({ port: 0, limits: { events: 5 } });
    const running = createActor(toggleMachine, { inspect: page.inspect }).start();
    for (let i = 0; i < 9; i++) running.send({ type: 'flip' });
    const finished = createActor(toggleMachine, { inspect: page.inspect }).start();
    finished.stop();

    const late = await open();
    await late.until((m) => m.t === 'reset');
    const first = JSON.parse(late.frames[0]!) as FeedMessage[];
    expect(first[0]).toEqual({ t: 'reset' });
    const states = first.filter(isState);
    expect(states.find((m) => m.id === running.sessionId)).toMatchObject({ status: 'active', value: 'on', active: ['toggle', 'toggle.on'] });
    expect(states.find((m) => m.id === finished.sessionId)).toMatchObject({ status: 'stopped' });
    // The last 5 events only: the running actor's last flips, then the second actor's init.
    const events = first.filter(isEvent);
    expect(events.map((m) => m.type)).toEqual(['flip', 'flip', 'flip', 'flip', 'xstate.init']);
    expect(events.map((m) => m.seq)).toEqual([7, 8, 9, 10, 11]);
  });

  it('never lets a secret reach the page: by property name (redactSecrets) or by its form', async () => {
    const feed = await open();
    const session = createActor(sessionMachine, {
      input: sessionMachineInput({ apiKey: 'sk-secret-in-context-0001', livekit: { apiSecret: 'lk-secret-value-0002' } }),
      inspect: page.inspect,
    });
    session.subscribe({ error: () => {} });
    session.start();
    session.send({ type: 'start' });
    session.send({ type: 'error.reported', error: { message: 'upstream refused', token: 'sk-secret-in-event-0003' } });
    // A key pasted into what the user said has no telling property name: its form gives it away.
    session.send({ type: 'user.transcribed', transcript: 'my key is sk-secret-spoken-0004', isFinal: true, language: undefined });
    session.send({ type: 'close', reason: 'error', drain: false, error: new AuthFailure('sk-secret-in-error-0005') });
    const done = await feed.until((m): m is StateMessage => isState(m) && m.id === session.sessionId && m.active.includes('session.closed'));

    const everything = feed.frames.join('\n');
    expect(everything).not.toContain('secret-');
    expect(everything).not.toContain('lk-secret');
    expect(JSON.parse(done.context)).toMatchObject({ apiKey: '[redacted]', livekit: { apiSecret: '[redacted]' } });
    const reported = feed.messages.find((m): m is EventMessage => isEvent(m) && m.type === 'error.reported')!;
    expect(JSON.parse(reported.payload)).toEqual({ error: { message: 'upstream refused', token: '[redacted]' } });
    const spoken = feed.messages.find((m): m is EventMessage => isEvent(m) && m.type === 'user.transcribed')!;
    expect(JSON.parse(spoken.payload).transcript).toBe('my key is sk-[redacted]');

    // A page that opens afterwards gets the same state from the store: redacted too.
    const late = await open();
    await late.until((m) => m.t === 'reset');
    expect(late.frames.join('\n')).not.toContain('secret-');
  });

  it('bounds payloads: big arrays, audio samples and long strings are summarised', async () => {
    const feed = await open();
    const session = createActor(sessionMachine, { input: sessionMachineInput(), inspect: page.inspect });
    session.start();
    session.send({ type: 'start' });
    session.send({
      type: 'error.reported',
      error: { samples: new Int16Array(48_000), words: Array.from({ length: 500 }, (_, i) => `w${i}`), text: 'x'.repeat(10_000) },
    });
    const added = await feed.until((m): m is EventMessage => isEvent(m) && m.type === 'error.reported');
    expect(added.payload.length).toBeLessThanOrEqual(1_000);
    const item = JSON.parse(added.payload).error;
    expect(item.samples).toBe('[Int16Array × 48000]');
    expect(item.words).toHaveLength(21);
    expect(item.words[20]).toBe('… 480 more');
    expect(item.text).toMatch(/^x{400}… \(10000 chars\)$/);
  });

  it('does no serialization while no page is open', async () => {
    let reads = 0;
    const probe = {
      get watched() {
        reads += 1;
        return 'read';
      },
    };
    const actor = createActor(toggleMachine, { inspect: page.inspect }).start();
    // The probe rides in event payloads: serializing one would read it.
    for (let i = 0; i < 1_000; i++) actor.send({ type: 'flip', probe } as never);
    await new Promise((resolve) => setImmediate(resolve));
    expect(reads).toBe(0);

    const feed = await open();
    await feed.until((m) => m.t === 'reset');
    expect(reads).toBeGreaterThan(0);
  });

  it('close() disconnects the pages and frees the port', async () => {
    const feed = await open();
    await feed.until((m) => m.t === 'reset');
    const { port } = page.address;
    await page.close();
    expect(await feed.closed).toBe(1001);
    await expect(fetch(page.url)).rejects.toThrow();
    // The port can be taken again at once.
    const again = createServer();
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.listen(port, '127.0.0.1', resolve);
    });
    await new Promise<void>((resolve) => again.close(() => resolve()));
    await page.close(); // twice is fine
  });
});

class AuthFailure extends Error {
  readonly apiKey: string;
  constructor(key: string) {
    super('authentication failed');
    this.apiKey = key;
  }
}
