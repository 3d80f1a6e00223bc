/**
 * RedisSnapshotStore against a real redis-server this file starts on 127.0.0.1 (none installed is a
 * failure, not a skip: see test/support/redis_server.ts): what is saved loads back (in a second
 * store too, as another worker would), SET is atomic, expiry is set, stored values it cannot read
 * and servers it cannot reach are SnapshotStoreErrors, and a password never shows.
 */
import { createClient, type RedisClientType } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ClosedError, InvalidOptionsError } from '../../src/errors.js';
import { RedisSnapshotStore } from '../../src/flow/redis_snapshot_store.js';
import type { SavedSession } from '../../src/flow/saved_session.js';
import { SnapshotStoreError } from '../../src/flow/snapshot_store_error.js';
import { redactSecrets } from '../../src/log/redact.js';
import { childEnv, startProgram } from '../support/program.js';
import { freePort, useRedisServer } from '../support/redis_server.js';
import { failure, savedSession } from './saved_sessions.js';

const server = useRedisServer();
const PASSWORD = 'correct-horse-battery-staple';
const guarded = useRedisServer({ password: PASSWORD });
/** Stopped by a test, to see a connection lost. */
const doomed = useRedisServer();

/** A client of the test's own, to look at what the store wrote and to write what it must refuse. */
let raw: RedisClientType;
beforeAll(async () => {
  raw = createClient({ url: server.url });
  await raw.connect();
});
afterAll(async () => {
  if (raw?.isOpen) await raw.close();
});

/** Stores a test made, closed after it; each test has a prefix of its own. */
const stores: RedisSnapshotStore[] = [];
let tests = 0;
function newStore(options: ConstructorParameters<typeof RedisSnapshotStore>[0] = {}): RedisSnapshotStore {
  const store = new RedisSnapshotStore({ url: server.url, prefix: `test:${tests}:`, ...options });
  stores.push(store);
  return store;
}
afterEach(async () => {
  tests++;
  await Promise.all(stores.splice(0).map((store) => store.close()));
});
const prefix = () => `test:${tests}:`;

describe('RedisSnapshotStore', () => {
  it('loads what it saved, as a JSON string under prefix + key', async () => {
    const store = newStore();
    expect(await store.load('room-1')).toBeUndefined();
    await store.save('room-1', savedSession(1));
    expect(await store.load('room-1')).toEqual(savedSession(1));
    expect(JSON.parse((await raw.get(`${prefix()}room-1`))!)).toEqual(savedSession(1));
  });

  it('uses voxstate:session: as its prefix unless told otherwise', async () => {
    const store = new RedisSnapshotStore({ url: server.url });
    stores.push(store);
    await store.save('default-prefix-room', savedSession(1));
    expect(await raw.exists('voxstate:session:default-prefix-room')).toBe(1);
    await store.delete('default-prefix-room');
    expect(await raw.exists('voxstate:session:default-prefix-room')).toBe(0);
  });

  it('replaces a saved session, and keeps keys apart', async () => {
    const store = newStore();
    await store.save('room-1', savedSession(1));
    await store.save('room-2', savedSession(2));
    await store.save('room-1', savedSession(3));
    expect(await store.load('room-1')).toEqual(savedSession(3));
    expect(await store.load('room-2')).toEqual(savedSession(2));
  });

  it('deletes a key, and deleting a missing key does nothing', async () => {
    const store = newStore();
    await store.delete('never-saved');
    await store.save('room-1', savedSession(1));
    await store.delete('room-1');
    await store.delete('room-1');
    expect(await store.load('room-1')).toBeUndefined();
    expect(await raw.exists(`${prefix()}room-1`)).toBe(0);
  });

  it('takes any key as it is, "/" and ".." too', async () => {
    const store = newStore();
    const keys = ['../x', '..', 'a/b', '/', 'a\0b', 'Room', 'room', 'salle à manger 🎙'];
    for (const [index, key] of keys.entries()) await store.save(key, savedSession(index));
    for (const [index, key] of keys.entries()) expect(await store.load(key), key).toEqual(savedSession(index));
    expect((await raw.keys(`${prefix()}*`)).sort()).toEqual(keys.map((key) => prefix() + key).sort());
  });

  it('refuses an empty key and a key that is not a string', async () => {
    const store = newStore();
    for (const key of ['', 42, undefined] as unknown as string[]) {
      await failure(store.save(key, savedSession(1)), 'key');
      await failure(store.load(key), 'key');
      await failure(store.delete(key), 'key');
    }
  });

  it('is read by a second store, as another worker would', async () => {
    const first = newStore();
    const second = newStore();
    await first.save('room-1', savedSession(1));
    expect(await second.load('room-1')).toEqual(savedSession(1));
    await second.save('room-1', savedSession(2));
    expect(await first.load('room-1')).toEqual(savedSession(2));
  });

  it('ends concurrent saves to one key, from two stores, with one of them whole', async () => {
    const stores = [newStore(), newStore()];
    const sessions = Array.from({ length: 16 }, (_, n) => savedSession(n, 100_000 - n * 5_000));
    const loads: Array<Promise<SavedSession | undefined>> = [];
    await Promise.all(
      sessions.map(async (session, n) => {
        await stores[n % 2]!.save('room-1', session);
        loads.push(stores[(n + 1) % 2]!.load('room-1'));
      }),
    );
    for (const loaded of await Promise.all(loads)) expect(sessions).toContainEqual(loaded);
    expect(sessions).toContainEqual(await stores[0]!.load('room-1'));
  });

  it('sets an expiry of ttlSeconds on each save, and none without ttlSeconds', async () => {
    const expiring = newStore({ ttlSeconds: 600 });
    await expiring.save('room-1', savedSession(1));
    const ttl = await raw.ttl(`${prefix()}room-1`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(600);
    // A save without expiry replaces the value and its expiry.
    await newStore().save('room-1', savedSession(2));
    expect(await raw.ttl(`${prefix()}room-1`)).toBe(-1);
  });

  it('refuses ttlSeconds that Redis would not take, and url together with client', () => {
    for (const ttlSeconds of [0, -1, 1.5, Number.NaN]) expect(() => new RedisSnapshotStore({ ttlSeconds })).toThrow(InvalidOptionsError);
    expect(() => new RedisSnapshotStore({ url: server.url, client: raw })).toThrow(/either url or client/);
    expect(() => new RedisSnapshotStore({ url: 'not a url' })).toThrow(/url: not a URL/);
  });

  describe('a stored value it cannot read', () => {
    it('is not JSON', async () => {
      await raw.set(`${prefix()}room-1`, 'hello');
      const error = await failure(newStore().load('room-1'), 'data');
      expect(error.message).toContain(`key "${prefix()}room-1" in Redis`);
      expect(error.message).toContain('is not JSON');
    });

    it('is cut short', async () => {
      await raw.set(`${prefix()}room-1`, JSON.stringify(savedSession(1)).slice(0, -20));
      expect((await failure(newStore().load('room-1'), 'data')).message).toMatch(/is not JSON \(.+\)/);
    });

    it('holds another version', async () => {
      await raw.set(`${prefix()}room-1`, JSON.stringify({ ...savedSession(1), version: 2 }));
      expect((await failure(newStore().load('room-1'), 'data')).message).toContain('is not a saved session: its version is 2, this voxstate reads version 1');
    });

    it('holds JSON of another shape', async () => {
      await raw.set(`${prefix()}room-1`, JSON.stringify({ ...savedSession(1), history: 'none' }));
      expect((await failure(newStore().load('room-1'), 'data')).message).toContain('missing or wrong history (an array)');
    });

    it('is not a string (Redis says WRONGTYPE)', async () => {
      await raw.lPush(`${prefix()}room-1`, 'a');
      const error = await failure(newStore().load('room-1'), 'io');
      expect(error.message).toContain('WRONGTYPE');
    });
  });

  it('refuses to save what it could not load back', async () => {
    const store = newStore();
    const wrong = { ...savedSession(1), version: 2 } as unknown as SavedSession;
    expect((await failure(store.save('room-1', wrong), 'data')).message).toContain('its version is 2');
    expect(await raw.exists(`${prefix()}room-1`)).toBe(0);
  });

  it('uses a client given to it, and leaves it open when closed', async () => {
    const store = newStore({ url: undefined, client: raw });
    await store.save('room-1', savedSession(1));
    expect(await store.load('room-1')).toEqual(savedSession(1));
    await store.close();
    expect(raw.isOpen).toBe(true);
    expect(await raw.exists(`${prefix()}room-1`)).toBe(1);
  });

  it('is closed for good after close()', async () => {
    const store = newStore();
    await store.save('room-1', savedSession(1));
    await store.close();
    await store.close();
    await expect(store.load('room-1')).rejects.toThrow(ClosedError);
  });

  describe('a server it cannot reach', () => {
    it('fails the first command with a SnapshotStoreError, and the next one too, without waiting for the server', async () => {
      const port = await freePort();
      const store = newStore({ url: `redis://127.0.0.1:${port}` });
      const error = await failure(store.save('room-1', savedSession(1)), 'io');
      expect(error.message).toBe(`RedisSnapshotStore: could not connect to Redis at redis://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`);
      expect(error.cause).toMatchObject({ code: 'ECONNREFUSED' });
      await failure(store.load('room-1'), 'io');
    });

    it('fails commands once the server it was connected to is gone, after a few tries to reconnect', async () => {
      const store = newStore({ url: doomed.url });
      await store.save('room-1', savedSession(1));
      await doomed.stop();
      const error = await failure(store.load('room-1'), 'io');
      expect(error.message).toMatch(/could not (read|connect)/);
      await failure(store.load('room-1'), 'io');
    });
  });
});

describe('RedisSnapshotStore with a password', () => {
  it('connects with the password in the URL', async () => {
    const store = newStore({ url: guarded.url });
    await store.save('room-1', savedSession(1));
    expect(await store.load('room-1')).toEqual(savedSession(1));
  });

  it('never shows the password: not in a refused connection\'s error, nor a wrong password\'s', async () => {
    const port = await freePort();
    const refused = await failure(newStore({ url: `redis://:${PASSWORD}@127.0.0.1:${port}` }).load('room-1'), 'io');
    expect(refused.message).toContain(`redis://:***@127.0.0.1:${port}`);
    expect(everything(refused)).not.toContain(PASSWORD);

    const wrongPassword = 'not-the-password-0123';
    const wrong = await failure(newStore({ url: `redis://user:${wrongPassword}@127.0.0.1:${guarded.port}` }).load('room-1'), 'io');
    expect(wrong.message).toContain(`could not connect to Redis at redis://user:***@127.0.0.1:${guarded.port}`);
    expect(wrong.message).toMatch(/WRONGPASS/);
    expect(everything(wrong)).not.toContain(wrongPassword);
  });

  it('fails without the password, saying so', async () => {
    const error = await failure(newStore({ url: `redis://127.0.0.1:${guarded.port}` }).load('room-1'), 'io');
    expect(error.message).toMatch(/NOAUTH/);
  });
});

describe('loading', () => {
  it('import of voxstate does not load the redis package; the first command does', async () => {
    // In a process of its own: this file has loaded redis already. node-redis is CommonJS, so
    // require.cache lists it once loaded, whether by import or require.
    const script = `
      import { createRequire } from 'node:module';
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((file) => file.includes('/node_modules/@redis/client/'));
      const { RedisSnapshotStore } = await import('./src/index.ts');
      const before = loaded();
      await new RedisSnapshotStore({ url: 'redis://127.0.0.1:${await freePort()}' }).load('room').catch(() => undefined);
      console.log(JSON.stringify({ before, after: loaded() }));
    `;
    const program = startProgram(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', script], { cwd: new URL('../..', import.meta.url), env: childEnv() });
    expect(await program.exited, program.err()).toBe(0);
    expect(JSON.parse(program.out())).toEqual({ before: false, after: true });
  }, 30_000);
});

/** Everything an error lets out: its message, its stack, and its causes as a log line would show them. */
function everything(error: unknown): string {
  return JSON.stringify(redactSecrets(error)) + String((error as Error).stack) + String(((error as Error).cause as Error | undefined)?.stack);
}
