/**
 * Where saved sessions go, so a conversation can continue in another session (after a worker
 * restart, in another worker): a small interface with two implementations, files for one machine
 * (FileSnapshotStore) and Redis for several workers (RedisSnapshotStore).
 */
import type { SavedSession } from './saved_session.js';

export interface SnapshotStore {
  /** The session saved under `key`, or undefined when there is none. Rejects with SnapshotStoreError when what is stored cannot be read. */
  load(key: string): Promise<SavedSession | undefined>;
  /** Saves `session` under `key`, replacing what was there (atomically: a reader sees the old or the new, never half). */
  save(key: string, session: SavedSession): Promise<void>;
  /** Forgets `key` (nothing happens when there is nothing under it). */
  delete(key: string): Promise<void>;
  /** Releases what the store holds open (a connection); the store is not used afterwards. */
  close?(): Promise<void>;
}
