// A flow in plain JavaScript, for `voxstate viz` in the consumer project.
import { setup } from 'xstate';
import { Agent, defineFlow } from 'voxstate';

const desk = setup({}).createMachine({
  id: 'desk',
  initial: 'front',
  states: {
    front: { meta: { agent: 'front' }, on: { to_billing: { target: 'billing', meta: { description: 'The caller has a billing question' } } } },
    billing: { meta: { agent: 'billing' }, on: { resolved: { target: 'done', meta: { description: 'Answered' } } } },
    done: { type: 'final' },
  },
});

export const deskFlow = defineFlow({ machine: desk, agents: { front: new Agent({ instructions: 'front' }), billing: new Agent({ instructions: 'billing' }) } });
