/**
 * FileSnapshotStore against a real directory: what is saved loads back (in this store and in a
 * second one, as another worker would), keys never leave the directory, a save is atomic, and
 * whatever cannot be read or written is a SnapshotStoreError that says what and where.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileSnapshotStore, fileNameOf } from '../../src/flow/file_snapshot_store.js';
import type { SavedSession } from '../../src/flow/saved_session.js';
import { SnapshotStoreError } from '../../src/flow/snapshot_store_error.js';
import { failure, savedSession } from './saved_sessions.js';

let root: string;
let dir: string;
let store: FileSnapshotStore;

beforeEach(async () => {
  // The store's directory inside a directory of the test's own, so a key escaping it would show.
  root = await mkdtemp(join(tmpdir(), 'voxstate-file-store-'));
  dir = join(root, 'sessions');
  store = new FileSnapshotStore(dir);
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('FileSnapshotStore', () => {
  it('loads what it saved, creating its directory on the first save', async () => {
    expect(await store.load('room-1')).toBeUndefined();
    await expect(readdir(dir)).rejects.toMatchObject({ code: 'ENOENT' });
    await store.save('room-1', savedSession(1));
    expect(await store.load('room-1')).toEqual(savedSession(1));
    expect(await readdir(dir)).toEqual(['room-1.json']);
  });

  it('replaces a saved session, and keeps keys apart', async () => {
    await store.save('room-1', savedSession(1));
    await store.save('room-2', savedSession(2));
    await store.save('room-1', savedSession(3));
    expect(await store.load('room-1')).toEqual(savedSession(3));
    expect(await store.load('room-2')).toEqual(savedSession(2));
  });

  it('deletes a key, and deleting a missing key (or one in a directory not yet made) does nothing', async () => {
    await store.delete('never-saved');
    await store.save('room-1', savedSession(1));
    await store.save('room-2', savedSession(2));
    await store.delete('room-1');
    await store.delete('room-1');
    expect(await store.load('room-1')).toBeUndefined();
    expect(await store.load('room-2')).toEqual(savedSession(2));
  });

  it('is read by a second store on the same directory, as another worker would', async () => {
    await store.save('room-1', savedSession(1));
    const other = new FileSnapshotStore(dir);
    expect(await other.load('room-1')).toEqual(savedSession(1));
    await other.save('room-1', savedSession(2));
    expect(await store.load('room-1')).toEqual(savedSession(2));
  });

  it('keeps every key inside its directory, each in a file of its own', async () => {
    const keys = ['../x', '..', '.', '/', 'a/b', '../../etc/passwd', 'a\0b', '%2F', '%', 'Room', 'room', 'ROOM', 'salle à manger 🎙', ' ', '~', 'x'.repeat(1000), `${'x'.repeat(999)}y`];
    for (const [index, key] of keys.entries()) await store.save(key, savedSession(index));
    for (const [index, key] of keys.entries()) expect(await store.load(key), key).toEqual(savedSession(index));
    // Nothing next to the directory, and one file a key in it (distinct even where a file system ignores case).
    expect(await readdir(root)).toEqual(['sessions']);
    const files = await readdir(dir);
    expect(files).toHaveLength(keys.length);
    expect(new Set(files.map((file) => file.toLowerCase())).size).toBe(keys.length);
    for (const file of files) {
      expect(file).toMatch(/^[a-z0-9_%~A-F-]+\.json$/);
      expect(Buffer.byteLength(file)).toBeLessThanOrEqual(255);
    }
    await store.delete('../x');
    expect(await store.load('../x')).toBeUndefined();
    expect(await readdir(dir)).toHaveLength(keys.length - 1);
  });

  it('names files by an encoding that keeps ".." and "/" out', () => {
    expect(fileNameOf('../x')).toBe('%2E%2E%2Fx');
    expect(fileNameOf('Room 1')).toBe('%52oom%201');
  });

  it('refuses an empty key, a key that is not a string and one that is not valid Unicode', async () => {
    for (const key of ['', 42, undefined, null] as unknown as string[]) {
      const error = await failure(store.save(key, savedSession(1)), 'key');
      expect(error.message).toMatch(/a key must (be a string|not be empty)/);
      await failure(store.load(key), 'key');
      await failure(store.delete(key), 'key');
    }
    expect((await failure(store.load('\uD800'), 'key')).message).toContain('not valid Unicode');
  });

  describe('a file it cannot read', () => {
    const file = () => join(dir, 'room-1.json');
    const stored = async (text: string) => {
      await mkdir(dir, { recursive: true });
      await writeFile(file(), text);
    };

    it('is not JSON', async () => {
      await stored('hello');
      const error = await failure(store.load('room-1'), 'data');
      expect(error.message).toContain(file());
      expect(error.message).toContain('is not JSON');
    });

    it('is cut short', async () => {
      await stored(JSON.stringify(savedSession(1)).slice(0, -20));
      expect((await failure(store.load('room-1'), 'data')).message).toMatch(/room-1\.json \(key "room-1"\) is not JSON \(.+\)/);
    });

    it('is empty', async () => {
      await stored('');
      expect((await failure(store.load('room-1'), 'data')).message).toContain('is not JSON (it is empty)');
    });

    it('holds another version', async () => {
      await stored(JSON.stringify({ ...savedSession(1), version: 2 }));
      expect((await failure(store.load('room-1'), 'data')).message).toContain('is not a saved session: its version is 2, this voxstate reads version 1');
    });

    it('holds no version', async () => {
      const { version: _, ...rest } = savedSession(1);
      await stored(JSON.stringify(rest));
      expect((await failure(store.load('room-1'), 'data')).message).toContain('it has no version');
    });

    it('holds JSON of another shape', async () => {
      await stored('[1, 2]');
      expect((await failure(store.load('room-1'), 'data')).message).toContain('it holds an array, not an object');
      await stored(JSON.stringify({ ...savedSession(1), savedAt: 'today', flow: null, history: {} }));
      expect((await failure(store.load('room-1'), 'data')).message).toContain('missing or wrong savedAt (a number), flow (an object), history (an array)');
      await stored(JSON.stringify({ ...savedSession(1), flowId: 7, agent: undefined }));
      expect((await failure(store.load('room-1'), 'data')).message).toContain('missing or wrong flowId (a string), agent (a string)');
    });
  });

  it('refuses to save what it could not load back', async () => {
    const wrong = { ...savedSession(1), version: 2 } as unknown as SavedSession;
    expect((await failure(store.save('room-1', wrong), 'data')).message).toContain('its version is 2');
    const cyclic = savedSession(1);
    cyclic.flow.self = cyclic.flow;
    expect((await failure(store.save('room-1', cyclic), 'data')).message).toContain('cannot be written as JSON');
    expect(await store.load('room-1')).toBeUndefined();
  });

  it('ends concurrent saves to one key with one of them whole, and readers never see part of one', async () => {
    // Large (several write chunks each) and of different sizes, so a save written over another
    // in place, not renamed, would leave a mix or a tail, and a reader would catch one half-written.
    const sessions = Array.from({ length: 12 }, (_, n) => savedSession(n, 1_400_000 - n * 70_000));
    await store.save('room-1', savedSession(99));
    let saving = true;
    const saves = Promise.all(sessions.map((session) => store.save('room-1', session))).finally(() => (saving = false));
    let reads = 0;
    while (saving) {
      const loaded = await store.load('room-1');
      expect([savedSession(99), ...sessions]).toContainEqual(loaded);
      reads++;
    }
    await saves;
    expect(reads).toBeGreaterThan(0);
    expect(sessions).toContainEqual(await store.load('room-1'));
    // No temporary file is left behind.
    expect(await readdir(dir)).toEqual(['room-1.json']);
  });

  describe('a directory it cannot write', () => {
    it('is a SnapshotStoreError naming the directory (the path runs through a regular file)', async () => {
      const file = join(root, 'a-file');
      await writeFile(file, 'not a directory');
      const blocked = new FileSnapshotStore(join(file, 'sessions'));
      const error = await failure(blocked.save('room-1', savedSession(1)), 'io');
      expect(error.message).toContain(`in directory ${join(file, 'sessions')}`);
      expect(error.message).toContain('ENOTDIR');
      expect(error.cause).toMatchObject({ code: 'ENOTDIR' });
      expect((await failure(blocked.load('room-1'), 'io')).message).toContain(join(file, 'sessions'));
      expect(await readFile(file, 'utf8')).toBe('not a directory');
    });

    it('leaves no temporary file when the rename fails (the target is a directory)', async () => {
      await mkdir(join(dir, 'room-1.json'), { recursive: true });
      const error = await failure(store.save('room-1', savedSession(1)), 'io');
      expect(error.message).toContain(`in directory ${dir}`);
      expect(await readdir(dir)).toEqual(['room-1.json']);
    });
  });
});
