/** Against the real OpenAI API (or OPENAI_BASE_URL): runs only when OPENAI_API_KEY is set. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ChatContext } from '../../../src/llm/chat_context.js';
import { functionTool } from '../../../src/llm/function_tool.js';
import type { ChatChunk } from '../../../src/llm/llm.js';
import { parseToolArguments } from '../../../src/llm/tool_parameters.js';
import type { LLMMetrics } from '../../../src/provider/metrics.js';
import { OpenAILLM } from '../../../src/plugins/openai/llm.js';

describe.skipIf(!process.env.OPENAI_API_KEY)('OpenAILLM against the real service', () => {
  it('streams a reply with usage, and calls a tool with arguments that match its schema', { timeout: 60_000 }, async () => {
    const llm = new OpenAILLM({ model: process.env.OPENAI_TEST_MODEL ?? 'gpt-4.1-mini', temperature: 0 });
    const metrics: LLMMetrics[] = [];
    llm.on('metrics_collected', (m) => metrics.push(m as LLMMetrics));
    const chatCtx = new ChatContext();
    chatCtx.addMessage({ role: 'user', content: 'Say exactly: hello there' });
    const signal = new AbortController().signal;
    const chunks: ChatChunk[] = [];
    for await (const c of llm.chat({ instructions: 'You follow instructions exactly.', chatCtx, tools: [], toolChoice: 'auto', signal })) chunks.push(c);
    const text = chunks.map((c) => (c.type === 'content' ? c.text : '')).join('');
    expect(text.toLowerCase()).toContain('hello there');
    expect(chunks.at(-1)).toMatchObject({ type: 'usage', promptTokens: expect.any(Number) });
    expect(metrics[0]).toMatchObject({ cancelled: false, completionTokens: expect.any(Number) });

    const weather = functionTool({ description: 'Current weather of a city', parameters: z.object({ city: z.string() }), execute: () => 'sunny' });
    const toolCtx = new ChatContext();
    toolCtx.addMessage({ role: 'user', content: 'What is the weather in Paris?' });
    const calls: ChatChunk[] = [];
    for await (const c of llm.chat({ instructions: '', chatCtx: toolCtx, tools: [{ name: 'get_weather', tool: weather }], toolChoice: 'required', signal })) {
      if (c.type === 'tool_call') calls.push(c);
    }
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ type: 'tool_call', name: 'get_weather' });
    expect(await parseToolArguments(weather.parameters, (calls[0] as { arguments: string }).arguments)).toMatchObject({ ok: true });
  });
});
