/**
 * EventEmitter: LiveKit rtc emitter semantics (see the header of src/events/emitter.ts and
 * machines/listener.ts): one registration per listener and event, snapshot delivery, once,
 * failing listeners reported as `error` events carrying a ListenerError and logged.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ListenerError } from '../../src/errors.js';
import { EventEmitter } from '../../src/events/emitter.js';
import { createLogger, rootLogger, setRootLogger, type Logger } from '../../src/log/logger.js';

type Events = {
  greet: (name: string) => void;
  other: (n: number) => void;
  many: (...args: unknown[]) => void;
  error: (error: ListenerError) => void;
};

interface LogLine {
  level: number;
  msg: string;
  event?: string;
  err?: { type?: string; message?: string };
}

let logs: LogLine[];
let previousLogger: Logger;

beforeEach(() => {
  logs = [];
  previousLogger = rootLogger();
  setRootLogger(createLogger({ write: (line: string) => void logs.push(JSON.parse(line) as LogLine) }, { level: 'debug' }));
});

afterEach(() => {
  setRootLogger(previousLogger);
});

/** Lets promise callbacks (a rejected async listener's report) run. */
async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

const errorLogs = () => logs.filter((line) => line.level >= 50);

describe('the seed example (basic_event)', () => {
  it('greets Alice once although greet is registered twice, never Bob, and the once listener runs once', () => {
    const emitter = new EventEmitter<Events>();
    const greet = vi.fn((_name: string) => {});
    const onceListener = vi.fn((_name: string) => {});
    emitter.on('greet', greet);
    emitter.on('greet', greet);
    emitter.once('greet', onceListener);

    emitter.emit('greet', 'Alice');
    emitter.off('greet', greet);
    emitter.emit('greet', 'Bob');

    expect(greet).toHaveBeenCalledTimes(1);
    expect(greet).toHaveBeenCalledWith('Alice');
    expect(greet).not.toHaveBeenCalledWith('Bob');
    expect(onceListener).toHaveBeenCalledTimes(1);
    expect(onceListener).toHaveBeenCalledWith('Alice');
    expect(emitter.listenerCount('greet')).toBe(0);
  });
});

describe('registration', () => {
  it('registers a listener at most once per event with on', () => {
    const emitter = new EventEmitter<Events>();
    const listener = vi.fn();
    expect(emitter.on('greet', listener)).toBe(emitter);
    emitter.on('greet', listener);
    expect(emitter.listenerCount('greet')).toBe(1);
    emitter.emit('greet', 'a');
    expect(listener).toHaveBeenCalledTimes(1);
  });

  it('ignores once for a listener registered with on: it stays persistent', () => {
    const emitter = new EventEmitter<Events>();
    const listener = vi.fn();
    emitter.on('greet', listener);
    expect(emitter.once('greet', listener)).toBe(emitter);
    expect(emitter.listenerCount('greet')).toBe(1);
    emitter.emit('greet', 'a');
    emitter.emit('greet', 'b');
    expect(listener.mock.calls).toEqual([['a'], ['b']]);
    expect(emitter.listenerCount('greet')).toBe(1);
  });

  it('ignores on (and a second once) for a listener registered with once: it still runs once', () => {
    const emitter = new EventEmitter<Events>();
    const listener = vi.fn();
    emitter.once('greet', listener);
    emitter.on('greet', listener);
    emitter.once('greet', listener);
    expect(emitter.listenerCount('greet')).toBe(1);
    emitter.emit('greet', 'a');
    emitter.emit('greet', 'b');
    expect(listener.mock.calls).toEqual([['a']]);
    expect(emitter.listenerCount('greet')).toBe(0);
  });

  it('keeps registrations of the same function on different events apart', () => {
    const emitter = new EventEmitter<Events>();
    const listener = vi.fn();
    emitter.on('greet', listener);
    emitter.once('other', listener);
    emitter.emit('other', 1);
    emitter.emit('other', 2);
    emitter.emit('greet', 'a');
    expect(listener.mock.calls).toEqual([[1], ['a']]);
    expect(emitter.listenerCount('greet')).toBe(1);
    expect(emitter.listenerCount('other')).toBe(0);
  });

  it('off removes a listener registered with on or with once', () => {
    const emitter = new EventEmitter<Events>();
    const persistent = vi.fn();
    const once = vi.fn();
    emitter.on('greet', persistent);
    emitter.once('greet', once);
    expect(emitter.off('greet', persistent)).toBe(emitter);
    emitter.off('greet', once);
    expect(emitter.listenerCount('greet')).toBe(0);
    expect(emitter.emit('greet', 'a')).toBe(false);
    expect(persistent).not.toHaveBeenCalled();
    expect(once).not.toHaveBeenCalled();
  });

  it('off of a listener or an event that is not registered does nothing', () => {
    const emitter = new EventEmitter<Events>();
    const listener = vi.fn();
    const stranger = vi.fn();
    emitter.on('greet', listener);
    expect(emitter.off('greet', stranger)).toBe(emitter);
    expect(emitter.off('other', listener)).toBe(emitter);
    emitter.emit('greet', 'a');
    expect(listener).toHaveBeenCalledTimes(1);
    expect(stranger).not.toHaveBeenCalled();
  });

  it('a listener can be registered again after off, with on or once', () => {
    const emitter = new EventEmitter<Events>();
    const listener = vi.fn();
    emitter.on('greet', listener);
    emitter.off('greet', listener);
    emitter.once('greet', listener);
    emitter.emit('greet', 'a');
    emitter.emit('greet', 'b');
    emitter.on('greet', listener);
    emitter.emit('greet', 'c');
    expect(listener.mock.calls).toEqual([['a'], ['c']]);
  });

  it.each([
    ['on', undefined],
    ['on', 'not a function'],
    ['once', null],
    ['once', { handleEvent() {} }],
  ] as const)('%s with a non-function listener (%o) throws a TypeError and registers nothing', (method, listener) => {
    const emitter = new EventEmitter<Events>();
    expect(() => emitter[method]('greet', listener as never)).toThrow(TypeError);
    expect(() => emitter[method]('greet', listener as never)).toThrow(/listener for "greet" must be a function/);
    expect(emitter.listenerCount('greet')).toBe(0);
    expect(emitter.emit('greet', 'a')).toBe(false);
  });

  it('treats event names such as "constructor", "__proto__" and "toString", and symbols, as ordinary events', () => {
    type Odd = { constructor: () => void; __proto__: () => void; toString: () => void; hasOwnProperty: () => void };
    const emitter = new EventEmitter<Odd>();
    const symbol = Symbol('tick');
    const symbolic = emitter as unknown as EventEmitter<{ [symbol]: (n: number) => void }>;
    expect(emitter.listenerCount('constructor')).toBe(0);
    expect(emitter.listeners('toString')).toEqual([]);
    expect(emitter.emit('toString')).toBe(false);
    expect(emitter.emit('hasOwnProperty')).toBe(false);

    const calls: string[] = [];
    emitter.on('constructor', () => calls.push('constructor'));
    emitter.on('__proto__', () => calls.push('__proto__'));
    const sym = vi.fn();
    symbolic.on(symbol, sym);
    expect(emitter.emit('constructor')).toBe(true);
    expect(emitter.emit('__proto__')).toBe(true);
    expect(emitter.emit('toString')).toBe(false);
    symbolic.emit(symbol, 7);
    expect(calls).toEqual(['constructor', '__proto__']);
    expect(sym).toHaveBeenCalledWith(7);
    expect(emitter.listenerCount('__proto__')).toBe(1);
  });
});

describe('emit', () => {
  it('passes every argument and the emitter as this, in registration order, and returns whether there were listeners', () => {
    const emitter = new EventEmitter<Events>();
    expect(emitter.emit('many', 1)).toBe(false);
    const seen: Array<{ who: string; self: unknown; args: unknown[] }> = [];
    emitter.on('many', function first(this: unknown, ...args: unknown[]) {
      seen.push({ who: 'first', self: this, args });
    });
    emitter.on('many', function second(this: unknown, ...args: unknown[]) {
      seen.push({ who: 'second', self: this, args });
    });
    for (const args of [[], [1], [1, 'two'], [1, 'two', 3], [1, 'two', 3, { four: 4 }, [5]]]) {
      seen.length = 0;
      expect(emitter.emit('many', ...args)).toBe(true);
      expect(seen).toEqual([
        { who: 'first', self: emitter, args },
        { who: 'second', self: emitter, args },
      ]);
    }
  });

  it('still calls, in this emit, a listener another listener removed before it ran; not in the next', () => {
    const emitter = new EventEmitter<Events>();
    const calls: string[] = [];
    const b = (name: string) => void calls.push(`b:${name}`);
    const onceC = (name: string) => void calls.push(`c:${name}`);
    emitter.on('greet', (name) => {
      calls.push(`a:${name}`);
      emitter.off('greet', b);
      emitter.off('greet', onceC);
    });
    emitter.on('greet', b);
    emitter.once('greet', onceC);
    emitter.emit('greet', '1');
    emitter.emit('greet', '2');
    expect(calls).toEqual(['a:1', 'b:1', 'c:1', 'a:2']);
  });

  it('does not call, in this emit, a listener added during it; it is called from the next emit', () => {
    const emitter = new EventEmitter<Events>();
    const calls: string[] = [];
    const late = (name: string) => void calls.push(`late:${name}`);
    const lateOnce = (name: string) => void calls.push(`lateOnce:${name}`);
    emitter.on('greet', (name) => {
      calls.push(`a:${name}`);
      emitter.on('greet', late);
      emitter.once('greet', lateOnce);
    });
    emitter.emit('greet', '1');
    expect(calls).toEqual(['a:1']);
    emitter.emit('greet', '2');
    emitter.emit('greet', '3');
    expect(calls).toEqual(['a:1', 'a:2', 'late:2', 'lateOnce:2', 'a:3', 'late:3']);
  });

  it('a listener can remove itself (off from inside a listener): it finishes this emit, the others still run', () => {
    const emitter = new EventEmitter<Events>();
    const calls: string[] = [];
    const self = (name: string) => {
      calls.push(`self:${name}`);
      emitter.off('greet', self);
    };
    emitter.on('greet', self);
    emitter.on('greet', (name) => void calls.push(`after:${name}`));
    emitter.emit('greet', '1');
    emitter.emit('greet', '2');
    expect(calls).toEqual(['self:1', 'after:1', 'after:2']);
    expect(emitter.listeners('greet')).toHaveLength(1);
  });

  it('removeAllListeners during an emit does not stop that emit', () => {
    const emitter = new EventEmitter<Events>();
    const calls: string[] = [];
    emitter.on('greet', () => {
      calls.push('a');
      emitter.removeAllListeners();
    });
    emitter.on('greet', () => void calls.push('b'));
    emitter.emit('greet', 'x');
    expect(emitter.emit('greet', 'y')).toBe(false);
    expect(calls).toEqual(['a', 'b']);
  });

  it('calls a once listener once when it emits the event again from inside itself', () => {
    const emitter = new EventEmitter<Events>();
    const calls: string[] = [];
    emitter.once('greet', (name) => {
      calls.push(`once:${name}`);
      emitter.emit('greet', `${name}-again`);
    });
    emitter.emit('greet', '1');
    emitter.emit('greet', '2');
    expect(calls).toEqual(['once:1']);
  });

  it('calls a once listener once when an earlier listener re-enters emit before it ran', () => {
    const emitter = new EventEmitter<Events>();
    const calls: string[] = [];
    let depth = 0;
    emitter.on('greet', (name) => {
      calls.push(`first:${name}`);
      if (depth++ === 0) emitter.emit('greet', `${name}-inner`);
    });
    emitter.once('greet', (name) => void calls.push(`once:${name}`));
    emitter.emit('greet', 'outer');
    // The inner emit delivers the once listener first; the outer emit, whose snapshot still holds
    // it, must not call it a second time.
    expect(calls).toEqual(['first:outer', 'first:outer-inner', 'once:outer-inner']);
    expect(emitter.listenerCount('greet')).toBe(1);
  });

  it('a once listener removed and registered again with on during the emit keeps the new registration', () => {
    const emitter = new EventEmitter<Events>();
    const calls: string[] = [];
    const listener = (name: string) => void calls.push(`listener:${name}`);
    emitter.on('greet', (name) => {
      if (name !== '1') return;
      emitter.off('greet', listener);
      emitter.on('greet', listener);
    });
    emitter.once('greet', listener);
    emitter.emit('greet', '1');
    // The snapshot's once registration ran (it had been removed during the emit, but had not run
    // yet); running it must not remove the persistent registration made since.
    expect(emitter.listeners('greet')).toContain(listener);
    emitter.emit('greet', '2');
    emitter.emit('greet', '3');
    expect(calls).toEqual(['listener:1', 'listener:2', 'listener:3']);
  });
});

describe('failing listeners', () => {
  it('a throwing listener does not stop the others; the error is emitted as a ListenerError naming the event, and logged', () => {
    const emitter = new EventEmitter<Events>();
    const boom = new Error('boom');
    const calls: string[] = [];
    const errors: ListenerError[] = [];
    emitter.on('error', (error) => void errors.push(error));
    emitter.on('greet', (name) => void calls.push(`before:${name}`));
    emitter.on('greet', () => {
      throw boom;
    });
    emitter.on('greet', (name) => void calls.push(`after:${name}`));

    expect(() => emitter.emit('greet', 'Alice')).not.toThrow();
    expect(calls).toEqual(['before:Alice', 'after:Alice']);
    expect(errors).toHaveLength(1);
    const [error] = errors;
    expect(error).toBeInstanceOf(ListenerError);
    expect(error!.event).toBe('greet');
    expect(error!.code).toBe('listener_failed');
    expect(error!.cause).toBe(boom);
    expect(error!.message).toBe('a listener of "greet" failed: boom');

    expect(errorLogs()).toHaveLength(1);
    expect(errorLogs()[0]).toMatchObject({
      level: 50,
      msg: 'a listener of "greet" failed: boom',
      event: 'greet',
      err: { type: 'Error', message: 'boom' },
    });
  });

  it('without error listeners a failure is only logged, and emit still reaches every listener', () => {
    const emitter = new EventEmitter<Events>();
    const after = vi.fn();
    emitter.on('other', () => {
      throw new TypeError('bad type');
    });
    emitter.on('other', after);
    expect(emitter.emit('other', 1)).toBe(true);
    expect(after).toHaveBeenCalledWith(1);
    expect(errorLogs()).toMatchObject([{ event: 'other', err: { type: 'TypeError', message: 'bad type' } }]);
  });

  it('the error is emitted when the listener fails, before the next listener runs', () => {
    const emitter = new EventEmitter<Events>();
    const order: string[] = [];
    emitter.on('error', (error) => void order.push(`error:${String(error.event)}`));
    emitter.on('greet', () => {
      order.push('throws');
      throw new Error('x');
    });
    emitter.on('greet', () => void order.push('next'));
    emitter.emit('greet', 'a');
    expect(order).toEqual(['throws', 'error:greet', 'next']);
  });

  it('a rejecting async listener is reported the same way, once the promise rejects', async () => {
    const emitter = new EventEmitter<Events>();
    const errors: ListenerError[] = [];
    emitter.on('error', (error) => void errors.push(error));
    const after = vi.fn();
    const rejection = new Error('async boom');
    emitter.on('greet', async () => {
      await Promise.resolve();
      throw rejection;
    });
    emitter.on('greet', after);

    emitter.emit('greet', 'Alice');
    expect(after).toHaveBeenCalledWith('Alice');
    expect(errors).toEqual([]);
    await flush();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(ListenerError);
    expect(errors[0]!.event).toBe('greet');
    expect(errors[0]!.cause).toBe(rejection);
    expect(errorLogs()).toMatchObject([{ msg: 'a listener of "greet" failed: async boom', event: 'greet' }]);
  });

  it('async listeners that resolve, and listeners returning values or non-promise thenables, report nothing', async () => {
    const emitter = new EventEmitter<Events>();
    const errors = vi.fn();
    emitter.on('error', errors);
    emitter.on('greet', async () => 'fine');
    emitter.on('greet', (() => 42) as never);
    emitter.on('greet', (() => ({ then: 'not a function' })) as never);
    emitter.on('greet', (() => null) as never);
    emitter.emit('greet', 'a');
    await flush();
    expect(errors).not.toHaveBeenCalled();
    expect(errorLogs()).toEqual([]);
  });

  it('a throwing error listener is only logged: no loop, the other error listeners still run', () => {
    const emitter = new EventEmitter<Events>();
    const throwingErrorListener = vi.fn(() => {
      throw new Error('error listener broke');
    });
    const otherErrorListener = vi.fn();
    emitter.on('error', throwingErrorListener);
    emitter.on('error', otherErrorListener);
    emitter.on('greet', () => {
      throw new Error('boom');
    });

    emitter.emit('greet', 'a');
    expect(throwingErrorListener).toHaveBeenCalledTimes(1);
    expect(otherErrorListener).toHaveBeenCalledTimes(1);
    expect(errorLogs().map((line) => [line.event, line.msg])).toEqual([
      ['greet', 'a listener of "greet" failed: boom'],
      ['error', 'a listener of "error" failed: error listener broke'],
    ]);
  });

  it('a rejecting async error listener is only logged too', async () => {
    const emitter = new EventEmitter<Events>();
    const errorListener = vi.fn(async () => {
      throw new Error('async error listener broke');
    });
    emitter.on('error', errorListener);
    emitter.on('greet', () => {
      throw new Error('boom');
    });
    emitter.emit('greet', 'a');
    await flush();
    expect(errorListener).toHaveBeenCalledTimes(1);
    expect(errorLogs().map((line) => line.event)).toEqual(['greet', 'error']);
  });

  it('emitting error directly with a throwing error listener logs it and does not recurse', () => {
    const emitter = new EventEmitter<Events>();
    const listener = vi.fn(() => {
      throw new Error('nope');
    });
    emitter.on('error', listener);
    emitter.emit('error', new ListenerError('greet', new Error('x')));
    expect(listener).toHaveBeenCalledTimes(1);
    expect(errorLogs()).toHaveLength(1);
  });

  it('subclasses can wrap the reported ListenerError (reportListenerError)', () => {
    type Wrapped = { greet: (name: string) => void; error: (event: { source: string; error: ListenerError }) => void };
    class Session extends EventEmitter<Wrapped> {
      protected override reportListenerError(error: ListenerError): void {
        this.emit('error', { source: 'listener', error });
      }
    }
    const session = new Session();
    const errors: Array<{ source: string; error: ListenerError }> = [];
    session.on('error', (event) => void errors.push(event));
    session.on('greet', () => {
      throw new Error('boom');
    });
    session.emit('greet', 'a');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.source).toBe('listener');
    expect(errors[0]!.error).toBeInstanceOf(ListenerError);
    expect(errors[0]!.error.event).toBe('greet');
  });
});

describe('introspection', () => {
  it('listenerCount and listeners report registrations in order; listeners() is a copy', () => {
    const emitter = new EventEmitter<Events>();
    const a = vi.fn();
    const b = vi.fn();
    const c = vi.fn();
    expect(emitter.listenerCount('greet')).toBe(0);
    expect(emitter.listeners('greet')).toEqual([]);
    emitter.on('greet', a).once('greet', b).on('greet', c).on('other', a);
    expect(emitter.listenerCount('greet')).toBe(3);
    expect(emitter.listenerCount('other')).toBe(1);
    const list = emitter.listeners('greet');
    expect(list).toEqual([a, b, c]);
    list.pop();
    list.push(vi.fn());
    expect(emitter.listeners('greet')).toEqual([a, b, c]);
    emitter.emit('greet', 'x');
    expect(emitter.listeners('greet')).toEqual([a, c]);
    emitter.off('greet', a);
    expect(emitter.listeners('greet')).toEqual([c]);
  });

  it('removeAllListeners(event) clears one event, removeAllListeners() every event', () => {
    const emitter = new EventEmitter<Events>();
    const greet = vi.fn();
    const other = vi.fn();
    emitter.on('greet', greet).once('greet', vi.fn()).on('other', other);
    expect(emitter.removeAllListeners('greet')).toBe(emitter);
    expect(emitter.listenerCount('greet')).toBe(0);
    expect(emitter.emit('greet', 'x')).toBe(false);
    expect(emitter.emit('other', 1)).toBe(true);
    expect(emitter.removeAllListeners()).toBe(emitter);
    expect(emitter.listenerCount('other')).toBe(0);
    expect(emitter.emit('other', 2)).toBe(false);
    expect(greet).not.toHaveBeenCalled();
    expect(other.mock.calls).toEqual([[1]]);
    // And the emitter works as before afterwards.
    emitter.on('greet', greet);
    emitter.emit('greet', 'y');
    expect(greet).toHaveBeenCalledWith('y');
  });
});
