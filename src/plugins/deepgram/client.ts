/**
 * The Deepgram SDK client of a plugin instance. The SDK's own retries are off (REST `maxRetries: 0`
 * here, WebSocket `reconnectAttempts: 0` on each connect): the plugin retries by its ConnOptions.
 *
 * The SDK is loaded with the first client, not with voxstate: it is the heaviest module voxstate
 * would otherwise load (about 150 ms), and most programs never recognize speech with Deepgram.
 */
import type { DeepgramClient } from '@deepgram/sdk';
import { onDemand } from '../on_demand.js';
import type { ResolvedOptions } from './options.js';

export type ListenSocket = Awaited<ReturnType<DeepgramClient['listen']['v1']['connect']>>;

export const deepgramSdk = onDemand(() => import('@deepgram/sdk'));

export async function createClient(options: ResolvedOptions): Promise<DeepgramClient> {
  const { DeepgramClient } = await deepgramSdk.load();
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
