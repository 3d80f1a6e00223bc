// A user's conversation flow, tested by every path with voxstate/testing, as the README shows.
import { expect, it } from 'vitest';
import { assign, setup } from 'xstate';
import { z } from 'zod';
import { Agent, defineFlow } from 'voxstate';
import { testFlow } from 'voxstate/testing';

const order = setup({ types: { context: {} as { dish?: string }, events: {} as { type: 'dish_chosen'; dish: string } | { type: 'order_confirmed' } } }).createMachine({
  id: 'order',
  initial: 'choosing',
  context: {},
  states: {
    choosing: {
      meta: { agent: 'waiter' },
      on: { dish_chosen: { target: 'confirming', actions: assign({ dish: ({ event }) => event.dish }), meta: { description: 'The guest chose a dish', parameters: z.object({ dish: z.string() }) } } },
      after: { 60_000: 'done' },
    },
    confirming: { meta: { agent: 'waiter' }, on: { order_confirmed: { target: 'done', meta: { description: 'The guest confirmed' } } } },
    done: { type: 'final', meta: { agent: 'host' } },
  },
});

class Host extends Agent<{ dish?: string }> {
  override async onEnter() {
    this.session.say(this.session.userData.dish ? `Enjoy your ${this.session.userData.dish}!` : 'See you soon!');
  }
}

const flow = defineFlow({ machine: order, agents: { waiter: () => new Agent({ instructions: 'Take the order.' }), host: () => new Host({ instructions: 'Say goodbye.' }) } });

it('every path through the order flow', async () => {
  const result = await testFlow(flow, {
    arguments: { dish_chosen: { dish: 'soup' } },
    states: { done: ({ said, userData }) => expect(said.at(-1)).toBe((userData as { dish?: string }).dish ? 'Enjoy your soup!' : 'See you soon!') },
  });
  expect(result.coverage.transitions.missing).toEqual([]);
});
