/** One async context for every value voxstate keeps in it: each key set apart, nested, carried across awaits. */
import { describe, expect, it } from 'vitest';
import { runScoped, scoped, scopeKey } from '../src/async_scope.js';

const JOB = scopeKey<string>('job');
const SPEECH = scopeKey<string>('speech');

describe('runScoped / scoped', () => {
  it('a key set inside keeps the others; each is unset outside; values follow awaits and timers', async () => {
    expect(scoped(JOB)).toBeUndefined();
    await runScoped(JOB, 'job 1', async () => {
      expect(scoped(JOB)).toBe('job 1');
      expect(scoped(SPEECH)).toBeUndefined();
      await runScoped(SPEECH, 'speech A', async () => {
        await new Promise((resolve) => setImmediate(resolve));
        expect([scoped(JOB), scoped(SPEECH)]).toEqual(['job 1', 'speech A']);
        // The same key again: the inner value, inside only.
        runScoped(JOB, 'job 2', () => expect([scoped(JOB), scoped(SPEECH)]).toEqual(['job 2', 'speech A']));
        expect(scoped(JOB)).toBe('job 1');
      });
      expect(scoped(SPEECH)).toBeUndefined();
      const later = await new Promise((resolve) => setTimeout(() => resolve(scoped(JOB)), 0));
      expect(later).toBe('job 1');
    });
    expect([scoped(JOB), scoped(SPEECH)]).toEqual([undefined, undefined]);
  });

  it('two keys of the same name are two keys', () => {
    const other = scopeKey<string>('job');
    runScoped(JOB, 'mine', () => expect([scoped(JOB), scoped(other)]).toEqual(['mine', undefined]));
  });
});
