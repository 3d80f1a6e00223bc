/**
 * Agent activations in the trace: a handoff ends one `agent_activity` and begins the next (an
 * `agent_handoff` event on the session between them); an AgentTask's activation is a child of the
 * activation it took over from, which is paused meanwhile. Each has its on_enter and on_exit.
 */
import { describe, expect, it, vi } from 'vitest';
import { Agent, AgentSession, AgentTask, tool } from '../../src/index.js';
import { FakeLLM } from '../../src/testing/fake_llm.js';
import { useFakeTime } from '../support/fake_time.js';
import { useInMemoryTracing } from './in_memory_tracing.js';
import { only, parentOf, spanTree } from './span_tree.js';

useFakeTime();
const tracing = useInMemoryTracing();

class BillingAgent extends Agent {
  constructor() {
    super({ instructions: 'You handle billing.' });
  }
  override async onEnter(): Promise<void> {
    this.session.say('Billing here.');
  }
}

class EmailTask extends AgentTask<string> {
  constructor() {
    super({ instructions: 'Ask for the email.' });
  }
  override async onEnter(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 50));
    this.complete('ada@example.com');
  }
}

class FrontDesk extends Agent {
  constructor() {
    super({
      instructions: 'You route calls.',
      tools: [
        tool({ name: 'transfer_to_billing', description: 'Hands over to billing', execute: async () => new BillingAgent() }),
        tool({ name: 'collect_email', description: 'Asks for the email', execute: async (_args, { ctx }) => ctx.session.runTask(new EmailTask()) }),
      ],
    });
  }
}

/** One typed turn, on virtual time, then the session closes. */
async function turn(llm: FakeLLM, text: string) {
  const session = new AgentSession({ llm });
  await session.start({ agent: new FrontDesk() });
  await vi.advanceTimersByTimeAsync(10);
  const run = session.run({ userInput: text });
  await vi.advanceTimersByTimeAsync(1_000);
  await run;
  await vi.advanceTimersByTimeAsync(10);
  const closed = session.aclose();
  await vi.advanceTimersByTimeAsync(10);
  await closed;
  const spans = tracing.spans();
  const label = (span: (typeof spans)[number]) => (span.name === 'agent_activity' ? `agent_activity ${String(span.attributes['lk.agent_label'])}` : span.name);
  return { session, spans, tree: spanTree(spans, label) };
}

describe('agent activations in the trace', () => {
  it('a handoff ends the activation of the agent that handed over and begins the next one, with an agent_handoff event on the session', async () => {
    const { spans, tree } = await turn(new FakeLLM([{ toolCalls: [{ name: 'transfer_to_billing' }], ttftMs: 100 }]), 'billing please');
    expect(tracing.open()).toEqual([]);
    expect(tree).toEqual([
      'agent_session',
      '  agent_activity front_desk',
      '    on_enter',
      '    user_turn',
      '      agent_turn',
      '        function_tool',
      '    on_exit',
      '  agent_activity billing_agent',
      '    agent_turn',
      '    on_enter',
      '    on_exit',
    ]);
    const session = only(spans, 'agent_session');
    const handoff = session.events.find((event) => event.name === 'agent_handoff');
    expect(handoff?.attributes).toEqual({ 'lk.agent_label': 'billing_agent', 'lk.previous_agent_label': 'front_desk' });
    const [front, billing] = spans.filter((span) => span.name === 'agent_activity').sort((a, b) => (a.attributes['lk.agent_label'] === 'front_desk' ? -1 : 1));
    // The front desk's activation ends as the billing agent's begins: at the handoff.
    expect(front!.endTime).toEqual(handoff!.time);
    expect(billing!.startTime).toEqual(handoff!.time);
  });

  it("a task's activation is a child of the one it took over from, which is paused and resumed around it", async () => {
    const { spans, tree } = await turn(new FakeLLM([{ toolCalls: [{ name: 'collect_email' }], ttftMs: 100 }, { text: 'Thanks, Ada.', ttftMs: 100 }]), 'my email?');
    expect(tracing.open()).toEqual([]);
    expect(tree).toEqual([
      'agent_session',
      '  agent_activity front_desk',
      '    on_enter',
      '    user_turn',
      '      agent_turn',
      '        function_tool',
      '      agent_turn',
      '    agent_activity email_task',
      '      on_enter',
      '      on_exit',
      '    on_exit',
    ]);
    const task = spans.find((span) => span.attributes['lk.agent_label'] === 'email_task')!;
    const front = parentOf(spans, task)!;
    expect(task.attributes['voxstate.agent.task']).toBe(true);
    expect(front.events.map((event) => event.name)).toEqual(['paused', 'resumed']);
    expect(front.events[0]!.time).toEqual(task.startTime);
    // The task's onEnter took 50 ms, then it completed: its activation ended and the agent resumed.
    expect(only(spans, 'function_tool').endTime).toEqual(front.events[1]!.time);
  });
});
