/** Deepgram speech-to-text (live over WebSocket, pre-recorded over REST), with @deepgram/sdk v5. */
export { DeepgramSTT } from './stt.js';
export { DeepgramSpeechStream } from './live_stream.js';
export { registerDeepgram } from './register.js';
export type { DeepgramSTTOptions } from './options.js';
