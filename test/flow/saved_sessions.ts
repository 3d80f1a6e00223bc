/** Saved sessions for the snapshot store tests: small ones, and large ones whose halves are easy to tell apart. */
import { expect } from 'vitest';
import { SAVED_SESSION_VERSION, type SavedSession } from '../../src/flow/saved_session.js';
import { SnapshotStoreError } from '../../src/flow/snapshot_store_error.js';

/** Session `n`; `size` characters of history make it large enough that a write takes several chunks. */
export function savedSession(n: number, size = 10): SavedSession {
  return {
    version: SAVED_SESSION_VERSION,
    savedAt: 1_700_000_000_000 + n,
    flowId: 'clinic',
    flow: { status: 'active', value: 'booking', context: { n, name: 'Ada' }, historyValue: {} },
    agent: 'booker',
    history: [
      { type: 'message', role: 'user', content: [`turn ${n}`] },
      { type: 'message', role: 'assistant', content: [String(n % 10).repeat(size)] },
    ],
  };
}

/** The store's failure, checked to be a SnapshotStoreError of `kind`. */
export async function failure(promise: Promise<unknown>, kind: SnapshotStoreError['kind']): Promise<SnapshotStoreError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(SnapshotStoreError);
  expect((error as SnapshotStoreError).code).toBe('snapshot_store');
  expect((error as SnapshotStoreError).kind).toBe(kind);
  return error as SnapshotStoreError;
}
