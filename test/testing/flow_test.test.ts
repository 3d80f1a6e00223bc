/**
 * testFlow as a user meets it: a few lines cover a flow; a path that breaks is named with the turn
 * where it broke; guards are walked with several argument sets; coverage says what no path took.
 */
import { describe, expect, it } from 'vitest';
import { assign, setup } from 'xstate';
import { z } from 'zod';
import { Agent, defineFlow } from '../../src/index.js';
import { FakeLLM, FlowPathError, flowPaths, testFlow } from '../../src/testing/index.js';

const checkout = setup({
  types: { context: {} as { age?: number }, events: {} as { type: 'age_given'; age: number } | { type: 'confirmed' } | { type: 'start_over' } },
  guards: { adult: ({ event }) => event.type === 'age_given' && event.age >= 18 },
}).createMachine({
  id: 'checkout',
  initial: 'asking',
  context: {},
  states: {
    asking: {
      meta: { agent: 'clerk' },
      on: {
        age_given: [
          { guard: 'adult', target: 'confirming', actions: assign({ age: ({ event }) => event.age }), meta: { description: 'The customer said their age', parameters: z.object({ age: z.number() }) } },
          { target: 'refused' },
        ],
      },
      after: { 30_000: 'refused' },
    },
    confirming: { meta: { agent: 'clerk' }, on: { confirmed: { target: 'sold', meta: { description: 'confirmed' } }, start_over: { target: 'asking', meta: { description: 'start over' } } } },
    refused: { type: 'final', meta: { agent: 'bouncer' } },
    sold: { type: 'final', meta: { agent: 'clerk' } },
  },
});

class Clerk extends Agent {
  constructor() {
    super({ id: 'clerk', instructions: 'sell' });
  }
}

class Bouncer extends Agent {
  constructor(private readonly line = 'Sorry, I cannot sell you this.') {
    super({ id: 'bouncer', instructions: 'refuse' });
  }
  override async onEnter() {
    this.session.say(this.line);
  }
}

const flow = (bouncer: () => Agent = () => new Bouncer()) => defineFlow({ machine: checkout, agents: { clerk: () => new Clerk(), bouncer } });

describe('testFlow', () => {
  it('walks every transition, guards with each argument set, timers on virtual time, and reports full coverage', async () => {
    const ends: string[] = [];
    const result = await testFlow(flow(), {
      arguments: { age_given: [{ age: 30 }, { age: 12 }] },
      states: { refused: ({ said }) => expect(said).toEqual(['Sorry, I cannot sell you this.']) },
      eachPath: ({ state, userData }) => void ends.push(`${state} ${JSON.stringify(userData)}`),
    });
    // eachPath saw the end of every path, with what the flow stored on the way.
    expect(ends).toHaveLength(result.paths.length);
    expect(ends).toContain('sold {"age":30}');
    const described = result.paths.map((entry) => entry.path.description);
    expect(described).toContain('asking →age_given→ refused');
    expect(described).toContain('asking →after 30000 ms→ refused');
    expect(described).toContain('asking →age_given→ confirming →start_over→ asking →after 30000 ms→ refused');
    expect(result.coverage.states).toEqual({ covered: 4, total: 4, missing: [] });
    expect(result.coverage.transitions.missing).toEqual([]);
  });

  it('a path that breaks is named, with the turn where it broke and why', async () => {
    const error = await testFlow(flow(() => new Bouncer('Go away.')), {
      arguments: { age_given: [{ age: 30 }, { age: 12 }] },
      states: { refused: ({ said }) => expect(said).toEqual(['Sorry, I cannot sell you this.']) },
    }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(FlowPathError);
    const message = (error as FlowPathError).message;
    expect(message).toMatch(/^\d+ of \d+ paths through flow checkout failed:/);
    expect(message).toContain('- asking →age_given→ refused\n  turn 1 (asking →age_given→ refused): the assertion for refused:');
    expect(message).toContain("'Go away.'");
    // Paths that never reach `refused` passed.
    expect((error as FlowPathError).failed.every((result) => result.path.description.endsWith('refused'))).toBe(true);
  });

  it('an agent that fails on entering fails the paths through its state at that turn', async () => {
    class Broken extends Agent {
      constructor() {
        super({ id: 'bouncer', instructions: 'x' });
      }
      override async onEnter() {
        this.session.generateReply({ toolChoice: { type: 'function', function: { name: 'no_such_tool' } } });
      }
    }
    const error = (await testFlow(flow(() => new Broken()), { arguments: { age_given: { age: 12 } } }).catch((thrown: unknown) => thrown)) as FlowPathError;
    expect(error).toBeInstanceOf(FlowPathError);
    expect(error.message).toContain('turn 1 (asking →age_given→ refused): toolChoice names the tool "no_such_tool"');
  });

  it("a transition the test's LLM is never asked to take (its agent has an LLM of its own) fails the path, saying so", async () => {
    const machine = setup({}).createMachine({
      id: 'stubborn',
      initial: 'a',
      states: { a: { meta: { agent: 'one' }, on: { next: { target: 'b', meta: { description: 'go on' } } } }, b: { type: 'final', meta: { agent: 'one' } } },
    });
    const own = new Agent({ id: 'one', instructions: 'x', llm: new FakeLLM([{ text: 'I answer myself.' }]) });
    const error = (await testFlow(defineFlow({ machine, agents: { one: own } })).catch((thrown: unknown) => thrown)) as FlowPathError;
    expect(error).toBeInstanceOf(FlowPathError);
    expect(error.message).toBe('1 of 1 paths through flow stubborn failed:\n- a →next→ b\n  turn 1 (a →next→ b): the LLM was to call next, but no request offered it (the tools offered last: none)');
  });

  it('too many paths is a clear error, not an endless run', () => {
    expect(() => flowPaths(flow(), { arguments: { age_given: [{ age: 30 }, { age: 12 }] }, maxPaths: 2 })).toThrow(/flow checkout has \d+ paths \(more than maxPaths 2\)/);
  });
});
