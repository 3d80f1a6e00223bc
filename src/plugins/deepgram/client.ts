/**
 * The Deepgram SDK client of a plugin instance. The SDK's own retries are off (REST `maxRetries: 0`
 * here, WebSocket `reconnectAttempts: 0` on each connect): the plugin retries by its ConnOptions.
 */
import { DeepgramClient } from '@deepgram/sdk';
import type { ResolvedOptions } from './options.js';

export type ListenSocket = Awaited<ReturnType<DeepgramClient['listen']['v1']['connect']>>;

export function createClient(options: ResolvedOptions): DeepgramClient {
  return new DeepgramClient({
    apiKey: options.apiKey,
    maxRetries: 0,
    ...(options.baseUrl === undefined ? {} : { environment: environmentFor(options.baseUrl) }),
  });
}

/** One host for both APIs: REST over http(s), live over ws(s). */
function environmentFor(baseUrl: string) {
  const url = new URL(baseUrl);
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  const path = url.pathname.replace(/\/+$/, '');
  const host = `${url.host}${path}`;
  const http = `${secure ? 'https' : 'http'}://${host}`;
  const ws = `${secure ? 'wss' : 'ws'}://${host}`;
  return { base: http, production: ws, agent: ws, agentRest: http };
}
