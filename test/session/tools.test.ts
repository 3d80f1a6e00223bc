/** Tool calls: parallel tools, results in call order, handoffs decided in call order. */
import { describe, expect, it, vi } from 'vitest';
import { Agent, AgentSession, functionTool, type ErrorEvent, type FunctionToolsExecutedEvent } from '../../src/index.js';
import { ScriptedLLM } from '../support/scripted_llm.js';
import { useFakeTime } from '../support/fake_time.js';

useFakeTime();

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('tools of one step', () => {
  it('run in parallel; outputs and function_tools_executed keep call order; a handoff that finished first is not dropped', async () => {
    const billing = new Agent({ instructions: 'billing', id: 'billing' });
    const order: string[] = [];
    const agent = new Agent({
      instructions: 'front',
      tools: {
        slow_lookup: functionTool({
          description: 'slow',
          execute: async () => {
            await wait(300);
            order.push('slow done');
            return 'found';
          },
        }),
        transfer: functionTool({
          description: 'to billing',
          execute: async () => {
            await wait(10);
            order.push('transfer done');
            return billing;
          },
        }),
      },
    });
    const session = new AgentSession({ llm: new ScriptedLLM([{ toolCalls: [{ name: 'slow_lookup' }, { name: 'transfer' }] }]) });
    const executed: FunctionToolsExecutedEvent[] = [];
    session.on('function_tools_executed', (event) => executed.push(event));
    await session.start({ agent });
    session.generateReply({ userInput: 'help' });
    await vi.advanceTimersByTimeAsync(400);
    expect(order).toEqual(['transfer done', 'slow done']);
    expect(executed).toHaveLength(1);
    expect(executed[0]!.functionCalls.map((call) => call.name)).toEqual(['slow_lookup', 'transfer']);
    expect(executed[0]!.functionCallOutputs.map((output) => output.output)).toEqual(['found', '']);
    expect(session.currentAgent?.id).toBe('billing');
    expect(session.history.items.at(-1)).toMatchObject({ type: 'agent_handoff', newAgentId: 'billing' });
  });

  it('two handoffs in one step: the first in call order wins, though it finishes last; the other is reported', async () => {
    const billing = new Agent({ instructions: 'billing', id: 'billing' });
    const support = new Agent({ instructions: 'support', id: 'support' });
    const finished: string[] = [];
    const handoffTool = (target: Agent, ms: number) =>
      functionTool({
        description: `to ${target.id}`,
        execute: async () => {
          await wait(ms);
          finished.push(target.id);
          return target;
        },
      });
    const front = new Agent({
      instructions: 'front',
      id: 'front',
      tools: { to_billing: handoffTool(billing, 300), to_support: handoffTool(support, 10) },
    });
    const session = new AgentSession({ llm: new ScriptedLLM([{ toolCalls: [{ name: 'to_billing' }, { name: 'to_support' }] }]) });
    const errors: ErrorEvent[] = [];
    session.on('error', (event) => errors.push(event));
    const changes: string[] = [];
    session.on('agent_state_changed', () => changes.push(`current: ${session.currentAgent?.id}`));
    await session.start({ agent: front });
    session.generateReply({ userInput: 'help' });
    await vi.advanceTimersByTimeAsync(400);
    expect(finished).toEqual(['support', 'billing']);
    expect(session.currentAgent?.id).toBe('billing');
    expect([front.state, billing.state, support.state]).toEqual(['exited', 'active', 'inactive']);
    const handoffs = session.history.items.filter((item) => item.type === 'agent_handoff');
    expect(handoffs).toEqual([expect.objectContaining({ oldAgentId: 'front', newAgentId: 'billing' })]);
    expect(errors.map((event) => [event.error.code, event.error.message])).toEqual([
      ['multiple_handoffs', '2 tools handed off in one step; the first in call order wins'],
    ]);
    expect(changes.some((line) => line.includes('support'))).toBe(false);
  });
});
