/** The worker's health server: / and /worker, HEAD, 404/405, status read per request, closing. */
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startHealthServer, sdkVersion, type HealthServer, type HealthStatus } from '../../src/server/health_server.js';

const servers: HealthServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

function fetchRaw(url: string, method = 'GET'): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += String(chunk)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function start(status: () => HealthStatus, workerType?: string) {
  const server = await startHealthServer({ status, port: 0, ...(workerType ? { workerType } : {}) });
  servers.push(server);
  return server;
}

const base: HealthStatus = { agentName: 'my-agent', workerId: 'AW_1', state: 'running', activeJobs: 2, load: 0.25, version: '1.2.3', healthy: true };

describe('health server', () => {
  it('binds 127.0.0.1 on a free port when asked for port 0', async () => {
    const server = await start(() => base);
    expect(server.address.host).toBe('127.0.0.1');
    expect(server.address.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.address.port}/`);
  });

  it('GET / is 200 OK while healthy and 503 when not; the status is read on every request', async () => {
    let healthy = true;
    const server = await start(() => ({ ...base, healthy }));
    expect(await fetchRaw(server.url)).toMatchObject({ status: 200, body: 'OK' });
    healthy = false;
    expect(await fetchRaw(server.url)).toMatchObject({ status: 503 });
    healthy = true;
    expect((await fetchRaw(`${server.url}?probe=1`)).status).toBe(200);
  });

  it('GET /worker describes the worker (LiveKit WorkerInfo fields)', async () => {
    const server = await start(() => base, 'room');
    const { status, body, headers } = await fetchRaw(`${server.url}worker`);
    expect(status).toBe(200);
    expect(headers['content-type']).toBe('application/json');
    expect(JSON.parse(body)).toEqual({
      agentName: 'my-agent',
      workerType: 'room',
      workerId: 'AW_1',
      state: 'running',
      healthy: true,
      activeJobs: 2,
      load: 0.25,
      version: '1.2.3',
      sdkVersion: sdkVersion(),
      protocolVersion: 1,
    });
    expect(sdkVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('HEAD answers like GET without a body; other paths 404, other methods 405', async () => {
    let healthy = true;
    const server = await start(() => ({ ...base, healthy }));
    expect(await fetchRaw(server.url, 'HEAD')).toMatchObject({ status: 200, body: '' });
    healthy = false;
    expect(await fetchRaw(server.url, 'HEAD')).toMatchObject({ status: 503, body: '' });
    expect((await fetchRaw(`${server.url}metrics`)).status).toBe(404);
    expect((await fetchRaw(`${server.url}worker/x`)).status).toBe(404);
    expect(await fetchRaw(server.url, 'POST')).toMatchObject({ status: 405, headers: { allow: 'GET, HEAD' } });
  });

  it('a status that throws is a 500, and the server goes on', async () => {
    let fail = true;
    const server = await start(() => {
      if (fail) throw new Error('boom');
      return base;
    });
    expect((await fetchRaw(server.url)).status).toBe(500);
    fail = false;
    expect((await fetchRaw(server.url)).status).toBe(200);
  });

  it('a port in use is a typed error; close is idempotent and frees the port', async () => {
    const first = await start(() => base);
    await expect(startHealthServer({ status: () => base, port: first.address.port })).rejects.toMatchObject({ code: 'health_server_failed' });
    await Promise.all([first.close(), first.close()]);
    await expect(fetchRaw(first.url)).rejects.toThrow();
    const again = await startHealthServer({ status: () => base, port: first.address.port });
    servers.push(again);
    expect((await fetchRaw(again.url)).status).toBe(200);
    await expect(startHealthServer({ status: () => base, port: 70000 })).rejects.toThrow(RangeError);
  });
});
