import { describe, expect, it, vi } from 'vitest';
import { ProviderError } from '../../src/provider/provider_error.js';
import { MAX_RECONNECT_DELAY_MS, RECONNECT_WINDOW_MS, ReconnectPolicy, withRetries } from '../../src/provider/conn_options.js';
import { useFakeTime } from '../support/fake_time.js';

useFakeTime();

const classify = (error: unknown) =>
  error instanceof ProviderError ? error : new ProviderError('test', true, error instanceof Error ? error.message : String(error));

describe('withRetries', () => {
  it('retries recoverable failures retryIntervalMs apart, reporting each, then fails unrecoverably', async () => {
    const retries: string[] = [];
    let attempts = 0;
    const outcome = withRetries(
      { provider: 'test', conn: { maxRetry: 2, retryIntervalMs: 1_000 }, classify, onRetry: (error, n) => retries.push(`${n}: ${error.message}`) },
      async () => {
        attempts += 1;
        throw new Error(`dropped ${attempts}`);
      },
    ).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(999);
    expect(attempts).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(attempts).toBe(2);
    await vi.advanceTimersByTimeAsync(1_000);
    const error = (await outcome) as ProviderError;
    expect(attempts).toBe(3);
    expect(retries).toEqual(['1: test: dropped 1', '2: test: dropped 2']);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error.recoverable).toBe(false);
    expect(error.message).toBe('test: dropped 3 (after 3 attempts)');
  });

  it('does not retry an unrecoverable failure', async () => {
    let attempts = 0;
    await expect(
      withRetries({ provider: 'test', classify }, async () => {
        attempts += 1;
        throw new ProviderError('test', false, 'bad key', { status: 401 });
      }),
    ).rejects.toMatchObject({ status: 401, recoverable: false });
    expect(attempts).toBe(1);
  });

  it('bounds each attempt by timeoutMs, and succeeds when a retry does', async () => {
    let attempts = 0;
    const result = withRetries({ provider: 'test', conn: { timeoutMs: 500, retryIntervalMs: 100 }, classify }, (signal) => {
      attempts += 1;
      if (attempts === 2) return Promise.resolve('ok');
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    });
    await vi.advanceTimersByTimeAsync(600);
    expect(await result).toBe('ok');
    expect(attempts).toBe(2);
  });

  it("stops at once, without retrying, when the caller aborts", async () => {
    const controller = new AbortController();
    let attempts = 0;
    const outcome = withRetries({ provider: 'test', classify, signal: controller.signal }, (signal) => {
      attempts += 1;
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
    }).catch((error: unknown) => error);
    controller.abort(new Error('user gone'));
    expect(String(await outcome)).toContain('user gone');
    expect(attempts).toBe(1);
  });
});

describe('ReconnectPolicy', () => {
  it('reconnects at once after a first drop, then waits retryIntervalMs doubling, and gives up after maxRetry drops', () => {
    let now = 0;
    const policy = new ReconnectPolicy({ maxRetry: 4, retryIntervalMs: 500 }, () => now);
    const waits = [1, 2, 3, 4, 5].map(() => {
      now += 100;
      return policy.drop();
    });
    expect(waits).toEqual([0, 500, 1_000, 2_000, undefined]);
    expect(policy.recentDrops).toBe(5);
  });

  it('counts only the drops of the last window: successes in between do not reset it, time does', () => {
    let now = 0;
    const policy = new ReconnectPolicy({ maxRetry: 2, retryIntervalMs: 1_000 }, () => now);
    expect(policy.drop()).toBe(0);
    now = RECONNECT_WINDOW_MS - 1;
    expect(policy.drop()).toBe(1_000);
    now = RECONNECT_WINDOW_MS;
    // The first drop has left the window: this is the second of the window, not the third.
    expect(policy.drop()).toBe(1_000);
    expect(policy.recentDrops).toBe(2);
    now = 2 * RECONNECT_WINDOW_MS + 10;
    expect(policy.drop()).toBe(0);
  });

  it('waits at most MAX_RECONNECT_DELAY_MS', () => {
    const policy = new ReconnectPolicy({ maxRetry: 100, retryIntervalMs: 2_000 }, () => 0);
    const waits = Array.from({ length: 12 }, () => policy.drop());
    expect(waits.slice(0, 5)).toEqual([0, 2_000, 4_000, 8_000, 16_000]);
    expect(waits.slice(5)).toEqual(new Array(7).fill(MAX_RECONNECT_DELAY_MS));
  });
});
