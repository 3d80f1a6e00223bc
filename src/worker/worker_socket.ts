/**
 * Opening the worker's WebSocket to LiveKit: `<url>/agent` with an agent token (video grant
 * `agent: true`) in the Authorization header. Failures are typed: a refused upgrade (401/403) is
 * a WorkerAuthError, anything else a WorkerConnectionError. The token never leaves this module.
 */
import type { WebSocket } from 'ws';
import { describe } from '../errors.js';
import { WorkerAuthError, WorkerConnectionError } from './errors.js';

/** `<base>/agent`, with http(s) turned into ws(s); the base's path and query are kept. */
export function agentUrl(base: string): string {
  let url: URL;
  try {
    url = new URL(base);
  } catch (error) {
    throw new WorkerConnectionError(`the LiveKit URL "${base}" is not a URL`, { cause: error });
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  else if (url.protocol !== 'ws:' && url.protocol !== 'wss:')
    throw new WorkerConnectionError(`the LiveKit URL "${base}" must start with ws://, wss://, http:// or https://`);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/agent`;
  return url.toString();
}

/** The token a worker registers with. */
export async function workerToken(apiKey: string, apiSecret: string): Promise<string> {
  // Loaded here, as ws below, not with voxstate: only a worker signs tokens and opens this socket.
  const { AccessToken } = await import('livekit-server-sdk');
  const token = new AccessToken(apiKey, apiSecret);
  token.addGrant({ agent: true });
  return token.toJwt();
}

export interface OpenOptions {
  url: string;
  apiKey: string;
  apiSecret: string;
  /** Aborting cancels the attempt (the worker machine bounds it by connectTimeout). */
  signal: AbortSignal;
}

/** Opens an authenticated socket; resolves once it is open. Aborting terminates it. */
export async function openWorkerSocket(options: OpenOptions): Promise<WebSocket> {
  const url = agentUrl(options.url);
  const jwt = await workerToken(options.apiKey, options.apiSecret);
  if (options.signal.aborted) throw new WorkerConnectionError('the connection was cancelled');
  const { WebSocket } = await import('ws');
  const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${jwt}` }, perMessageDeflate: false });
  return new Promise<WebSocket>((resolve, reject) => {
    const fail = (error: Error) => {
      cleanup();
      ws.terminate();
      reject(error);
    };
    const onOpen = () => {
      cleanup();
      resolve(ws);
    };
    const onError = (error: Error) => fail(new WorkerConnectionError(`could not connect to ${url}: ${describe(error)}`, { cause: error }));
    const onResponse = (request: { destroy(): void }, response: { statusCode?: number; resume(): void }) => {
      const status = response.statusCode ?? 0;
      response.resume();
      request.destroy();
      fail(status === 401 || status === 403 ? new WorkerAuthError(status) : new WorkerConnectionError(`LiveKit answered the connection to ${url} with HTTP ${status}`));
    };
    const onAbort = () => fail(new WorkerConnectionError('the connection was cancelled'));
    const cleanup = () => {
      ws.off('open', onOpen);
      ws.off('error', onError);
      ws.off('unexpected-response', onResponse);
      options.signal.removeEventListener('abort', onAbort);
    };
    // A socket with no error listener would throw; errors after cleanup are the owner's to handle,
    // and a socket that failed here has none left to report.
    ws.on('error', () => {});
    ws.on('open', onOpen);
    ws.on('error', onError);
    ws.on('unexpected-response', onResponse);
    options.signal.addEventListener('abort', onAbort, { once: true });
  });
}
