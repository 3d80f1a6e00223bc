/**
 * Property test: the bus keeps the EventEmitter's registration rules (machines/listener.ts).
 * Random sequences of on / once / off / removeAllListeners / emit, where handlers themselves may
 * register, remove or emit while being delivered, run against AgentRuntime and against the
 * EventEmitter; each bus emit is awaited before the next command, so deliveries are comparable.
 * The calls (handler id and payload, in order) and the handler counts after each command must be
 * the same.
 *
 * One difference is by design and kept out of the comparison: an emit made by a handler is
 * delivered by the EventEmitter at once (re-entrantly) and by the bus after the current delivery.
 * So only world:joined's handlers emit (on world:left), a handler changes only its own event's
 * registrations, and within each command the calls are compared event by event, in order, not
 * interleaved across events.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { AgentRuntime } from '../../src/bus/runtime.js';
import { EventEmitter } from '../../src/events/emitter.js';

type EventName = 'world:joined' | 'world:left';
const EVENTS: EventName[] = ['world:joined', 'world:left'];
const IDS = 4;

type Reaction = { do: 'none' } | { do: 'on' | 'once' | 'off'; id: number; event: EventName } | { do: 'emitLeft' };
type Command = { do: 'on' | 'once' | 'off'; id: number; event: EventName } | { do: 'removeAll'; event: EventName | undefined } | { do: 'emit'; event: EventName };

const event = fc.constantFrom(...EVENTS);
const id = fc.integer({ min: 0, max: IDS - 1 });
const reaction: fc.Arbitrary<Reaction> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ do: 'none' as const }) },
  fc.record({ do: fc.constantFrom('on' as const, 'once' as const, 'off' as const), id, event }),
  fc.constant({ do: 'emitLeft' as const }),
);
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ do: fc.constantFrom('on' as const, 'once' as const, 'off' as const), id, event }) },
  { weight: 1, arbitrary: fc.record({ do: fc.constant('removeAll' as const), event: fc.option(event, { nil: undefined }) }) },
  { weight: 4, arbitrary: fc.record({ do: fc.constant('emit' as const), event }) },
);

interface Target {
  on(event: EventName, fn: (p: { n: number }) => void): void;
  once(event: EventName, fn: (p: { n: number }) => void): void;
  off(event: EventName, fn: (p: { n: number }) => void): void;
  removeAll(event: EventName | undefined): void;
  emit(event: EventName, n: number): Promise<void> | void;
  count(event: EventName): number;
}

async function trace(target: Target, reactions: Reaction[][], commands: Command[]): Promise<string[]> {
  const out: string[] = [];
  let n = 0;
  // Handler `i` of event `e`: the same function object for the whole run (identity matters).
  const fns = EVENTS.map((e, ei) =>
    Array.from({ length: IDS }, (_, i) => (payload: { n: number }) => {
      out.push(`${e}#${i}(${payload.n})`);
      const react = reactions[ei]![i]!;
      // A handler changes only its own event's registrations: across events, the EventEmitter
      // delivers world:left (emitted by a world:joined handler) before the rest of world:joined's
      // delivery, the bus after it, so cross-event changes would land in a different order.
      if (react.do !== 'none' && react.do !== 'emitLeft' && react.event !== e) return;
      if (react.do === 'emitLeft') {
        if (e === 'world:joined') void target.emit('world:left', ++n);
      } else if (react.do !== 'none') target[react.do](react.event, fns[EVENTS.indexOf(react.event)]![react.id]!);
    }),
  );
  for (const c of commands) {
    if (c.do === 'emit') await target.emit(c.event, ++n);
    else if (c.do === 'removeAll') target.removeAll(c.event);
    else target[c.do](c.event, fns[EVENTS.indexOf(c.event)]![c.id]!);
    // Let an emit made by a handler be delivered before the next command (the bus delivers it later).
    await new Promise((resolve) => setImmediate(resolve));
    out.push(`counts ${EVENTS.map((e) => target.count(e)).join(',')}`);
  }
  return byEvent(out);
}

/** Within each command's segment, the calls grouped by event (each group in its own order). */
function byEvent(lines: string[]): string[] {
  const result: string[] = [];
  let segment: string[] = [];
  for (const line of lines) {
    if (!line.startsWith('counts')) {
      segment.push(line);
      continue;
    }
    for (const e of EVENTS) result.push(...segment.filter((call) => call.startsWith(`${e}#`)));
    result.push(line);
    segment = [];
  }
  return result;
}

describe('the bus keeps the emitter rules', () => {
  test.prop([fc.array(fc.array(reaction, { minLength: IDS, maxLength: IDS }), { minLength: 2, maxLength: 2 }), fc.array(command, { maxLength: 30 })], { numRuns: 300 })(
    'same calls and handler counts as the EventEmitter',
    async (reactions, commands) => {
      const emitter = new EventEmitter<Record<EventName, (p: { n: number }) => void>>();
      const runtime = new AgentRuntime();
      const viaEmitter = await trace(
        {
          on: (e, fn) => void emitter.on(e, fn),
          once: (e, fn) => void emitter.once(e, fn),
          off: (e, fn) => void emitter.off(e, fn),
          removeAll: (e) => void emitter.removeAllListeners(e),
          emit: (e, n) => void emitter.emit(e, { n }),
          count: (e) => emitter.listenerCount(e),
        },
        reactions,
        commands,
      );
      const viaBus = await trace(
        {
          on: (e, fn) => void runtime.on(e, fn as never),
          once: (e, fn) => void runtime.once(e, fn as never),
          off: (e, fn) => void runtime.off(e, fn as never),
          removeAll: (e) => void runtime.removeAllListeners(e),
          emit: (e, n) => runtime.emit(e, { worldId: '', n } as never),
          count: (e) => runtime.listenerCount(e),
        },
        reactions,
        commands,
      );
      expect(viaBus).toEqual(viaEmitter);
    },
  );
});
