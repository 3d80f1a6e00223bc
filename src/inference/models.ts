/**
 * The model slots of an AgentSession besides the LLM (speech recognition, synthesis and voice
 * activity detection), and the offline stand-ins used when a provider is not configured.
 */

export type { STT } from '../stt/stt.js';
export type { TTS } from '../tts/tts.js';
export type { VAD } from '../vad/vad.js';

/** A model that is not connected to anything, and says so. */
export interface OfflineStandIn {
  readonly offline: true;
  /** One line for people: what this stands in for and why. */
  readonly notice: string;
}

export function isOfflineStandIn(model: unknown): model is OfflineStandIn {
  return typeof model === 'object' && model !== null && (model as { offline?: unknown }).offline === true;
}
