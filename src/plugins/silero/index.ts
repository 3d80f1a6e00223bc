/** Silero VAD plugin: `import * as silero from …; const vad = await silero.VAD.load()`. */
export { VAD, type SileroVADOptions as VADOptions } from './vad.js';
export { ModelChecksumError, SILERO_V6_2_SHA256, defaultModelPath, type ModelSource } from './model.js';
export { DEFAULT_VAD_OPTIONS } from './options.js';
