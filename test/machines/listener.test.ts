/**
 * Model-based test of the EventEmitter against its specification, machines/listener.ts.
 *
 * Paths of listenerMachine (shortest and simple paths, xstate/graph) drive a real EventEmitter with
 * one listener function: on / once / off / emit become emitter.on / once / off / emit. After every
 * step the emitter must hold the listener exactly when the machine is in `subscribed`. What the
 * user of the emitter observes — whether the listener is registered, and which emits called it,
 * with which payloads — must also be what ListenerContract says: the README's on / once / off rules
 * written out here, independently of the machine, so that a bug made in both the machine and the
 * emitter still fails. In every state, the events the contract says change nothing there (a second
 * on or once, off while unsubscribed, emit while unsubscribed) are also sent to the emitter, which
 * must ignore them.
 *
 * The EventEmitter has no actor (emitting is a hot path), so CoverageTracker cannot see it;
 * coverage is measured here from the real emitter instead: each step's observable effect
 * (registered or not before and after, delivered or not) is classified as one transition of the
 * machine, which must be the transition the machine took.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { SnapshotFrom } from 'xstate';
import { createTestModel } from 'xstate/graph';
import { listenerMachine, type ListenerEvent } from '../../machines/listener.js';
import { EventEmitter } from '../../src/events/emitter.js';
import { machineInventory } from '../support/model_coverage.js';

type Snapshot = SnapshotFrom<typeof listenerMachine>;
type Events = { tick: (payload: string) => void };
const EVENT_TYPES: ListenerEvent['type'][] = ['on', 'once', 'off', 'emit'];

const inventory = machineInventory(listenerMachine);
const observedStates = new Set<string>();
const observedTransitions = new Set<string>();

/** The inventory key (see model_coverage.ts) of the transition the machine takes on `type`. */
function machineTransition(snapshot: Snapshot, type: ListenerEvent['type']): string | null {
  const [t] = listenerMachine.getTransitionData(snapshot, { type });
  if (t === undefined) return null;
  const index = (t.source.transitions.get(type) ?? []).indexOf(t);
  const targets = (t.target ?? []).map((node) => node.id).join(',') || '(self)';
  return `${t.source.id} --${type}#${index}--> ${targets}`;
}

/** A state node id with its ancestors' ids: listener.subscribed.once → listener, listener.subscribed, … */
function withAncestors(id: string): string[] {
  const parts = id.split('.');
  return parts.map((_, i) => parts.slice(0, i + 1).join('.'));
}

/** Records a transition the real emitter was seen making, and the states it left and entered. */
function recordObserved(transition: string): void {
  observedTransitions.add(transition);
  const [, source, target] = /^(\S+) --\S+--> (\S+)$/.exec(transition)!;
  for (const id of [source!, target === '(self)' ? source! : target!]) for (const state of withAncestors(id)) observedStates.add(state);
}

/**
 * One listener's registration by the README's rules: registering a listener that is registered is
 * ignored (by on or once); `on` stays until `off`; `once` ends at its first delivery.
 */
class ListenerContract {
  registration: 'none' | 'on' | 'once' = 'none';

  get registered(): boolean {
    return this.registration !== 'none';
  }

  /** Whether `type` leaves everything as it is. */
  ignores(type: ListenerEvent['type']): boolean {
    return type === 'on' || type === 'once' ? this.registered : !this.registered;
  }

  /** Applies `type`; whether the listener is called. */
  apply(type: ListenerEvent['type']): boolean {
    if (this.ignores(type)) return false;
    if (type === 'on' || type === 'once') this.registration = type;
    else if (type === 'off') this.registration = 'none';
    else {
      if (this.registration === 'once') this.registration = 'none';
      return true;
    }
    return false;
  }
}

/** A real emitter with one listener, and what the listener received. */
class Subject {
  readonly emitter = new EventEmitter<Events>();
  readonly received: string[] = [];
  readonly listener = (payload: string) => {
    this.received.push(payload);
  };
  /** Every payload emitted, in order; each emit has its own. */
  readonly emitted: string[] = [];

  get registered(): boolean {
    return this.emitter.listeners('tick').includes(this.listener);
  }

  apply(type: ListenerEvent['type']): void {
    switch (type) {
      case 'on':
        this.emitter.on('tick', this.listener);
        break;
      case 'once':
        this.emitter.once('tick', this.listener);
        break;
      case 'off':
        this.emitter.off('tick', this.listener);
        break;
      case 'emit': {
        const payload = `emit-${this.emitted.length + 1}`;
        this.emitted.push(payload);
        this.emitter.emit('tick', payload);
        break;
      }
    }
  }

  /**
   * Which transition of the machine the emitter's observable behaviour shows for an event of
   * `type` applied from a state where the listener was (or was not) registered: null if nothing
   * observable happened.
   */
  observe(type: ListenerEvent['type'], wasRegistered: boolean, callsBefore: number): string | null {
    const delivered = this.received.length - callsBefore;
    const is = this.registered;
    if (delivered > 1) throw new Error(`one emit delivered ${delivered} times`);
    if (type === 'on' && !wasRegistered && is && delivered === 0)
      return 'listener.unsubscribed --on#0--> listener.subscribed.persistent';
    if (type === 'once' && !wasRegistered && is && delivered === 0)
      return 'listener.unsubscribed --once#0--> listener.subscribed.once';
    if (type === 'off' && wasRegistered && !is && delivered === 0)
      return 'listener.subscribed --off#0--> listener.unsubscribed';
    if (type === 'emit' && wasRegistered && is && delivered === 1)
      return 'listener.subscribed.persistent --emit#0--> (self)';
    if (type === 'emit' && wasRegistered && !is && delivered === 1)
      return 'listener.subscribed.once --emit#0--> listener.unsubscribed';
    if (wasRegistered === is && delivered === 0) return null;
    throw new Error(`${type}: registered ${wasRegistered} -> ${is}, ${delivered} deliveries: no transition of the machine does that`);
  }
}

const model = createTestModel(listenerMachine);
const paths = new Map<string, ReturnType<typeof model.getShortestPaths>[number]>();
for (const path of [...model.getShortestPaths(), ...model.getSimplePaths()]) paths.set(path.description, path);

describe('listener machine drives a real EventEmitter', () => {
  it('generates paths', () => {
    expect(paths.size).toBeGreaterThanOrEqual(4);
  });

  for (const [description, path] of paths) {
    it(description, async () => {
      // A fresh emitter per path (the path's first step, xstate.init, checks it is empty).
      const subject = new Subject();
      const contract = new ListenerContract();
      let current: Snapshot | undefined;
      let pending: { type: ListenerEvent['type']; wasRegistered: boolean; callsBefore: number; before: Snapshot } | undefined;

      const check = (snapshot: Snapshot) => {
        // The emitter follows the machine…
        expect(subject.registered).toBe(snapshot.matches('subscribed'));
        // …and what its user sees is the contract's.
        expect(subject.registered).toBe(contract.registered);
        expect(subject.emitter.listenerCount('tick')).toBe(contract.registered ? 1 : 0);
      };

      const expected: string[] = [];

      const act = (type: ListenerEvent['type']) => () => {
        pending = { type, wasRegistered: subject.registered, callsBefore: subject.received.length, before: current! };
        subject.apply(type);
        if (contract.apply(type)) expected.push(subject.emitted.at(-1)!);
      };

      await path.test({
        events: {
          on: act('on'),
          once: act('once'),
          off: act('off'),
          emit: act('emit'),
        },
        states: {
          '*': (snapshot) => {
            const state = snapshot as Snapshot;
            // Called for exactly the emits the contract delivers, in order, with their payloads.
            expect(subject.received).toEqual(expected);
            check(state);
            if (pending !== undefined) {
              // The transition shown by the emitter is the one the machine took.
              const observed = subject.observe(pending.type, pending.wasRegistered, pending.callsBefore);
              expect(observed).toBe(machineTransition(pending.before, pending.type));
              if (observed) recordObserved(observed);
            }
            current = state;

            // Events that change nothing here by the contract must leave the emitter as it is; the
            // machine does not accept them either.
            for (const type of EVENT_TYPES) {
              if (!contract.ignores(type)) continue;
              expect(state.can({ type }), `the machine accepts ${type} in ${JSON.stringify(state.value)}`).toBe(false);
              const wasRegistered = subject.registered;
              const callsBefore = subject.received.length;
              subject.apply(type);
              expect(subject.observe(type, wasRegistered, callsBefore), `${type} in ${JSON.stringify(state.value)}`).toBeNull();
              check(state);
            }
            pending = undefined;
          },
        },
      });
    });
  }
});

afterAll(() => {
  const missingStates = [...inventory.states].filter((id) => !observedStates.has(id));
  const missingTransitions = [...inventory.transitions].filter((key) => !observedTransitions.has(key));
  const lines = [
    `listener machine coverage (observed on the real EventEmitter, ${paths.size} paths): states ${inventory.states.size - missingStates.length}/${inventory.states.size}, transitions ${inventory.transitions.size - missingTransitions.length}/${inventory.transitions.size}`,
  ];
  if (missingStates.length) lines.push(`  states not reached: ${missingStates.join('; ')}`);
  if (missingTransitions.length) lines.push(`  transitions not taken: ${missingTransitions.join('; ')}`);
  console.log(lines.join('\n'));
  expect(missingStates).toEqual([]);
  expect(missingTransitions).toEqual([]);
});
