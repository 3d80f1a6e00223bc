/**
 * Lets `inference.LLM({ model: 'openai/gpt-4.1-mini' })` give an OpenAILLM when OPENAI_API_KEY is
 * set (read when the name is resolved); without it the name falls back to the offline stand-in.
 */
import { registerProvider } from '../../inference/index.js';
import { PROVIDER } from './errors.js';
import { OpenAILLM } from './llm.js';
import { OpenAIRealtimeModel } from './realtime/realtime_model.js';

let registered = false;

/** Registers the OpenAI LLM with `inference` (once; later calls do nothing). */
export function registerOpenAI(): void {
  if (registered) return;
  registered = true;
  registerProvider('llm', ({ model }) => {
    const prefix = `${PROVIDER}/`;
    if (!model.startsWith(prefix) || model.length === prefix.length || !process.env.OPENAI_API_KEY) return undefined;
    return new OpenAILLM({ model: model.slice(prefix.length) });
  });
  registerProvider('realtime', ({ model, voice }) => {
    const prefix = `${PROVIDER}/`;
    if (!model.startsWith(prefix) || model.length === prefix.length || !process.env.OPENAI_API_KEY) return undefined;
    return new OpenAIRealtimeModel({ model: model.slice(prefix.length), ...(voice ? { voice } : {}) });
  });
}
