/**
 * Lets `inference.STT({ model: 'deepgram/<model>', language })` resolve to Deepgram's STT when an
 * API key is configured (the `apiKey` given here, or DEEPGRAM_API_KEY when the model is asked for).
 */
import { registerProvider } from '../../inference/index.js';
import type { DeepgramSTTOptions } from './options.js';
import { DeepgramSTT } from './stt.js';

const PREFIX = 'deepgram/';

let registered = false;

/**
 * Registers the Deepgram STT with `inference`. Options apply to every model it creates (the model
 * name comes from the name asked for). Registering more than once keeps the first registration.
 */
export function registerDeepgram(defaults: Partial<Omit<DeepgramSTTOptions, 'model'>> = {}): void {
  if (registered) return;
  registered = true;
  registerProvider('stt', ({ model, language }) => {
    if (!model.startsWith(PREFIX) || model.length === PREFIX.length) return undefined;
    const apiKey = defaults.apiKey ?? process.env.DEEPGRAM_API_KEY;
    if (!apiKey) return undefined;
    return new DeepgramSTT({ ...defaults, apiKey, model: model.slice(PREFIX.length), ...(language ? { language } : {}) });
  });
}
