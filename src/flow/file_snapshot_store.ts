/**
 * Saved sessions as files, one JSON file per key in one directory: for a single machine, where a
 * restarted worker picks up the conversations its predecessor saved.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe } from '../errors.js';
import type { SavedSession } from './saved_session.js';
import { parseSavedSession, stringifySavedSession } from './saved_session_check.js';
import type { SnapshotStore } from './snapshot_store.js';
import { SnapshotStoreError, checkSnapshotKey } from './snapshot_store_error.js';

const STORE = 'FileSnapshotStore';

/**
 * A SnapshotStore keeping each session in `dir/<key>.json`, the key encoded into a safe file name.
 * The directory is created on the first save. A save writes a temporary file beside the target and
 * renames it over the target, so a reader (another process too) sees the old or the new session,
 * never part of one.
 */
export class FileSnapshotStore implements SnapshotStore {
  /** The directory, absolute: messages name it, and a later change of working directory does not move it. */
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  async load(key: string): Promise<SavedSession | undefined> {
    const file = this.#file(key);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return undefined;
      throw new SnapshotStoreError('io', `${STORE}: could not read ${file} (key ${JSON.stringify(key)}): ${describe(error)}`, { cause: error });
    }
    return parseSavedSession(text, `${STORE}: ${file} (key ${JSON.stringify(key)})`);
  }

  async save(key: string, session: SavedSession): Promise<void> {
    const file = this.#file(key);
    const text = stringifySavedSession(session, `${STORE}: the session to save under ${JSON.stringify(key)}`);
    // Beside the target, so the rename stays within one file system and is atomic; the leading
    // dot keeps it apart from every key's file name, which never starts with one.
    const temporary = join(this.dir, `.${fileNameOf(key)}.${randomUUID()}.tmp`);
    try {
      await mkdir(this.dir, { recursive: true });
      const handle = await open(temporary, 'wx');
      try {
        await handle.writeFile(text, 'utf8');
        // On disk before the rename makes it visible: a crash of the machine leaves the old session, not an empty file.
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, file);
    } catch (error) {
      await rm(temporary, { force: true }).catch(() => undefined);
      throw new SnapshotStoreError('io', `${STORE}: could not save key ${JSON.stringify(key)} in directory ${this.dir}: ${describe(error)}`, { cause: error });
    }
  }

  async delete(key: string): Promise<void> {
    const file = this.#file(key);
    try {
      await rm(file);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return;
      throw new SnapshotStoreError('io', `${STORE}: could not delete ${file} (key ${JSON.stringify(key)}): ${describe(error)}`, { cause: error });
    }
  }

  #file(key: string): string {
    return join(this.dir, `${fileNameOf(checkSnapshotKey(key, STORE))}.json`);
  }
}

/** Characters kept as they are; every other byte of the key's UTF-8 becomes %XX. */
const PLAIN = /^[a-z0-9_-]$/;
/** Longer encodings are shortened with a hash: a file name has at most 255 bytes, with room left for the suffixes. */
const MAX_NAME = 180;

/**
 * The file name (without `.json`) for `key`: one per key, with no `/`, no NUL and no dots, so no
 * key reaches outside the directory or names `.` or `..`. Upper-case letters are encoded too, so
 * two keys differing in case stay two files on a case-insensitive file system (macOS, Windows).
 */
export function fileNameOf(key: string): string {
  const bytes = Buffer.from(key, 'utf8');
  // A lone surrogate becomes U+FFFD in UTF-8, so two such keys would share a file.
  if (bytes.toString('utf8') !== key) throw new SnapshotStoreError('key', `${STORE}: the key ${JSON.stringify(key)} is not valid Unicode`);
  let name = '';
  for (const byte of bytes) {
    const char = String.fromCharCode(byte);
    name += PLAIN.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  if (name.length <= MAX_NAME) return name;
  // '~' never appears in an encoding, so a shortened name cannot equal a full one.
  return `${name.slice(0, 100)}~${createHash('sha256').update(key).digest('hex')}`;
}

function errorCode(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}
