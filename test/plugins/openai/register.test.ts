import { afterEach, describe, expect, it, vi } from 'vitest';
import * as inference from '../../../src/inference/index.js';
import { OfflineLLM } from '../../../src/inference/offline_llm.js';
import { ChatContext } from '../../../src/llm/chat_context.js';
// Importing the plugin registers it.
import * as openai from '../../../src/plugins/openai/index.js';
import { FakeOpenAIServer, textReply } from './fake_openai_server.js';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('inference.LLM with the OpenAI plugin', () => {
  it("gives the OpenAI LLM for 'openai/…' names when OPENAI_API_KEY is set", () => {
    vi.stubEnv('OPENAI_API_KEY', 'sk-env-key-1234');
    const llm = inference.LLM({ model: 'openai/gpt-4.1-mini' });
    expect(llm).toBeInstanceOf(openai.LLM);
    expect(llm.label).toBe('openai/gpt-4.1-mini');
    // agents-js's form: the same model with `new`.
    const made = new inference.LLM({ model: 'openai/gpt-4o' });
    expect(made).toBeInstanceOf(openai.LLM);
    expect(made.label).toBe('openai/gpt-4o');
  });

  it('leaves other names, a bare "openai/", and a missing key to the offline stand-in', () => {
    vi.stubEnv('OPENAI_API_KEY', 'sk-env-key-1234');
    expect(inference.LLM({ model: 'anthropic/claude-sonnet' })).toBeInstanceOf(OfflineLLM);
    expect(inference.LLM({ model: 'openai/' })).toBeInstanceOf(OfflineLLM);
    vi.stubEnv('OPENAI_API_KEY', '');
    expect(inference.LLM({ model: 'openai/gpt-4.1-mini' })).toBeInstanceOf(OfflineLLM);
  });

  it('the resolved model talks to OPENAI_BASE_URL with the key and the model named', async () => {
    const server = await FakeOpenAIServer.start();
    try {
      vi.stubEnv('OPENAI_API_KEY', 'sk-env-key-1234');
      vi.stubEnv('OPENAI_BASE_URL', server.baseURL);
      server.reply(textReply(['Bonjour']));
      const chatCtx = new ChatContext();
      chatCtx.addMessage({ role: 'user', content: 'hi' });
      const chunks = [];
      const llm = inference.LLM({ model: 'openai/gpt-4.1-nano' });
      for await (const c of llm.chat({ instructions: '', chatCtx, tools: [], toolChoice: 'auto', signal: new AbortController().signal })) chunks.push(c);
      expect(chunks[0]).toEqual({ type: 'content', text: 'Bonjour' });
      expect(server.requests[0]!.body.model).toBe('gpt-4.1-nano');
      expect(server.requests[0]!.headers.authorization).toBe('Bearer sk-env-key-1234');
    } finally {
      await server.close();
    }
  });
});
