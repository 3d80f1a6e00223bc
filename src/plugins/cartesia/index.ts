/** Cartesia: streaming text-to-speech over its WebSocket API. */
export { CartesiaTTS } from './tts.js';
export { CartesiaSynthesizeStream } from './stream.js';
export { type CartesiaTTSOptions, type CartesiaSampleRate, CARTESIA_SAMPLE_RATES, DEFAULT_VOICE_ID } from './options.js';
export { registerCartesia } from './register.js';
