/**
 * Saved sessions in Redis, for several workers (on several machines) that continue each other's
 * conversations. The client, node-redis (`redis` on npm), is loaded on the first command, so an
 * application that never uses this store never loads it.
 */
import type * as Redis from 'redis';
import { ClosedError, InvalidOptionsError, describe } from '../errors.js';
import { log } from '../log/logger.js';
import { addSecretValue } from '../log/redact.js';
import { onDemand } from '../plugins/on_demand.js';
import type { SavedSession } from './saved_session.js';
import { parseSavedSession, stringifySavedSession } from './saved_session_check.js';
import type { SnapshotStore } from './snapshot_store.js';
import { SnapshotStoreError, checkSnapshotKey } from './snapshot_store_error.js';

const STORE = 'RedisSnapshotStore';
const redis = onDemand<typeof Redis>(() => import('redis'));

/** How often a connection that was up and dropped is tried again before commands fail; the waits add up to under 2 s. */
const RECONNECT_TRIES = 4;

/** The commands the store sends. A node-redis client (`createClient()` from `redis`) has them, and so does its cluster client. */
export interface RedisSnapshotClient {
  get(key: string): Promise<unknown>;
  set(key: string, value: string, options?: { expiration: { type: 'EX'; value: number } }): Promise<unknown>;
  del(key: string): Promise<unknown>;
}

export interface RedisSnapshotStoreOptions {
  /**
   * The server, `redis://[[user]:password@]host[:port][/db]` (or `rediss://` for TLS); default
   * `redis://127.0.0.1:6379`. The store connects on its first command. A password in it is
   * masked in every message and log line.
   */
  url?: string;
  /**
   * A connected client to use instead of a connection of the store's own (one shared with the
   * application). It stays the caller's: close() leaves it open.
   */
  client?: RedisSnapshotClient;
  /** Put before every key, so saved sessions have their own part of a shared database; default `voxstate:session:`. */
  prefix?: string;
  /** When given, a saved session expires this many seconds after its last save (a whole number, at least 1). */
  ttlSeconds?: number;
}

/**
 * A SnapshotStore keeping each session as one Redis string (JSON) under `prefix + key`: SET to
 * save (atomic; with EX when `ttlSeconds` is set), GET to load, DEL to delete.
 *
 * A server that cannot be reached fails the command with a SnapshotStoreError at once, rather than
 * waiting for it to come back; a connection that drops later is tried again a few times (a
 * restart of Redis) before commands fail, and the next command connects anew.
 */
export class RedisSnapshotStore implements SnapshotStore {
  readonly #url: string;
  /** The URL as messages show it: without its password. */
  readonly #shownUrl: string;
  readonly #prefix: string;
  readonly #ttlSeconds: number | undefined;
  readonly #given: RedisSnapshotClient | undefined;
  /** The connection of the store's own, once one is asked for; cleared when it is lost for good. */
  #own: Promise<Redis.RedisClientType> | undefined;
  #closed = false;

  constructor(options: RedisSnapshotStoreOptions = {}) {
    const problems: string[] = [];
    const { url = 'redis://127.0.0.1:6379', client, prefix = 'voxstate:session:', ttlSeconds } = options;
    if (client !== undefined && options.url !== undefined) problems.push('url: give either url or client, not both');
    if (typeof url !== 'string') problems.push('url: must be a string');
    if (typeof prefix !== 'string') problems.push('prefix: must be a string');
    if (ttlSeconds !== undefined && !(Number.isInteger(ttlSeconds) && ttlSeconds >= 1)) {
      problems.push(`ttlSeconds: must be a whole number of seconds, at least 1, got ${String(ttlSeconds)}`);
    }
    const shown = typeof url === 'string' ? showUrl(url) : undefined;
    if (shown === undefined) problems.push('url: not a URL (redis://host:port)');
    if (problems.length > 0) throw new InvalidOptionsError(STORE, problems);
    this.#url = url;
    this.#shownUrl = client === undefined ? shown! : 'the client given';
    this.#prefix = prefix;
    this.#ttlSeconds = ttlSeconds;
    this.#given = client;
  }

  async load(key: string): Promise<SavedSession | undefined> {
    const name = this.#key(key);
    const value = await this.#command(`read ${JSON.stringify(name)}`, (client) => client.get(name));
    if (value === null || value === undefined) return undefined;
    const where = `${STORE}: key ${JSON.stringify(name)} in Redis (${this.#shownUrl})`;
    if (typeof value === 'string') return parseSavedSession(value, where);
    // A client with a type mapping for blob strings gives Buffers.
    if (Buffer.isBuffer(value)) return parseSavedSession(value.toString('utf8'), where);
    throw new SnapshotStoreError('data', `${where}: GET gave ${typeof value}, not a string`);
  }

  async save(key: string, session: SavedSession): Promise<void> {
    const name = this.#key(key);
    const text = stringifySavedSession(session, `${STORE}: the session to save under ${JSON.stringify(key)}`);
    const ttl = this.#ttlSeconds;
    await this.#command(`save ${JSON.stringify(name)}`, (client) =>
      ttl === undefined ? client.set(name, text) : client.set(name, text, { expiration: { type: 'EX', value: ttl } }),
    );
  }

  async delete(key: string): Promise<void> {
    const name = this.#key(key);
    await this.#command(`delete ${JSON.stringify(name)}`, (client) => client.del(name));
  }

  /** Closes the store's own connection, after the commands already sent; a client given in the options stays open. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const own = this.#own;
    this.#own = undefined;
    const client = await own?.catch(() => undefined);
    if (client?.isOpen) await client.close();
  }

  #key(key: string): string {
    return this.#prefix + checkSnapshotKey(key, STORE);
  }

  async #command<T>(what: string, send: (client: RedisSnapshotClient) => Promise<T>): Promise<T> {
    if (this.#closed) throw new ClosedError(STORE, what, 'closed');
    const client = this.#given ?? (await this.#connection());
    try {
      return await send(client);
    } catch (error) {
      throw new SnapshotStoreError('io', `${STORE}: could not ${what} in Redis (${this.#shownUrl}): ${reason(error)}`, { cause: error });
    }
  }

  #connection(): Promise<Redis.RedisClientType> {
    this.#own ??= this.#connect().catch((error: unknown) => {
      this.#own = undefined;
      throw error;
    });
    return this.#own;
  }

  async #connect(): Promise<Redis.RedisClientType> {
    let createClient: typeof Redis.createClient;
    try {
      ({ createClient } = await redis.load());
    } catch (error) {
      throw new SnapshotStoreError('io', `${STORE}: the package "redis" could not be loaded: ${reason(error)}`, { cause: error });
    }
    let wasReady = false;
    const client: Redis.RedisClientType = createClient({
      url: this.#url,
      socket: {
        // node-redis retries forever by default, so a command to a dead server would wait forever.
        // A server down at the start is an error at once; one that was up gets a few quick retries.
        reconnectStrategy: (retries) => (wasReady && retries < RECONNECT_TRIES ? Math.min(100 * 2 ** retries, 800) : false),
      },
    });
    client.on('ready', () => (wasReady = true));
    // Without a listener an 'error' event would end the process. Before the first ready, the
    // failure reaches the caller through connect(); afterwards it is only seen here.
    client.on('error', (error: unknown) => {
      if (wasReady) log().warn({ err: error }, `${STORE}: the connection to Redis (${this.#shownUrl}) failed: ${reason(error)}`);
    });
    // Retries gave up: the client is done (its pending commands have failed); the next command connects anew.
    client.on('terminated', () => {
      if (this.#own !== undefined && wasReady) this.#own = undefined;
      client.destroy();
    });
    try {
      await client.connect();
    } catch (error) {
      client.destroy();
      throw new SnapshotStoreError('io', `${STORE}: could not connect to Redis at ${this.#shownUrl}: ${reason(error)}`, { cause: error });
    }
    return client;
  }
}

/** `url` without its password (which is registered as a secret, so it is masked wherever else it appears); undefined when it is no URL. */
function showUrl(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.password !== '') {
    addSecretValue(parsed.password);
    try {
      addSecretValue(decodeURIComponent(parsed.password));
    } catch {
      // Not percent-encoding: the password is the text as written, registered above.
    }
    parsed.password = '***';
  }
  return parsed.href;
}

/** One line for a failure; a refused connection to a name with several addresses is an AggregateError with an empty message. */
function reason(error: unknown): string {
  if (error instanceof AggregateError && error.message === '') return error.errors.map(reason).join('; ');
  return describe(error) || String((error as { code?: unknown } | null)?.code ?? 'unknown error');
}
