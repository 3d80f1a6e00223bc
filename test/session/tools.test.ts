/** Tool calls: parallel tools, results in call order, handoffs decided in call order. */
import { describe, expect, it, vi } from 'vitest';
import { Agent, AgentSession, functionTool, type FunctionToolsExecutedEvent } from '../../src/index.js';
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
});
