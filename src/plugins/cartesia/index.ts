/**
 * Cartesia: streaming text-to-speech over its WebSocket API. `new cartesia.TTS({ voice })`, as in
 * agents-js and LiveKit's Python plugin.
 */
export { CartesiaTTS as TTS } from './tts.js';
export { CartesiaSynthesizeStream as SynthesizeStream } from './stream.js';
export { type CartesiaTTSOptions as TTSOptions, type CartesiaSampleRate, CARTESIA_SAMPLE_RATES, DEFAULT_VOICE_ID } from './options.js';
export { registerCartesia } from './register.js';
