import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ChatContext, OfflineLLM, functionTool, inference, type ChatChunk } from '../../src/index.js';
import { withoutProviderKeys } from '../support/offline.js';

withoutProviderKeys();

async function collect(chunks: AsyncIterable<ChatChunk>) {
  const out: ChatChunk[] = [];
  for await (const chunk of chunks) out.push(chunk);
  return out;
}

const tools = [
  { name: 'end_session', tool: functionTool({ description: 'end', execute: () => {} }) },
  { name: 'lookup', tool: functionTool({ description: 'needs args', parameters: z.object({ q: z.string() }), execute: () => {} }) },
];

describe('the offline LLM stand-in', () => {
  it('says what it stands in for', () => {
    const llm = inference.LLM({ model: 'openai/gpt-4.1-mini' });
    expect(llm).toBeInstanceOf(OfflineLLM);
    expect((llm as OfflineLLM).notice).toContain('openai/gpt-4.1-mini: offline stand-in');
    expect(inference.STT({ model: 'deepgram/nova-3' })).toMatchObject({ offline: true, notice: expect.stringContaining('type your turns') });
  });

  it('repeats the user, calls a tool the user names (when it takes no arguments), and reports tool results', async () => {
    const llm = new OfflineLLM();
    const ctx = new ChatContext();
    const signal = new AbortController().signal;
    ctx.addMessage({ role: 'user', content: 'hello there' });
    const text = (chunks: ChatChunk[]) => chunks.map((c) => (c.type === 'content' ? c.text : '')).join('');
    expect(text(await collect(llm.chat({ instructions: '', chatCtx: ctx, tools, toolChoice: 'auto', signal })))).toBe('You said: hello there');
    ctx.addMessage({ role: 'user', content: 'please End-Session now' });
    expect(await collect(llm.chat({ instructions: '', chatCtx: ctx, tools, toolChoice: 'auto', signal }))).toEqual([
      { type: 'tool_call', callId: expect.any(String), name: 'end_session', arguments: '{}' },
    ]);
    expect(text(await collect(llm.chat({ instructions: '', chatCtx: ctx, tools, toolChoice: 'none', signal })))).toContain('You said');
    // A tool choice naming another tool: only that one may be called.
    const onlyLookup = { type: 'function', function: { name: 'lookup' } } as const;
    expect(text(await collect(llm.chat({ instructions: '', chatCtx: ctx, tools, toolChoice: onlyLookup, signal })))).toContain('You said');
    ctx.addMessage({ role: 'user', content: 'lookup' });
    expect(text(await collect(llm.chat({ instructions: '', chatCtx: ctx, tools, toolChoice: 'auto', signal })))).toBe('You said: lookup');
    ctx.addFunctionCallOutput({ callId: 'c1', name: 'lookup', output: '42', isError: false });
    expect(text(await collect(llm.chat({ instructions: '', chatCtx: ctx, tools, toolChoice: 'auto', signal })))).toBe('Done: lookup → 42.');
  });
});
