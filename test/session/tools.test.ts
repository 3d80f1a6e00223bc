/**
 * Tool calls: parallel tools, results in call order, handoffs decided in call order; what a tool
 * sees of its call (agents-js's ToolOptions and RunContext); handoffs that return text; ToolError.
 */
import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import { z } from 'zod';
import {
  Agent,
  AgentSession,
  functionTool,
  type ErrorEvent,
  type FunctionToolCompletedEvent,
  type FunctionToolStartedEvent,
  type FunctionToolsExecutedEvent,
} from '../../src/index.js';
import * as llm from '../../src/llm/index.js';
import { ScriptedLLM, type ScriptedReply } from '../support/scripted_llm.js';
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

/** A session over `agent` answering from `script`, with its errors and tool events recorded. */
async function started<UserData>(agent: Agent<UserData>, script: ScriptedReply[], userData?: UserData) {
  const scripted = new ScriptedLLM(script);
  const session = new AgentSession<UserData>({ llm: scripted, ...(userData === undefined ? {} : { userData }) });
  const errors: ErrorEvent[] = [];
  const toolEvents: Array<FunctionToolStartedEvent | FunctionToolCompletedEvent> = [];
  session.on('error', (event) => errors.push(event));
  session.on('function_tool_started', (event) => toolEvents.push(event));
  session.on('function_tool_completed', (event) => toolEvents.push(event));
  await session.start({ agent });
  return { session, llm: scripted, errors, toolEvents };
}

describe('what a tool sees of its call (ToolOptions)', () => {
  it('ctx gives the session, its typed userData, the speech and the call as the history holds it; toolCallId and abortSignal', async () => {
    interface Order {
      items: string[];
    }
    const seen: Array<llm.ToolOptions<Order>> = [];
    class Waiter extends Agent<Order> {
      constructor() {
        super({
          instructions: 'You take orders.',
          tools: {
            addItem: llm.tool({
              description: 'Adds an item to the order',
              parameters: z.object({ item: z.string() }),
              execute: async ({ item }, opts) => {
                seen.push(opts);
                opts.ctx.userData.items.push(item);
                // @ts-expect-error: an Order has no field named total (ctx.userData is typed by the agent's UserData)
                void opts.ctx.userData.total;
                return `added ${item}; the order has ${this.session.userData.items.length} item(s)`;
              },
            }),
          },
        });
      }
    }
    const order: Order = { items: [] };
    const { session, toolEvents } = await started(new Waiter(), [{ toolCalls: [{ name: 'addItem', arguments: { item: 'tea' }, callId: 'call_tea' }] }, { text: 'Tea it is.' }], order);
    const result = session.run({ userInput: 'A tea, please.' });
    await vi.advanceTimersByTimeAsync(0);
    (await result).expect.containsFunctionCallOutput({ output: 'added tea; the order has 1 item(s)' });

    expect(order.items).toEqual(['tea']);
    const [{ ctx, toolCallId, abortSignal }] = seen as [llm.ToolOptions<Order>];
    expect(ctx).toBeInstanceOf(llm.RunContext);
    expect(ctx.session).toBe(session);
    expect(ctx.userData).toBe(order);
    expect(ctx.functionCall).toBe(session.history.items.find((item) => item.type === 'function_call'));
    expect(ctx.functionCall).toMatchObject({ callId: 'call_tea', name: 'addItem', arguments: '{"item":"tea"}' });
    expect(ctx.speechHandle.id).toBe(toolEvents[0]!.speechId);
    expect(toolCallId).toBe('call_tea');
    expect(abortSignal).toBe(ctx.speechHandle.signal);
  });

  it('a tool annotated with ToolOptions<UserData> sees userData typed, outside any agent class', () => {
    interface Profile {
      name: string;
    }
    const greet = llm.tool({
      name: 'greet',
      description: 'Greets the user by name',
      execute: async (_args, { ctx }: llm.ToolOptions<Profile>) => {
        // @ts-expect-error: a Profile has no field named age
        void ctx.userData.age;
        return `Hello ${ctx.userData.name}`;
      },
    });
    expectTypeOf(greet).toExtend<llm.FunctionTool<Record<string, never>, Profile, string>>();
  });
});

describe('tools as an array of named tools', () => {
  it('the LLM sees them by name, in order, and a call runs the one it names', async () => {
    const calls: string[] = [];
    const agent = new Agent({
      instructions: 'x',
      tools: [
        llm.tool({ name: 'first', description: 'one', execute: async () => void calls.push('first') }),
        llm.tool({ name: 'second', description: 'two', parameters: z.object({ n: z.int() }), execute: async ({ n }) => void calls.push(`second ${n}`) }),
      ],
    });
    const { session, llm: scripted, errors } = await started(agent, [{ toolCalls: [{ name: 'second', arguments: { n: 2 } }] }]);
    const result = session.run({ userInput: 'go' });
    await vi.advanceTimersByTimeAsync(0);
    await result;
    expect(scripted.requests[0]!.tools.map((entry) => entry.name)).toEqual(['first', 'second']);
    expect(calls).toEqual(['second 2']);
    expect(errors).toEqual([]);
  });

  it('a name given twice in an array assigned later is a typed error when the agent replies, reported, and the session goes on', async () => {
    class Twice extends Agent {
      constructor() {
        super({ instructions: 'x', id: 'twice' });
      }
      override tools = [llm.tool({ name: 'same', description: 'a', execute: async () => 'a' }), llm.tool({ name: 'same', description: 'b', execute: async () => 'b' })];
    }
    const { session, llm: scripted, errors } = await started(new Twice(), [{ text: 'never' }]);
    await expect(session.run({ userInput: 'hi' })).rejects.toThrow("agent twice's tools: two tools are named same: every name must be given once");
    expect(errors.map((event) => [event.error.constructor, event.error.code])).toEqual([[llm.ToolDeclarationError, 'invalid_tool']]);
    expect(scripted.requests).toEqual([]);
    expect(session.state).toBe('running');
    // Mended, the agent replies again: the failed reply did not keep the output.
    session.currentAgent!.tools = [llm.tool({ name: 'same', description: 'a', execute: async () => 'a' })];
    const pending = session.run({ userInput: 'hi again' });
    await vi.advanceTimersByTimeAsync(0);
    (await pending).expect.nextEvent().isMessage({ role: 'assistant', content: 'never' });
  });
});

describe('handoff({ agent, returns })', () => {
  class Billing extends Agent {
    constructor() {
      super({ instructions: 'billing', id: 'billing' });
    }
    override async onEnter() {
      this.session.generateReply();
    }
  }

  it.each([
    ['text', 'Transferring you to billing.', 'Transferring you to billing.'],
    ['a JSON-able value', { transferred: true, queue: 3 }, '{"transferred":true,"queue":3}'],
    ['nothing', undefined, ''],
  ])('hands over with %s as the output the history, the run and the next agent’s LLM see', async (_label, returns, output) => {
    const billing = new Billing();
    const front = new Agent({
      instructions: 'front',
      id: 'front',
      tools: { toBilling: llm.tool({ description: 'Transfers to billing', execute: async () => llm.handoff({ agent: billing, returns }) }) },
    });
    const { session, llm: scripted, errors } = await started(front, [{ toolCalls: [{ name: 'toBilling', callId: 'call_b' }] }, { text: 'Billing here, how can I help?' }]);
    const pending = session.run({ userInput: 'I have a billing question' });
    await vi.advanceTimersByTimeAsync(0);
    const result = await pending;

    result.expect.nextEvent().isFunctionCall({ name: 'toBilling' });
    result.expect.nextEvent().isFunctionCallOutput({ output, isError: false });
    result.expect.nextEvent().isAgentHandoff({ newAgentId: 'billing' });
    result.expect.nextEvent().isMessage({ role: 'assistant', content: 'Billing here, how can I help?' });
    result.expect.noMoreEvents();
    expect(session.currentAgent).toBe(billing);
    expect(session.history.items.map((item) => item.type)).toEqual(['message', 'function_call', 'function_call_output', 'agent_handoff', 'message']);
    expect(session.history.items[2]).toMatchObject({ type: 'function_call_output', callId: 'call_b', output, isError: false });
    // Only the new agent replies, and its LLM sees the handoff's output.
    expect(scripted.requests).toHaveLength(2);
    expect(scripted.requests[1]!.instructions).toBe('billing');
    expect(scripted.requests[1]!.chatCtx.items.find((item) => item.type === 'function_call_output')).toMatchObject({ output });
    expect(errors).toEqual([]);
  });

  it('returning the Agent itself still hands over, with an empty output (the seeds’ shape)', async () => {
    const billing = new Billing();
    const front = new Agent({ instructions: 'front', tools: { toBilling: functionTool({ description: 'Transfers to billing', execute: () => billing }) } });
    const { session } = await started(front, [{ toolCalls: [{ name: 'toBilling' }] }, { text: 'Billing here.' }]);
    const pending = session.run({ userInput: 'billing?' });
    await vi.advanceTimersByTimeAsync(0);
    const result = await pending;
    result.expect.containsFunctionCallOutput({ output: '', isError: false });
    result.expect.containsAgentHandoff({ newAgentId: 'billing' });
  });

  it('a handoff to something that is not an Agent fails the tool with a typed error', async () => {
    const front = new Agent({
      instructions: 'front',
      id: 'front',
      tools: { toNowhere: llm.tool({ description: 'Transfers', execute: async () => llm.handoff({ agent: 'billing' as never, returns: 'ok' }) }) },
    });
    const { session, errors } = await started(front, [{ toolCalls: [{ name: 'toNowhere' }] }, { text: 'Sorry.' }]);
    const pending = session.run({ userInput: 'transfer me' });
    await vi.advanceTimersByTimeAsync(0);
    (await pending).expect.containsFunctionCallOutput({ isError: true, output: 'front.tool toNowhere failed: handoff() needs an Agent to hand over to' });
    expect(errors.map((event) => event.error.code)).toEqual(['hook_failed']);
    expect(session.currentAgent).toBe(front);
  });
});

describe('ToolError', () => {
  it('thrown by a tool, its message is the error output the LLM sees, as it is; the call is not a fault', async () => {
    const agent = new Agent({
      instructions: 'x',
      tools: {
        findOrder: llm.tool({
          description: 'Finds an order',
          parameters: z.object({ id: z.string() }),
          execute: async ({ id }) => {
            throw new llm.ToolError(`there is no order ${id}`);
          },
        }),
      },
    });
    const { session, llm: scripted, errors, toolEvents } = await started(agent, [{ toolCalls: [{ name: 'findOrder', arguments: { id: '42' } }] }, { text: 'I cannot find it.' }]);
    const pending = session.run({ userInput: 'Where is order 42?' });
    await vi.advanceTimersByTimeAsync(0);
    const result = await pending;
    result.expect.nextEvent().isFunctionCall({ name: 'findOrder' });
    result.expect.nextEvent().isFunctionCallOutput({ output: 'there is no order 42', isError: true });
    result.expect.nextEvent().isMessage({ role: 'assistant', content: 'I cannot find it.' });
    expect(scripted.requests).toHaveLength(2);
    expect(errors).toEqual([]);
    const completed = toolEvents.find((event) => event.type === 'function_tool_completed');
    expect(completed).toMatchObject({ isError: true, output: 'there is no order 42', error: expect.any(llm.ToolError) });
    expect((completed as FunctionToolCompletedEvent).error?.code).toBe('tool_error');
  });
});

describe('a tool choice naming a tool', () => {
  const agent = () =>
    new Agent({
      instructions: 'x',
      id: 'front',
      tools: [llm.tool({ name: 'lookup', description: 'Looks up', execute: async () => 'found' }), llm.tool({ name: 'other', description: 'Other', execute: async () => 'other' })],
    });

  it('reaches the LLM as it is', async () => {
    const { session, llm: scripted, errors } = await started(agent(), [{ text: 'ok' }]);
    session.generateReply({ toolChoice: { type: 'function', function: { name: 'lookup' } } });
    await vi.advanceTimersByTimeAsync(0);
    expect(scripted.requests.map((request) => request.toolChoice)).toEqual([{ type: 'function', function: { name: 'lookup' } }]);
    expect(errors).toEqual([]);
  });

  it('naming a tool the agent does not have: a typed error, and the LLM is not asked', async () => {
    const { session, llm: scripted, errors } = await started(agent(), [{ text: 'ok' }]);
    session.generateReply({ toolChoice: { type: 'function', function: { name: 'teleport' } } });
    await vi.advanceTimersByTimeAsync(0);
    expect(errors.map((event) => [event.error.code, event.error.message])).toEqual([
      ['invalid_tool_choice', 'toolChoice names the tool "teleport", but agent front has no tool of that name'],
    ]);
    expect(scripted.requests).toEqual([]);
    session.generateReply();
    await vi.advanceTimersByTimeAsync(0);
    expect(scripted.requests).toHaveLength(1);
  });
});
