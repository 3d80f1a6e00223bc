import { describe, expect, it, vi } from 'vitest';
import { ProviderError } from '../../src/plugins/provider_error.js';
import { withRetries } from '../../src/plugins/conn_options.js';
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
