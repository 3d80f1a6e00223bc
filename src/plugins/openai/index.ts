/**
 * The OpenAI plugin: chat completions streaming through the openai SDK (any compatible server).
 * `new openai.LLM({ model })`, as in agents-js and LiveKit's Python plugin.
 */
import { registerOpenAI } from './register.js';

export { OpenAILLM as LLM, DEFAULT_OPENAI_MODEL, type OpenAILLMOptions as LLMOptions } from './llm.js';
export { registerOpenAI } from './register.js';
export * as realtime from './realtime/index.js';

registerOpenAI();
