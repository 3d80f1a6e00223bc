/** `openai.realtime`: OpenAI's Realtime API, speech to speech (agents-js's `openai.realtime`). */
export { OpenAIRealtimeModel as RealtimeModel, DEFAULT_REALTIME_MODEL, DEFAULT_REALTIME_VOICE, type RealtimeModelOptions, type RealtimeTurnDetection } from './realtime_model.js';
export { OpenAIRealtimeSession as RealtimeSession } from './realtime_session.js';
