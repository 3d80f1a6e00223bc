/** request(): emit a request, wait for the matching response, within a deadline. */
import { describe, expect, it } from 'vitest';
import { AgentRuntime, ClosedError, request, TimeoutError } from '../../src/index.js';
import { useFakeTime } from '../support/fake_time.js';
import { vi } from 'vitest';

useFakeTime();

declare module 'voxstate' {
  interface RuntimeEventRegistry {
    'quote:requested': { requestId: string; symbol: string };
    'quote:answered': { requestId: string; price: number };
  }
}

function quoteService(runtime: AgentRuntime, delayMs: number): void {
  runtime.on('quote:requested', async ({ requestId, symbol }, rt) => {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    await rt.emit('quote:answered', { requestId, price: symbol.length });
  });
}

describe('request', () => {
  it('resolves with the matching response; other responses are ignored; nothing is left listening', async () => {
    const runtime = new AgentRuntime();
    quoteService(runtime, 100);
    const other = request(runtime, 'quote:requested', { requestId: 'r2', symbol: 'LONGER' }, { response: 'quote:answered', match: (a) => a.requestId === 'r2', timeoutMs: 500 });
    const mine = request(runtime, 'quote:requested', { requestId: 'r1', symbol: 'ABC' }, { response: 'quote:answered', match: (a) => a.requestId === 'r1', timeoutMs: 500 });
    await vi.advanceTimersByTimeAsync(100);
    expect(await mine).toEqual({ requestId: 'r1', price: 3 });
    expect(await other).toEqual({ requestId: 'r2', price: 6 });
    expect(runtime.listenerCount('quote:answered')).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('an answer given synchronously by a handler of the request is not missed', async () => {
    const runtime = new AgentRuntime();
    runtime.on('quote:requested', ({ requestId }, rt) => void rt.emit('quote:answered', { requestId, price: 1 }));
    await expect(request(runtime, 'quote:requested', { requestId: 'x', symbol: 'A' }, { response: 'quote:answered', timeoutMs: 10 })).resolves.toEqual({ requestId: 'x', price: 1 });
  });

  it('rejects with TimeoutError when no answer comes in time, and stops listening', async () => {
    const runtime = new AgentRuntime();
    quoteService(runtime, 1_000);
    const pending = request(runtime, 'quote:requested', { requestId: 'r', symbol: 'A' }, { response: 'quote:answered', timeoutMs: 200 }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(200);
    const error = await pending;
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toBe('a "quote:answered" answering "quote:requested" did not finish within 200 ms');
    expect(runtime.listenerCount('quote:answered')).toBe(0);
  });

  it('an abort signal gives up early; a match that throws rejects; bad timeouts are refused', async () => {
    const runtime = new AgentRuntime();
    const controller = new AbortController();
    const pending = request(runtime, 'quote:requested', { requestId: 'r', symbol: 'A' }, { response: 'quote:answered', timeoutMs: 1_000, signal: controller.signal }).catch((e: unknown) => e);
    controller.abort();
    expect(await pending).toBeInstanceOf(ClosedError);
    const throwing = request(runtime, 'quote:requested', { requestId: 'r', symbol: 'A' }, {
      response: 'quote:answered',
      timeoutMs: 1_000,
      match: () => {
        throw new Error('bad match');
      },
    }).catch((e: unknown) => e);
    await runtime.emit('quote:answered', { requestId: 'r', price: 1 });
    expect(await throwing).toMatchObject({ message: 'bad match' });
    expect(() => request(runtime, 'quote:requested', { requestId: 'r', symbol: 'A' }, { response: 'quote:answered', timeoutMs: 0 })).toThrow(/timeoutMs must be a finite number/);
    expect(runtime.listenerCount('quote:answered')).toBe(0);
  });
});
