/**
 * Deepgram speech-to-text (live over WebSocket, pre-recorded over REST), with @deepgram/sdk v5.
 * `new deepgram.STT({ model, language })`, as in agents-js and LiveKit's Python plugin.
 */
export { DeepgramSTT as STT } from './stt.js';
export { DeepgramSpeechStream as SpeechStream } from './live_stream.js';
export { registerDeepgram } from './register.js';
export type { DeepgramSTTOptions as STTOptions } from './options.js';
