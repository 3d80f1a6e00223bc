/**
 * The worker's HTTP health server, as LiveKit's: `GET /` answers 200 "OK" while the worker is
 * healthy (503 otherwise), `GET /worker` describes the worker as JSON (LiveKit's WorkerInfo, in
 * camelCase), HEAD answers the same without a body, anything else is 404 (405 for other methods).
 * Binds 127.0.0.1 unless told otherwise (the `start` verb binds all interfaces, for container probes).
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { VoxstateError, describe } from '../errors.js';
import { log } from '../log/logger.js';

/**
 * What the worker reports about itself. Structurally the same as WorkerStatusInfo of
 * src/worker/worker.ts (declared here so the server does not depend on the worker).
 */
export interface HealthStatus {
  agentName: string;
  workerId: string | undefined;
  state: string;
  activeJobs: number;
  load: number;
  version: string;
  healthy: boolean;
}

export interface HealthServerOptions {
  /** Read on every request. */
  status: () => HealthStatus;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8081; 0 picks a free port. */
  port?: number;
  /** 'room' | 'publisher', reported in /worker. */
  workerType?: string;
}

export interface HealthServer {
  /** http://host:port/ */
  readonly url: string;
  readonly address: { host: string; port: number };
  /** Stops listening and ends open connections. Idempotent. */
  close(): Promise<void>;
}

/** The worker protocol version voxstate speaks (LiveKit's WORKER_PROTOCOL_VERSION). */
const PROTOCOL_VERSION = 1;

let packageVersion: string | undefined;

/** voxstate's version, from its package.json (found from src/ or dist/src/). */
export function sdkVersion(): string {
  if (packageVersion !== undefined) return packageVersion;
  let dir = new URL('.', import.meta.url);
  for (let i = 0; i < 5; i++) {
    dir = new URL('..', dir);
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'voxstate' && typeof pkg.version === 'string') return (packageVersion = pkg.version);
    } catch {
      // not here: look one level up
    }
  }
  return (packageVersion = 'unknown');
}

export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 8081;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`health server port must be 0..65535, got ${String(port)}`);
  const server = createServer((req, res) => answer(req, res, options));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) =>
      reject(new VoxstateError('health_server_failed', `the health server could not listen on ${host}:${port}: ${describe(error)}`, { cause: error })),
    );
    server.listen(port, host, () => resolve());
  });
  server.on('error', (error) => log().error({ err: error }, 'health server error'));
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shown}:${address.port}/`,
    address: { host: address.address, port: address.port },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function answer(req: IncomingMessage, res: ServerResponse, options: HealthServerOptions): void {
  const head = req.method === 'HEAD';
  const send = (status: number, type: string, body: string, extra: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store', ...extra });
    res.end(head ? undefined : body);
  };
  const path = (req.url ?? '/').split('?')[0];
  if (path !== '/' && path !== '/worker') return send(404, 'text/plain', 'not found');
  if (req.method !== 'GET' && !head) return send(405, 'text/plain', 'method not allowed', { allow: 'GET, HEAD' });
  let status: HealthStatus;
  try {
    status = options.status();
  } catch (error) {
    log().error({ err: error }, 'the worker status could not be read for the health server');
    return send(500, 'text/plain', 'status unavailable');
  }
  if (path === '/') return status.healthy ? send(200, 'text/plain', 'OK') : send(503, 'text/plain', 'unhealthy');
  const info = {
    agentName: status.agentName,
    ...(options.workerType ? { workerType: options.workerType } : {}),
    workerId: status.workerId ?? null,
    state: status.state,
    healthy: status.healthy,
    activeJobs: status.activeJobs,
    load: status.load,
    version: status.version,
    sdkVersion: sdkVersion(),
    protocolVersion: PROTOCOL_VERSION,
  };
  send(200, 'application/json', JSON.stringify(info));
}
