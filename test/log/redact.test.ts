import { describe, expect, it } from 'vitest';
import { redactSecrets } from '../../src/index.js';

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
