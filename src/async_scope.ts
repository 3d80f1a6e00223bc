/**
 * What voxstate keeps in the async context — the job the code runs for, its log scope, the session
 * a model request is made for, the speech whose tool runs — in one AsyncLocalStorage. On Node 20
 * each AsyncLocalStorage in use costs every promise the process creates a property of its own (its
 * promise hook copies the store onto each new one): with one per concern, a job's voice session
 * paid it four times over, in every frame's promises.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** A value kept in the async context: set with runScoped, read with scoped. */
export interface ScopeKey<T> {
  readonly name: string;
  /** Only carries T for the compiler. */
  readonly value?: T;
}

export function scopeKey<T>(name: string): ScopeKey<T> {
  return { name };
}

const storage = new AsyncLocalStorage<ReadonlyMap<ScopeKey<unknown>, unknown>>();

/** Runs `fn` (and everything it starts) with `key` set to `value`; the other keys keep theirs. */
export function runScoped<T, R>(key: ScopeKey<T>, value: T, fn: () => R): R {
  const values = new Map(storage.getStore());
  values.set(key, value);
  return storage.run(values, fn);
}

/** The value of `key` where the caller runs, if it was set. */
export function scoped<T>(key: ScopeKey<T>): T | undefined {
  return storage.getStore()?.get(key) as T | undefined;
}
