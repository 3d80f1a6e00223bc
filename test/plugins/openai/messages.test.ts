import { describe, expect, it } from 'vitest';
import { ChatContext } from '../../../src/llm/chat_context.js';
import { toOpenAIMessages } from '../../../src/plugins/openai/messages.js';

const call = (callId: string, name = 'lookup', args = '{}') => ({ callId, name, arguments: args });
const output = (callId: string, out: string, name = 'lookup') => ({ callId, name, output: out, isError: false });

describe('chat context → OpenAI messages', () => {
  it('instructions first as the system message; system and developer items as system messages; none when instructions are blank', () => {
    const ctx = new ChatContext();
    ctx.addMessage({ role: 'developer', content: 'dev note' });
    ctx.addMessage({ role: 'system', content: 'sys note' });
    ctx.addMessage({ role: 'user', content: 'hi' });
    expect(toOpenAIMessages('Be brief.', ctx)).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'system', content: 'dev note' },
      { role: 'system', content: 'sys note' },
      { role: 'user', content: 'hi' },
    ]);
    expect(toOpenAIMessages('  ', ctx)[0]).toEqual({ role: 'system', content: 'dev note' });
  });

  it('calls not preceded by assistant text get an assistant message of their own; empty arguments become {}', () => {
    const ctx = new ChatContext();
    ctx.addMessage({ role: 'user', content: 'look it up' });
    ctx.addFunctionCall(call('c1', 'lookup', ''));
    ctx.addFunctionCallOutput(output('c1', 'found'));
    expect(toOpenAIMessages('', ctx)).toEqual([
      { role: 'user', content: 'look it up' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'c1', content: 'found' },
    ]);
  });

  it('each group of calls is followed at once by its outputs, in call order, even when the user spoke while the tools ran', () => {
    const ctx = new ChatContext();
    ctx.addFunctionCall(call('a'));
    ctx.addFunctionCall(call('b'));
    ctx.addMessage({ role: 'user', content: 'are you there?' });
    ctx.addFunctionCallOutput(output('b', 'B'));
    ctx.addFunctionCallOutput(output('a', 'A'));
    ctx.addFunctionCall(call('c'));
    ctx.addFunctionCallOutput(output('c', 'C'));
    expect(toOpenAIMessages('', ctx)).toEqual([
      { role: 'assistant', content: null, tool_calls: [expect.objectContaining({ id: 'a' }), expect.objectContaining({ id: 'b' })] },
      { role: 'tool', tool_call_id: 'a', content: 'A' },
      { role: 'tool', tool_call_id: 'b', content: 'B' },
      { role: 'user', content: 'are you there?' },
      { role: 'assistant', content: null, tool_calls: [expect.objectContaining({ id: 'c' })] },
      { role: 'tool', tool_call_id: 'c', content: 'C' },
    ]);
  });

  it('leaves out calls without an output yet, outputs without their call, and agent handoffs', () => {
    const ctx = new ChatContext();
    ctx.addMessage({ role: 'user', content: 'hi' });
    ctx.addFunctionCallOutput(output('ghost', 'orphan'));
    ctx.addHandoff({ oldAgentId: undefined, newAgentId: 'triage' });
    ctx.addFunctionCall(call('done'));
    ctx.addHandoff({ oldAgentId: 'triage', newAgentId: 'sales' });
    ctx.addFunctionCall(call('running'));
    ctx.addFunctionCallOutput(output('done', 'ok'));
    expect(toOpenAIMessages('', ctx)).toEqual([
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: null, tool_calls: [expect.objectContaining({ id: 'done' })] },
      { role: 'tool', tool_call_id: 'done', content: 'ok' },
    ]);
  });

  it('joins calls only to the assistant text said just before them', () => {
    const ctx = new ChatContext();
    ctx.addMessage({ role: 'assistant', content: 'Hello!' });
    ctx.addMessage({ role: 'user', content: 'book it' });
    ctx.addMessage({ role: 'assistant', content: 'Booking now.' });
    ctx.addFunctionCall(call('k', 'book'));
    ctx.addFunctionCallOutput(output('k', 'booked', 'book'));
    ctx.addMessage({ role: 'assistant', content: 'Done.' });
    const messages = toOpenAIMessages('', ctx);
    expect(messages).toEqual([
      { role: 'assistant', content: 'Hello!' },
      { role: 'user', content: 'book it' },
      { role: 'assistant', content: 'Booking now.', tool_calls: [{ id: 'k', type: 'function', function: { name: 'book', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'k', content: 'booked' },
      { role: 'assistant', content: 'Done.' },
    ]);
  });

  it('does not change the context', () => {
    const ctx = new ChatContext();
    ctx.addMessage({ role: 'assistant', content: 'x' });
    ctx.addFunctionCall(call('a'));
    ctx.addFunctionCallOutput(output('a', 'A'));
    const before = JSON.stringify(ctx);
    toOpenAIMessages('i', ctx);
    expect(JSON.stringify(ctx)).toBe(before);
  });
});
