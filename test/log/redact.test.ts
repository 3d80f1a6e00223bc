import { describe, expect, it } from 'vitest';
import { VoxstateError, createLogger, redactSecrets } from '../../src/index.js';
import { addSecretValue, maskErrorChain, maskSecretValues } from '../../src/log/redact.js';

describe('redactSecrets', () => {
  it('replaces credential-like properties at any depth and keeps the rest', () => {
    const input = {
      apiKey: 'sk-1',
      nested: { api_key: 'x', accessToken: 't', password: 'p', headers: { Authorization: 'Bearer z' }, ok: 1 },
      list: [{ secret: 's', name: 'n' }],
      LIVEKIT_API_SECRET: 'lk',
    };
    expect(redactSecrets(input)).toEqual({
      apiKey: '[redacted]',
      nested: { api_key: '[redacted]', accessToken: '[redacted]', password: '[redacted]', headers: { Authorization: '[redacted]' }, ok: 1 },
      list: [{ secret: '[redacted]', name: 'n' }],
      LIVEKIT_API_SECRET: '[redacted]',
    });
  });

  it('keeps numbers and flags under credential-like names: token counts are no secret', () => {
    expect(redactSecrets({ promptTokens: 12, tokensPerSecond: 3.5, hasToken: true, token: 'abc', accessToken: { value: 'v' } })).toEqual({
      promptTokens: 12,
      tokensPerSecond: 3.5,
      hasToken: true,
      token: '[redacted]',
      accessToken: '[redacted]',
    });
  });

  it('copes with cycles, depth, functions and errors', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(redactSecrets(cyclic)).toEqual({ a: 1, self: '[circular]' });
    expect(redactSecrets({ f: function named() {} })).toEqual({ f: '[function named]' });
    const error = Object.assign(new Error('boom', { cause: { token: 'x' } }), { code: 'E1' });
    expect(redactSecrets(error)).toMatchObject({ type: 'Error', message: 'boom', code: 'E1', cause: { token: '[redacted]' } });
    let deep: Record<string, unknown> = {};
    const root = deep;
    for (let i = 0; i < 20; i++) deep = (deep.next = {}) as Record<string, unknown>;
    expect(JSON.stringify(redactSecrets(root))).toContain('[…]');
  });
});

describe('the one redaction rule: names, forms and known values', () => {
  it('masks credentials inside any string, by their form and by being known', () => {
    addSecretValue('0f1e2d3c4b5a69788796a5b4');
    expect(redactSecrets({ note: 'key sk-abcdefgh123 and sk_car_ZZZZZZZZ and 0f1e2d3c4b5a69788796a5b4 here', n: 1 })).toEqual({
      note: 'key sk-[redacted] and sk_[redacted] and [redacted] here',
      n: 1,
    });
    // Too short to be a credential: masking it would mangle ordinary words.
    addSecretValue('secret');
    expect(maskSecretValues('a secret word')).toBe('a secret word');
  });

  it('an error becomes data whose message, stack, fields and cause are all masked', () => {
    const cause = Object.assign(new Error('bad key sk-causecause1'), { body: { echoed: 'sk-bodybody12' } });
    const error = new Error('failed with sk-topleveltop', { cause });
    const text = JSON.stringify(redactSecrets(error));
    expect(text).not.toMatch(/sk-(causecause1|bodybody12|topleveltop)/);
    expect(text).toContain('bad key sk-[redacted]');
  });

  it('maskErrorChain masks in place and keeps the class; a typed error masks its message and its cause', () => {
    class SdkError extends Error {
      readonly param = 'sk-paramparam9';
    }
    const cause = new SdkError('401 sk-messagemsg9');
    const typed = new VoxstateError('x', `provider said: ${cause.message}`, { cause });
    expect(typed.message).toBe('provider said: 401 sk-[redacted]');
    expect(typed.cause).toBe(cause);
    expect(cause).toBeInstanceOf(SdkError);
    expect([cause.message, cause.stack, cause.param].join()).not.toMatch(/sk-(messagemsg9|paramparam9)/);
    maskErrorChain(Object.freeze(new Error('frozen sk-frozenfrozen')));
  });

  it('log lines: the message and interpolated values are masked too, not only the merged object', () => {
    const lines: string[] = [];
    const logger = createLogger({ write: (line: string) => void lines.push(line) });
    logger.error({ apiKey: 'plain', detail: 'sk-detaildetail' }, 'login with %s failed (sk-messagemessage)', 'sk-argumentarg');
    expect(lines.join()).not.toMatch(/sk-(detaildetail|messagemessage|argumentarg)|plain/);
  });
});
