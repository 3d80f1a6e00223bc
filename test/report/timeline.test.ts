import { assign, createActor, setup } from 'xstate';
import { describe, expect, it } from 'vitest';
import { Timeline } from '../../src/report/timeline.js';

const machine = setup({ types: { events: {} as { type: 'count' } | { type: 'next' } | { type: 'stop' }, context: {} as { count: number } } }).createMachine({
  id: 'parallel',
  type: 'parallel',
  context: { count: 0 },
  states: {
    a: { initial: 'one', states: { one: { on: { next: 'two' } }, two: { on: { stop: '#parallel.done' } } } },
    b: { initial: 'idle', states: { idle: {} } },
    done: { type: 'final' },
  },
  on: { count: { actions: assign({ count: ({ context }) => context.count + 1 }) } },
});

describe('Timeline', () => {
  it('records each transition of a watched actor with its event, and no snapshot that changes only the context', () => {
    const timeline = new Timeline();
    const actor = createActor(machine).start();
    timeline.watch(actor, 'thing');
    actor.send({ type: 'count' });
    actor.send({ type: 'count' });
    actor.send({ type: 'next' });
    actor.send({ type: 'count' });
    expect(timeline.entries.map(({ actor: role, event, state }) => [role, event, state])).toEqual([
      ['thing', 'xstate.init', { a: 'one', b: 'idle', done: {} }],
      ['thing', 'next', { a: 'two', b: 'idle', done: {} }],
    ]);
    expect(timeline.machines()).toHaveProperty('parallel');
    actor.stop();
  });
});
