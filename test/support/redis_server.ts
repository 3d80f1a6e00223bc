/**
 * A real redis-server for a test file, on 127.0.0.1 and a free port, with nothing written to disk:
 * started before the file's tests, ended after them (also when they fail). The Redis snapshot
 * store is tested against the server itself, so missing redis-server fails loudly rather than
 * skipping: CI (.ci/run) installs it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

export interface RedisServer {
  /** Set once the server is ready. */
  readonly port: number;
  /** `redis://127.0.0.1:<port>` (with the password when there is one). */
  readonly url: string;
  /** Kills the server before the file's tests end (afterAll then has nothing to do). */
  stop(): Promise<void>;
}

const MISSING = 'redis-server is not installed: the Redis snapshot store is tested against a real one (Debian: apt-get install redis-server)';

/** Starts redis-server in beforeAll and stops it in afterAll; `password` starts it with --requirepass. */
export function useRedisServer(options: { password?: string } = {}): RedisServer {
  let child: ChildProcess | undefined;
  let dir: string | undefined;
  const server = { port: 0, url: '', stop: async () => (child === undefined ? undefined : stop(child)) };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'voxstate-redis-'));
    // A port found free may be taken before redis-server binds it: then try another.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--logfile', ''];
      if (options.password !== undefined) args.push('--requirepass', options.password);
      child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      const outcome = await ready(child);
      if (outcome === 'ready') {
        server.port = port;
        server.url = `redis://${options.password === undefined ? '' : `:${encodeURIComponent(options.password)}@`}127.0.0.1:${port}`;
        return;
      }
      if (!(outcome.includes('Address already in use') && attempt < 3)) throw new Error(`redis-server did not start:\n${outcome}`);
    }
  });
  afterAll(async () => {
    await server.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });
  return server;
}

/** 'ready', or what the server printed before it exited. */
function ready(child: ChildProcess): Promise<'ready' | string> {
  return new Promise((resolve, reject) => {
    let output = '';
    child.on('error', (error: NodeJS.ErrnoException) => reject(error.code === 'ENOENT' ? new Error(MISSING) : error));
    const read = (chunk: Buffer) => {
      output += String(chunk);
      if (output.includes('Ready to accept connections')) resolve('ready');
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.on('exit', () => resolve(output));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** A port nothing listens on (at the moment of asking): for a server that is not there. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
