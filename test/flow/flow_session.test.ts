/**
 * A flow in a session: the LLM moves it through its transition tools, the session's events and
 * timers move it too, each step that changes the agent hands over exactly once, userData is the
 * flow's context, and a flow that cannot run is refused at start.
 */
import { describe, expect, it } from 'vitest';
import { assign, setup, SimulatedClock } from 'xstate';
import { z } from 'zod';
import { Agent, AgentSession, AgentTask, defineFlow, functionTool, LocalRoom, type AgentHandoffItem, type ErrorEvent } from '../../src/index.js';
import { FakeLLM } from '../../src/testing/index.js';

interface Caller {
  name?: string;
  slot?: string;
}

class Receptionist extends Agent<Caller> {
  constructor() {
    super({ instructions: 'Greet the caller and ask for their name.', id: 'receptionist' });
  }
  override async onEnter() {
    this.session.say('Welcome to the clinic. Who am I speaking with?');
  }
}

class Booker extends Agent<Caller> {
  constructor() {
    super({ instructions: 'Book a slot.', id: 'booker' });
  }
  override async onEnter() {
    this.session.say(`Hello ${this.session.userData.name}, when would you like to come?`);
  }
}

class Farewell extends Agent<Caller> {
  constructor() {
    super({ instructions: 'Say goodbye.', id: 'farewell' });
  }
  override async onEnter() {
    this.session.say('Goodbye!');
  }
}

const clinic = setup({
  types: { context: {} as Caller, events: {} as { type: 'caller_identified'; name: string } | { type: 'slot_booked'; slot: string } | { type: 'user.away' } },
}).createMachine({
  id: 'clinic',
  initial: 'greeting',
  context: {},
  states: {
    greeting: {
      meta: { agent: 'receptionist' },
      on: {
        caller_identified: {
          target: 'booking',
          meta: { description: 'The caller said their name', parameters: z.object({ name: z.string() }) },
          actions: assign({ name: ({ event }) => event.name }),
        },
      },
    },
    booking: {
      meta: { agent: 'booker' },
      on: {
        slot_booked: {
          target: 'goodbye',
          meta: { description: 'The caller chose a slot', parameters: z.object({ slot: z.string() }) },
          actions: assign({ slot: ({ event }) => event.slot }),
        },
        'user.away': 'goodbye',
      },
      after: { 60_000: 'goodbye' },
    },
    goodbye: { type: 'final', meta: { agent: 'farewell' } },
  },
});

const flow = () => defineFlow({ machine: clinic, agents: { receptionist: () => new Receptionist(), booker: () => new Booker(), farewell: () => new Farewell() } });

function handoffs(session: AgentSession): string[] {
  return session.history.items.filter((item): item is AgentHandoffItem => item.type === 'agent_handoff').map((item) => `${item.oldAgentId ?? '-'}→${item.newAgentId}`);
}

describe('a flow in a session', () => {
  it('the LLM takes a transition: the flow moves, its actions store the arguments, the agent hands over once, and the new state offers its own tools', async () => {
    const llm = new FakeLLM([{ toolCalls: [{ name: 'caller_identified', arguments: { name: 'Ann' } }] }]);
    const session = new AgentSession<Caller>({ llm });
    await session.start({ flow: flow() });
    await session.run({ userInput: 'Hi, this is Ann.' });

    expect(session.flow!.actor.getSnapshot().value).toBe('booking');
    expect(session.userData).toEqual({ name: 'Ann' });
    expect(session.currentAgent).toBeInstanceOf(Booker);
    expect(handoffs(session)).toEqual(['receptionist→booker']);
    // What the booker said on entering used the stored name.
    expect(session.history.items.filter((item) => item.type === 'message').map((item) => item.content)).toContain('Hello Ann, when would you like to come?');
    // The receptionist's request offered its transition; the tool's output says where the flow went.
    expect(llm.requests[0]!.tools.map((entry) => entry.name)).toEqual(['caller_identified']);
    const output = session.history.items.find((item) => item.type === 'function_call_output');
    expect(output).toMatchObject({ name: 'caller_identified', output: 'the conversation moved to booking', isError: false });

    await session.run({ userInput: 'anything' });
    expect(llm.requests.at(-1)!.tools.map((entry) => entry.name)).toEqual(['slot_booked']);
    await session.aclose();
  });

  it('a transition whose guard does not hold is refused to the LLM (a tool error), and the flow stays', async () => {
    const guarded = setup({ types: { context: {} as { verified: boolean } }, guards: { verified: ({ context }) => context.verified } }).createMachine({
      id: 'guarded',
      initial: 'a',
      context: { verified: false },
      states: {
        a: { meta: { agent: 'one' }, on: { proceed: { target: 'b', guard: 'verified', meta: { description: 'go on' } } } },
        b: { type: 'final', meta: { agent: 'two' } },
      },
    });
    const llm = new FakeLLM([{ toolCalls: [{ name: 'proceed' }] }, { text: 'I cannot go on yet.' }]);
    const session = new AgentSession({ llm });
    await session.start({ flow: defineFlow({ machine: guarded, agents: { one: new Agent({ instructions: '1', id: 'one' }), two: new Agent({ instructions: '2', id: 'two' }) } }) });
    await session.run({ userInput: 'go' });
    expect(session.flow!.actor.getSnapshot().value).toBe('a');
    expect(session.history.items.find((item) => item.type === 'function_call_output')).toMatchObject({ isError: true, output: 'proceed cannot be taken now: its condition does not hold' });
    await session.aclose();
  });

  it('timers and session events move the flow: the agent hands over once per step, and a final state ends the session after its agent spoke', async () => {
    const clock = new SimulatedClock();
    const llm = new FakeLLM([{ toolCalls: [{ name: 'caller_identified', arguments: { name: 'Bo' } }] }]);
    const session = new AgentSession<Caller>({ llm, clock, userAwayTimeout: null });
    const closed = session.closed();
    await session.start({ flow: flow() });
    await session.run({ userInput: 'Bo here' });
    expect(session.flow!.actor.getSnapshot().value).toBe('booking');
    clock.increment(60_000);
    expect((await closed).reason).toBe('user_initiated');
    expect(handoffs(session)).toEqual(['receptionist→booker', 'booker→farewell']);
    expect(session.history.items.filter((item) => item.type === 'message').at(-1)).toMatchObject({ role: 'assistant', content: 'Goodbye!' });
    expect(session.flow!.actor.getSnapshot().status).toBe('done');
  });

  it('the user going away is an event of the flow', async () => {
    const clock = new SimulatedClock();
    const llm = new FakeLLM([{ toolCalls: [{ name: 'caller_identified', arguments: { name: 'Cy' } }] }]);
    const session = new AgentSession<Caller>({ llm, clock, userAwayTimeout: 5 });
    const closed = session.closed();
    await session.start({ flow: flow() });
    await session.run({ userInput: 'Cy' });
    clock.increment(5_000);
    await closed;
    expect(handoffs(session).at(-1)).toBe('booker→farewell');
  });

  it('the participant leaving the room is an event of the flow (the session stays, with closeOnDisconnect false)', async () => {
    const waiting = setup({ types: { context: {} as { left?: string }, events: {} as { type: 'participant.left'; identity: string } } }).createMachine({
      id: 'waiting',
      initial: 'talking',
      context: {},
      states: {
        talking: { meta: { agent: 'one' }, on: { 'participant.left': { target: 'alone', actions: assign({ left: ({ event }) => event.identity }) } } },
        alone: { meta: { agent: 'two' } },
      },
    });
    const room = new LocalRoom();
    const caller = room.join({ identity: 'caller' });
    const session = new AgentSession<{ left?: string }>({ llm: new FakeLLM() });
    await session.start({
      flow: defineFlow({ machine: waiting, agents: { one: new Agent({ id: 'one', instructions: '1' }), two: new Agent({ id: 'two', instructions: '2' }) } }),
      room,
      inputOptions: { closeOnDisconnect: false },
    });
    caller.leave();
    expect(session.flow!.actor.getSnapshot().value).toBe('alone');
    expect(session.userData).toEqual({ left: 'caller' });
    expect(session.state).toBe('running');
    await session.aclose();
  });

  it('a state may name an AgentTask: its complete(result) is the flow\'s agent.task_done event, with the result', async () => {
    class Verify extends AgentTask<{ code: string }> {
      constructor() {
        super({
          id: 'verify',
          instructions: 'Ask for the code.',
          tools: { code_given: functionTool({ description: 'the code', parameters: z.object({ code: z.string() }), execute: async ({ code }) => this.complete({ code }) }) },
        });
      }
    }
    const machine = setup({ types: { context: {} as { code?: string }, events: {} as { type: 'agent.task_done'; result: unknown } } }).createMachine({
      id: 'verifying',
      initial: 'verify',
      context: {},
      states: {
        verify: { meta: { agent: 'verify' }, on: { 'agent.task_done': { target: 'talk', actions: assign({ code: ({ event }) => (event.result as { code: string }).code }) } } },
        talk: { meta: { agent: 'talk' } },
      },
    });
    const session = new AgentSession<{ code?: string }>({ llm: new FakeLLM([{ toolCalls: [{ name: 'code_given', arguments: { code: '4711' } }] }, { text: 'Thanks.' }]) });
    await session.start({ flow: defineFlow({ machine, agents: { verify: () => new Verify(), talk: new Agent({ id: 'talk', instructions: 't' }) } }) });
    await session.run({ userInput: 'the code is 4711' });
    expect(session.flow!.actor.getSnapshot().value).toBe('talk');
    expect(session.userData).toEqual({ code: '4711' });
    expect(handoffs(session)).toEqual(['verify→talk']);
    await session.aclose();
  });

  it('a flow that cannot run is refused at start with every problem named', async () => {
    const broken = setup({}).createMachine({
      id: 'broken',
      initial: 'a',
      states: {
        a: { meta: { agent: 'one' }, on: { 'bad name!': { target: 'b', meta: { description: 'x' } } } },
        b: { on: { loop: 'b' } },
        end: { type: 'final', meta: { agent: 'ghost' } },
      },
    });
    const session = new AgentSession({ llm: new FakeLLM() });
    const start = session.start({ flow: defineFlow({ machine: broken, agents: { one: new Agent({ instructions: '1' }) } }) });
    await expect(start).rejects.toThrow(/flow broken cannot run/);
    const message = await start.catch((error: Error) => error.message);
    expect(message).toMatch(/state end names the agent "ghost", which is not in the flow's agents/);
    expect(message).toMatch(/state b names no agent/);
    expect(message).toMatch(/transition bad name! of state a: an LLM cannot call a tool by this name/);
    expect(message).toMatch(/no final state can be reached from state b/);
    expect(session.state).toBe('idle');
  });

  it('a transition tool named like a tool of its agent is refused', async () => {
    const machine = setup({}).createMachine({
      id: 'clash',
      initial: 'a',
      states: { a: { meta: { agent: 'one' }, on: { lookup: { target: 'done', meta: { description: 'x' } } } }, done: { type: 'final' } },
    });
    const one = new Agent({ instructions: '1', tools: { lookup: { type: 'function', description: 'l', parameters: z.object({}), execute: async () => 'x' } } as never });
    const session = new AgentSession({ llm: new FakeLLM() });
    await expect(session.start({ flow: defineFlow({ machine, agents: { one } }) })).rejects.toThrow(/transition lookup of state a is a tool of agent "one", which has a tool of its own by that name/);
  });

  it('a flow failing in an action is reported as an error event; the session stays up', async () => {
    const failing = setup({}).createMachine({
      id: 'failing',
      initial: 'a',
      states: {
        a: { meta: { agent: 'one' }, on: { explode: { target: 'done', meta: { description: 'x' }, actions: () => { throw new Error('boom'); } } } },
        done: { type: 'final' },
      },
    });
    const llm = new FakeLLM([{ toolCalls: [{ name: 'explode' }] }, { text: 'sorry' }]);
    const session = new AgentSession({ llm });
    const errors: ErrorEvent[] = [];
    session.on('error', (event) => errors.push(event));
    await session.start({ flow: defineFlow({ machine: failing, agents: { one: new Agent({ instructions: '1' }) } }) });
    await session.run({ userInput: 'go' });
    expect(errors.map((event) => event.error.message)).toEqual([expect.stringMatching(/flow failing failed: boom/)]);
    expect(session.state).toBe('running');
    await session.aclose();
  });
});
