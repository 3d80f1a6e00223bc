/** checkFlow: what a flow must be to run (errors) and what it probably should be (warnings). */
import { describe, expect, it } from 'vitest';
import { setup, type AnyStateMachine } from 'xstate';
import { z } from 'zod';
import { Agent, checkFlow, defineFlow } from '../../src/index.js';

const agents = { one: new Agent({ instructions: '1', id: 'one' }), two: new Agent({ instructions: '2', id: 'two' }) };
const check = (machine: AnyStateMachine) => checkFlow(defineFlow({ machine, agents }));

describe('checkFlow', () => {
  it('a flow with phases, a check region beside the conversation, a history state and a final state passes', () => {
    const machine = setup({}).createMachine({
      id: 'ok',
      initial: 'call',
      states: {
        call: {
          type: 'parallel',
          states: {
            talk: {
              initial: 'a',
              meta: { agent: 'one' },
              states: { a: { on: { next: { target: 'b', meta: { description: 'n' } } } }, b: { meta: { agent: 'two' }, on: { back: { target: 'h', meta: { description: 'b' } } } }, h: { type: 'history' } },
            },
            watch: { initial: 'w', states: { w: { after: { 1000: 'seen' } }, seen: { type: 'final' } } },
          },
          on: { end: { target: 'bye', meta: { description: 'e' } } },
        },
        bye: { type: 'final' },
      },
    });
    expect(check(machine)).toEqual({ errors: [], warnings: [] });
  });

  it('two parallel regions that both name agents are refused (one region talks)', () => {
    const machine = setup({}).createMachine({
      id: 'two_voices',
      type: 'parallel',
      states: { left: { meta: { agent: 'one' } }, right: { meta: { agent: 'two' } } },
    });
    expect(check(machine).errors).toContain('parallel state (root two_voices) has 2 regions that name agents (left, right): one region talks, the others work beside it');
  });

  it('a flow naming no agent at all, and parameters with a "type" field, are refused', () => {
    const machine = setup({}).createMachine({
      id: 'nobody',
      initial: 'a',
      states: { a: { on: { go: { target: 'b', meta: { description: 'g', parameters: z.object({ type: z.string() }) } } } }, b: { type: 'final' } },
    });
    const { errors } = check(machine);
    expect(errors).toContain('no state names an agent: give the states that talk meta: { agent: "<name>" }');
    expect(errors).toContain('transition go of state a: its parameters have a "type" field, which is the event\'s own; rename it');
  });

  it('parameters that are not an object schema are refused with the tool named', () => {
    const machine = setup({}).createMachine({
      id: 'bad_params',
      initial: 'a',
      states: { a: { meta: { agent: 'one' }, on: { go: { target: 'b', meta: { description: 'g', parameters: z.string() } } } }, b: { type: 'final' } },
    });
    expect(check(machine).errors.join('\n')).toMatch(/transition go of state a: .*go/);
  });

  it('warnings: no final state (the session ends it), and a state nothing leads to', () => {
    const machine = setup({}).createMachine({
      id: 'endless',
      initial: 'a',
      states: { a: { meta: { agent: 'one' }, on: { go: 'b' } }, b: { meta: { agent: 'two' }, on: { go: 'a' } }, orphan: { meta: { agent: 'one' } } },
    });
    const { errors, warnings } = check(machine);
    expect(errors).toEqual([]);
    expect(warnings).toEqual(['the flow has no final state: the conversation ends only when the session closes', 'state orphan is unreachable: no transition leads to it']);
  });

  it('a dead end inside a parallel state is fine when another region leads out', () => {
    const machine = setup({}).createMachine({
      id: 'regions',
      initial: 'p',
      states: {
        p: {
          type: 'parallel',
          states: {
            talk: { initial: 't', meta: { agent: 'one' }, states: { t: { on: { out: { target: '#regions.done', meta: { description: 'o' } } } } } },
            check: { initial: 'idle', states: { idle: { on: { flag: 'stuck' } }, stuck: {} } },
          },
        },
        done: { type: 'final' },
      },
    });
    expect(check(machine).errors).toEqual([]);
  });
});
