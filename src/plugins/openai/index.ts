/** The OpenAI plugin: chat completions streaming through the openai SDK (any compatible server). */
import { registerOpenAI } from './register.js';

export { OpenAILLM, DEFAULT_OPENAI_MODEL, type OpenAILLMOptions } from './llm.js';
export { registerOpenAI } from './register.js';

registerOpenAI();
