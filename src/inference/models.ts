/**
 * The model slots of an AgentSession besides the LLM. In text mode (console typing, tests) a
 * session needs none of them; the voice pipeline plugs speech recognition, synthesis and voice
 * activity detection in here.
 */

/** Speech-to-text. */
export interface STT {
  readonly label: string;
}

/** Text-to-speech. */
export interface TTS {
  readonly label: string;
}

/** Voice activity detection. */
export interface VAD {
  readonly label: string;
}

/** A model that is not connected to anything, and says so. */
export interface OfflineStandIn {
  readonly offline: true;
  /** One line for people: what this stands in for and why. */
  readonly notice: string;
}

export function isOfflineStandIn(model: unknown): model is OfflineStandIn {
  return typeof model === 'object' && model !== null && (model as { offline?: unknown }).offline === true;
}
