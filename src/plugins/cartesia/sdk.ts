/**
 * The Cartesia SDK (@cartesia/cartesia-js 4.2), loaded through its CommonJS build: on Node 20
 * its ESM build cannot load the `ws` peer (it calls `require('ws')` inside a try), so the TTS
 * WebSocket only works from the CommonJS side.
 *
 * `TTSWS` is the SDK's own WebSocket class (what `client.tts.websocket()` constructs). It is used
 * directly so an `error` listener is attached before the handshake: without one the SDK turns a
 * failed handshake (HTTP 401, 429, 500…) into an unhandled promise rejection.
 */
import { createRequire } from 'node:module';
import type CartesiaClient from '@cartesia/cartesia-js';
import type { TTSWS as SdkTTSWS, TTSWSContext as SdkTTSWSContext } from '@cartesia/cartesia-js/resources/tts/ws';

const require = createRequire(import.meta.url);

export type Cartesia = CartesiaClient;
export type TTSWS = SdkTTSWS;
export type TTSWSContext = SdkTTSWSContext;

export const Cartesia: typeof CartesiaClient = (require('@cartesia/cartesia-js') as { default: typeof CartesiaClient }).default;
export const TTSWS: typeof SdkTTSWS = (require('@cartesia/cartesia-js/resources/tts/ws') as { TTSWS: typeof SdkTTSWS }).TTSWS;
