/**
 * The registry's typing, checked by tsc (`npm test` type-checks test/): a plugin's events added by
 * module augmentation of 'voxstate' are typed at emit and at every handler, and wrong payloads or
 * unknown event types do not compile (each `@ts-expect-error` fails the type check if the line
 * below it compiles). The runtime assertions only make vitest run the same calls.
 */
import { describe, expect, it } from 'vitest';
import type { AgentRuntime as PublicRuntime, Plugin as PublicPlugin, RuntimeEvent, RuntimeEventPayload } from 'voxstate';
import { AgentRuntime, definePlugin } from '../../src/index.js';

declare module 'voxstate' {
  interface RuntimeEventRegistry {
    'weather:fetched': { city: string; celsius: number };
  }
}

describe('RuntimeEventRegistry', () => {
  it('types emit, on, once, off and plugin handlers from the registry, augmented through the public entry', async () => {
    // The public entry's class is the one tests construct.
    const runtime: PublicRuntime = new AgentRuntime();
    const seen: number[] = [];
    runtime.on('weather:fetched', ({ city, celsius }) => {
      const name: string = city;
      seen.push(celsius + name.length);
    });
    runtime.once('run:started', (payload) => {
      const runId: string = payload.runId;
      // @ts-expect-error run:started has no output
      void payload.output;
      void runId;
    });
    await runtime.emit('weather:fetched', { city: 'Oslo', celsius: 3 });
    expect(seen).toEqual([7]);

    // Never called: these lines only have to (not) compile.
    const rejected = () => {
      // @ts-expect-error celsius is a number
      void runtime.emit('weather:fetched', { city: 'Oslo', celsius: '3' });
      // @ts-expect-error city is missing
      void runtime.emit('weather:fetched', { celsius: 3 });
      // @ts-expect-error unknown event type
      void runtime.emit('weather:unknown', { city: 'Oslo' });
      // @ts-expect-error unknown event type
      runtime.on('weather:unknown', () => {});
      // @ts-expect-error the handler expects another payload
      runtime.on('weather:fetched', (payload: { runId: string }) => void payload);
    };
    void rejected;

    const payload: RuntimeEventPayload<'weather:fetched'> = { city: 'Bergen', celsius: 5 };
    const event: RuntimeEvent = { type: 'weather:fetched', payload };
    // @ts-expect-error a middleware event's payload must match its type
    const wrong: RuntimeEvent = { type: 'weather:fetched', payload: { runId: 'x' } };
    void event;
    void wrong;

    const plugin: PublicPlugin = definePlugin({
      name: 'weather',
      events: {
        'weather:fetched': [({ celsius }) => void seen.push(celsius)],
        'action:completed': [(payload, rt) => void rt.emit('weather:fetched', { city: payload.name, celsius: payload.durationMs })],
      },
    });
    definePlugin({
      name: 'bad',
      events: {
        // @ts-expect-error a plugin handler's payload is typed by its event
        'weather:fetched': [(payload: { runId: string }) => void payload],
      },
    });
    await runtime.registerPlugin(plugin);
    await runtime.emit('weather:fetched', { city: 'Oslo', celsius: 4 });
    expect(seen).toEqual([7, 8, 4]);
  });
});
