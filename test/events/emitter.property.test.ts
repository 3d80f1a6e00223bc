/**
 * Property test: random command sequences run against the real EventEmitter and against a
 * reference model written here with plain arrays, straight from the documented rules:
 *
 * 1. a listener is registered at most once per event: on / once of a registered listener is ignored;
 * 2. off removes the listener however it was registered; removeAllListeners removes them all;
 * 3. emit delivers to the registrations present when it starts, in registration order: one removed
 *    meanwhile is still called if it had not run, one added meanwhile waits for the next emit;
 * 4. a once registration is removed before its call and is called at most once, whichever emit
 *    (outer or re-entered) reaches it first;
 * 5. a throwing listener does not stop the others; unless the failing event is `error`, the failure
 *    is emitted right away as `error` with a ListenerError; every failure is logged.
 *
 * Listeners react to deliveries by calling on / once / off / removeAllListeners / emit or throwing,
 * so re-entrancy is exercised; emits from inside listeners stop at MAX_DEPTH nested deliveries.
 * The two traces (every call: listener id, event, payload; every top-level emit's return value;
 * listener lists after each command; number of failures logged) must be identical.
 */
import { fc, test } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { ListenerError } from '../../src/errors.js';
import { EventEmitter } from '../../src/events/emitter.js';
import { createLogger, rootLogger, setRootLogger, type Logger } from '../../src/log/logger.js';

const EVENTS = ['a', 'b', 'error'] as const;
type EventName = (typeof EVENTS)[number];
const LISTENER_IDS = 4;
const MAX_DEPTH = 3;

type Payload = { event: EventName; n: number };
type Arg = Payload | ListenerError;
type Fn = (arg: Arg) => void;

type Action =
  | { do: 'on' | 'once' | 'off'; id: number; event: EventName }
  | { do: 'removeAll'; event: EventName | undefined }
  | { do: 'emit'; event: 'a' | 'b' }
  | { do: 'throw' };
type Command = Exclude<Action, { do: 'throw' }>;

/** What both implementations offer the harness. */
interface Subject {
  on(event: EventName, fn: Fn): unknown;
  once(event: EventName, fn: Fn): unknown;
  off(event: EventName, fn: Fn): unknown;
  removeAllListeners(event?: EventName): unknown;
  emit(event: EventName, arg: Arg): boolean;
  listeners(event: EventName): Fn[];
}

// ---- the reference model ----

interface Registration {
  fn: Fn;
  once: boolean;
}

class Model implements Subject {
  /** Registrations by event, in registration order. */
  readonly #lists = new Map<EventName, Registration[]>();
  /** Once registrations already delivered (rule 4). */
  readonly #spent = new Set<Registration>();
  failures = 0;

  #list(event: EventName): Registration[] {
    let list = this.#lists.get(event);
    if (!list) this.#lists.set(event, (list = []));
    return list;
  }

  on(event: EventName, fn: Fn): void {
    if (!this.#list(event).some((r) => r.fn === fn)) this.#list(event).push({ fn, once: false });
  }

  once(event: EventName, fn: Fn): void {
    if (!this.#list(event).some((r) => r.fn === fn)) this.#list(event).push({ fn, once: true });
  }

  off(event: EventName, fn: Fn): void {
    const list = this.#list(event);
    const at = list.findIndex((r) => r.fn === fn);
    if (at >= 0) list.splice(at, 1);
  }

  removeAllListeners(event?: EventName): void {
    if (event === undefined) this.#lists.clear();
    else this.#lists.delete(event);
  }

  listeners(event: EventName): Fn[] {
    return this.#list(event).map((r) => r.fn);
  }

  emit(event: EventName, arg: Arg): boolean {
    const snapshot = [...this.#list(event)];
    for (const registration of snapshot) {
      if (registration.once) {
        if (this.#spent.has(registration)) continue;
        this.#spent.add(registration);
        const list = this.#list(event);
        if (list.includes(registration)) list.splice(list.indexOf(registration), 1);
      }
      try {
        registration.fn.call(this, arg);
      } catch (cause) {
        this.failures++;
        if (event !== 'error' && this.#list('error').length > 0) this.emit('error', new ListenerError(event, cause));
      }
    }
    return snapshot.length > 0;
  }
}

// ---- the harness, identical for both ----

function run(subject: Subject, behaviours: Action[][], commands: Command[]): string[] {
  const trace: string[] = [];
  let depth = 0;
  let emitted = 0;
  const fns: Fn[] = behaviours.map((actions, id) => (arg: Arg) => {
    if (arg instanceof ListenerError) {
      trace.push(`L${id} <- error: ${String(arg.event)} failed with ${(arg.cause as Error).message}`);
    } else {
      trace.push(`L${id} <- ${arg.event}#${arg.n}`);
    }
    depth++;
    try {
      for (const action of actions) perform(action, id);
    } finally {
      depth--;
    }
  });
  const perform = (action: Action, by: number | 'test') => {
    switch (action.do) {
      case 'on':
      case 'once':
      case 'off':
        subject[action.do](action.event, fns[action.id]!);
        break;
      case 'removeAll':
        subject.removeAllListeners(action.event);
        break;
      case 'emit': {
        if (by !== 'test' && depth >= MAX_DEPTH) break;
        const payload: Payload = { event: action.event, n: ++emitted };
        const delivered = subject.emit(action.event, payload);
        if (by === 'test') trace.push(`emit ${action.event}#${payload.n} -> ${delivered}`);
        break;
      }
      case 'throw':
        throw new Error(`L${String(by)} threw`);
    }
  };
  const listed = () =>
    EVENTS.map((event) => `${event}:[${subject.listeners(event).map((fn) => fns.indexOf(fn)).join(',')}]`).join(' ');
  for (const command of commands) {
    perform(command, 'test');
    trace.push(listed());
  }
  return trace;
}

// ---- generators ----

const eventName = fc.oneof(
  { arbitrary: fc.constantFrom('a' as const, 'b' as const), weight: 4 },
  { arbitrary: fc.constant('error' as const), weight: 1 },
);
const listenerId = fc.nat({ max: LISTENER_IDS - 1 });
const registration = (weights: { on: number; once: number; off: number }) =>
  fc.record({
    do: fc.oneof(
      { arbitrary: fc.constant('on' as const), weight: weights.on },
      { arbitrary: fc.constant('once' as const), weight: weights.once },
      { arbitrary: fc.constant('off' as const), weight: weights.off },
    ),
    id: listenerId,
    event: eventName,
  });
const emitAction = fc.record({ do: fc.constant('emit' as const), event: fc.constantFrom('a' as const, 'b' as const) });
const removeAll = fc.record({ do: fc.constant('removeAll' as const), event: fc.option(eventName, { nil: undefined }) });

const command: fc.Arbitrary<Command> = fc.oneof(
  { arbitrary: registration({ on: 3, once: 2, off: 1 }), weight: 6 },
  { arbitrary: emitAction, weight: 5 },
  { arbitrary: removeAll, weight: 1 },
);
const action: fc.Arbitrary<Action> = fc.oneof(
  { arbitrary: registration({ on: 1, once: 1, off: 2 }), weight: 5 },
  { arbitrary: emitAction, weight: 2 },
  { arbitrary: removeAll, weight: 1 },
  { arbitrary: fc.constant({ do: 'throw' as const }), weight: 2 },
);
/** What each listener does when called (the same on every call), in order; a throw ends it. */
const behaviours = fc.array(fc.array(action, { maxLength: 3 }), { minLength: LISTENER_IDS, maxLength: LISTENER_IDS });
const commands = fc.array(command, { minLength: 5, maxLength: 40, size: 'medium' });

// Failures are logged: count them (and keep them off stderr).
let logged = 0;
let previousLogger: Logger;
beforeAll(() => {
  previousLogger = rootLogger();
  setRootLogger(createLogger({ write: () => void logged++ }, { level: 'error' }));
});
afterAll(() => {
  setRootLogger(previousLogger);
});

function outcome(subject: Subject, b: Action[][], c: Command[]): { trace: string[]; failures: number } {
  const before = logged;
  const trace = run(subject, b, c);
  return { trace, failures: subject instanceof Model ? subject.failures : logged - before };
}

describe('EventEmitter against the reference model', () => {
  test.prop([behaviours, commands], { numRuns: 800, seed: 20_260_722 })(
    'every call, return value and listener list is the same',
    (b, c) => {
      const real = outcome(new EventEmitter<Record<EventName, Fn>>() as unknown as Subject, b, c);
      const model = outcome(new Model(), b, c);
      expect(real.trace).toEqual(model.trace);
      expect(real.failures).toBe(model.failures);
    },
  );

  test.prop([behaviours, commands], { numRuns: 300 })('the same with a fresh seed each run', (b, c) => {
    const real = outcome(new EventEmitter<Record<EventName, Fn>>() as unknown as Subject, b, c);
    const model = outcome(new Model(), b, c);
    expect(real.trace).toEqual(model.trace);
    expect(real.failures).toBe(model.failures);
  });
});
