/**
 * The session report as a user gets it: `ctx.makeSessionReport()` in `onSessionEnd` after a job's
 * conversation with a tool call and a handoff; `makeSessionReport(session)` outside a job.
 */
import { describe, expect, it } from 'vitest';
import { setup } from 'xstate';
import { Agent, AgentServer, AgentSession, defineFlow, functionTool, LocalRoom, makeSessionReport, type JobContext, type SessionReport } from '../../src/index.js';
import { FakeLLM } from '../../src/testing/index.js';
import { MeteredLLM } from '../support/metered_llm.js';

class Billing extends Agent {
  constructor() {
    super({ id: 'billing', instructions: 'You handle billing.' });
  }
  override async onEnter() {
    this.session.say('Billing here.');
  }
}

class Front extends Agent {
  constructor() {
    super({
      id: 'front',
      instructions: 'Be brief.',
      tools: {
        look_up: functionTool({ description: 'Looks up an invoice', execute: async () => 'invoice 42 is paid' }),
        to_billing: functionTool({ description: 'Transfers to billing', execute: async () => new Billing() }),
      },
    });
  }
}

describe('session report', () => {
  it('ctx.makeSessionReport() in onSessionEnd: job and room, options, history, every event with its time, usage, metrics and the state timeline; JSON; secrets redacted', async () => {
    const reports: SessionReport[] = [];
    const fromCallback: SessionReport[] = [];
    const server = new AgentServer();
    server.rtcSession(
      async (ctx: JobContext) => {
        ctx.logContextFields = { tenant: 'acme', apiKey: 'sk-live-abcdefghijklmnopqrstuvwxyz123456' };
        // The seeds' shutdown callbacks run after onSessionEnd: the report is there for them too.
        ctx.addShutdownCallback(async () => void fromCallback.push(ctx.makeSessionReport()));
        const llm = new MeteredLLM([{ toolCalls: [{ name: 'look_up' }] }, { text: 'It is paid.' }, { toolCalls: [{ name: 'to_billing' }] }]);
        const session = new AgentSession({ llm });
        await session.start({ agent: new Front(), room: ctx.room });
        await session.run({ userInput: 'Is invoice 42 paid?' });
        await session.run({ userInput: 'Let me talk to billing.' });
        ctx.shutdown('done');
      },
      { onSessionEnd: (ctx) => void reports.push(ctx.makeSessionReport()) },
    );
    const room = new LocalRoom({ name: 'report-room' });
    room.join({ identity: 'caller' });
    const job = await server.startJob({ room });
    await job.result;

    expect(reports).toHaveLength(1);
    const report = reports[0]!;
    expect(fromCallback).toHaveLength(1);
    expect(fromCallback[0]!.history).toEqual(report.history);
    expect(fromCallback[0]!.events.at(-1)).toMatchObject({ type: 'close', reason: 'job_shutdown' });
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
    expect(report).toMatchObject({ version: 1, job: { id: job.ctx.job.id, contextFields: { tenant: 'acme', apiKey: '[redacted]' } }, room: { name: 'report-room' } });
    expect(JSON.stringify(report)).not.toContain('sk-live-abcdefghijklmnopqrstuvwxyz123456');
    expect(report.options).toMatchObject({ llm: 'fake/scripted-1', maxToolSteps: 3 });
    expect(report.session).toMatchObject({ closeReason: 'job_shutdown' });
    expect(report.session.startedAt).toBeLessThanOrEqual(report.session.closedAt!);

    const said = report.history.map((item) => (item.type === 'message' ? `${item.role}: ${item.content}` : item.type === 'function_call' ? `call ${item.name}` : item.type));
    expect(said).toEqual([
      'user: Is invoice 42 paid?',
      'call look_up',
      'function_call_output',
      'assistant: It is paid.',
      'user: Let me talk to billing.',
      'call to_billing',
      'function_call_output',
      'agent_handoff',
      'assistant: Billing here.',
    ]);

    // Every event, in order, timed; speeches by id, the close with its reason.
    const types = report.events.map((event) => event.type);
    expect(types).toContain('function_tool_started');
    expect(types.at(-1)).toBe('close');
    expect(report.events.every((event, i) => i === 0 || event.at >= report.events[i - 1]!.at)).toBe(true);
    expect(report.events.find((event) => event.type === 'speech_created')).toMatchObject({ speechId: expect.stringMatching(/^speech_/), source: expect.any(String) });
    expect(report.usage.total).toMatchObject({ llmInputTokens: 30, llmInputCachedTokens: 12 });
    expect(report.metrics.map((metrics) => metrics.type)).toEqual(['llm_metrics', 'llm_metrics', 'llm_metrics']);

    // The state timeline: the job's, the session's, both agents' and every speech's transitions, in time order.
    const actors = new Set(report.timeline.map((entry) => entry.actor));
    expect([...actors]).toEqual(expect.arrayContaining(['job', 'session', 'agent front', 'agent billing']));
    expect([...actors].filter((actor) => actor.startsWith('speech '))).toHaveLength(report.events.filter((event) => event.type === 'speech_created').length);
    expect(report.timeline.every((entry, i) => i === 0 || entry.at >= report.timeline[i - 1]!.at)).toBe(true);
    const session = report.timeline.filter((entry) => entry.actor === 'session');
    expect(session.at(-1)).toMatchObject({ state: 'closed', status: 'done' });
    expect(session.some((entry) => JSON.stringify(entry.state).includes('"lifecycle":{"draining"'))).toBe(true);
    const front = report.timeline.filter((entry) => entry.actor === 'agent front').map((entry) => entry.state);
    expect(front.at(-1)).toBe('exited');
    // The job's, up to where onSessionEnd runs: its session closing.
    const jobStates = report.timeline.filter((entry) => entry.actor === 'job').map((entry) => entry.state);
    expect(jobStates).toContainEqual({ started: { running: 'attended' } });
    expect(jobStates.at(-1)).toEqual({ shuttingDown: 'closingSession' });
    // The statecharts to draw them with.
    expect(Object.keys(report.machines)).toEqual(expect.arrayContaining(['job', 'session', 'agent', 'speech']));
    for (const entry of report.timeline) expect(report.machines).toHaveProperty(entry.machine);
  });

  it('makeSessionReport(session) outside a job: no job part; a flow\'s actor is on the timeline', async () => {
    const machine = setup({}).createMachine({
      id: 'greeting',
      initial: 'hello',
      states: { hello: { meta: { agent: 'solo' }, on: { greeted: { target: 'done', meta: { description: 'greeted' } } } }, done: { type: 'final', meta: { agent: 'solo' } } },
    });
    const session = new AgentSession({ llm: new FakeLLM([{ text: 'Hello.' }]) });
    await session.start({ flow: defineFlow({ machine, agents: { solo: new Agent({ id: 'solo', instructions: 'x' }) } }) });
    await session.run({ userInput: 'hi' });
    const report = makeSessionReport(session);
    expect(report.timeline.filter((entry) => entry.actor === 'flow greeting')).toEqual([expect.objectContaining({ machine: 'greeting', state: 'hello', event: 'xstate.init' })]);
    expect(report.options).toMatchObject({ flow: 'greeting' });
    expect(report.machines).toHaveProperty('greeting');
    expect(report.job).toBeUndefined();
    expect(report.session.closedAt).toBeUndefined();
    expect(report.history.map((item) => item.type)).toEqual(['message', 'message']);
    expect(report.timeline.find((entry) => entry.actor === 'session')).toMatchObject({ event: 'xstate.init' });
    await session.aclose();
    expect(makeSessionReport(session).session.closeReason).toBe('user_initiated');
  });

  it('report: false keeps nothing for a report: makeSessionReport is refused, and so is record', async () => {
    const session = new AgentSession({ llm: new FakeLLM([{ text: 'Hello.' }]), report: false });
    await session.start({ agent: new Agent({ instructions: 'x' }) });
    await session.run({ userInput: 'hi' });
    expect(() => makeSessionReport(session)).toThrow('this session keeps no report: it was made with report: false');
    await session.aclose();
    expect(() => new AgentSession({ report: false, record: { dir: '/tmp' } })).toThrow(/record writes the session report beside the audio/);
  });
});
