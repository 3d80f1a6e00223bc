/**
 * The one error a SnapshotStore reports: a bad key, stored data it cannot read, or storage that
 * failed. `kind` tells a program which: corrupt data can be deleted and the conversation started
 * anew, while a failed disk or server may work on a retry.
 */
import { VoxstateError } from '../errors.js';

/** What went wrong: the key given, the data stored, or the storage itself (its cause attached). */
export type SnapshotStoreErrorKind = 'key' | 'data' | 'io';

/** A SnapshotStore could not load, save or delete a saved session. */
export class SnapshotStoreError extends VoxstateError {
  constructor(
    readonly kind: SnapshotStoreErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('snapshot_store', message, options);
  }
}

/** `key` when it is a non-empty string; a SnapshotStoreError otherwise (keys come from room names, which a caller may get wrong at run time). */
export function checkSnapshotKey(key: unknown, store: string): string {
  if (typeof key !== 'string') throw new SnapshotStoreError('key', `${store}: a key must be a string, got ${key === null ? 'null' : typeof key}`);
  if (key === '') throw new SnapshotStoreError('key', `${store}: a key must not be empty`);
  return key;
}
