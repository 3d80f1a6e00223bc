/**
 * One listener of one event on an EventEmitter: the on / once / off rules as a statechart.
 *
 * This machine is the specification the EventEmitter is tested against (model-based and property
 * tests); the emitter itself implements it with plain arrays, because emitting is a hot path
 * (tens of millions of deliveries a second) that must never go through an actor transition.
 *
 * - Registering a listener that is already registered for the event is ignored, whether by on or
 *   by once: a listener is registered at most once.
 * - A subscription made with `on` stays until `off`; one made with `once` ends at its first
 *   delivery (it is removed before it is called, so a re-entrant emit does not call it again).
 */
import { setup } from 'xstate';

export type ListenerEvent =
  | { type: 'on' }
  | { type: 'once' }
  | { type: 'off' }
  | { type: 'emit' };

export const listenerMachine = setup({
  types: {
    events: {} as ListenerEvent,
    emitted: {} as { type: 'delivered' },
  },
  actions: {
    // Calling the listener is the emitter's job; the statechart only records that it happens.
    deliver: () => {},
  },
}).createMachine({
  id: 'listener',
  initial: 'unsubscribed',
  states: {
    unsubscribed: {
      on: {
        on: 'subscribed.persistent',
        once: 'subscribed.once',
      },
    },
    subscribed: {
      initial: 'persistent',
      on: { off: 'unsubscribed' },
      states: {
        persistent: {
          on: { emit: { actions: 'deliver' } },
        },
        once: {
          on: { emit: { target: '#listener.unsubscribed', actions: 'deliver' } },
        },
      },
    },
  },
});
