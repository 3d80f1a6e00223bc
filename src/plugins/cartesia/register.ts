/**
 * Lets `inference.TTS({ model: 'cartesia/<model>', voice, language })` resolve to the Cartesia TTS
 * when a key is configured (CARTESIA_API_KEY); otherwise the name falls through to the offline
 * stand-in.
 */
import { registerProvider } from '../../inference/index.js';
import { CartesiaTTS } from './tts.js';

let registered = false;

/** Registers the Cartesia provider with inference (once; later calls do nothing). */
export function registerCartesia(): void {
  if (registered) return;
  registered = true;
  registerProvider('tts', ({ model, voice, language }) => {
    if (!model.startsWith('cartesia/') || !process.env.CARTESIA_API_KEY) return undefined;
    const id = model.slice('cartesia/'.length);
    return new CartesiaTTS({ ...(id ? { model: id } : {}), ...(voice ? { voice } : {}), ...(language ? { language } : {}) });
  });
}
