import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { functionTool } from '../../../src/llm/function_tool.js';
import { toJsonSchema } from '../../../src/llm/tool_parameters.js';
import { ChunkReader } from '../../../src/plugins/openai/chunks.js';
import { ToolCallAssembler } from '../../../src/plugins/openai/tool_calls.js';
import { strictSchema, toOpenAITools } from '../../../src/plugins/openai/tools.js';
import { chunk } from './fake_openai_server.js';

describe('ToolCallAssembler', () => {
  it('joins the fragments of each index and releases whole calls in index order, once', () => {
    const calls = new ToolCallAssembler();
    calls.push([{ index: 1, id: 'call_b', function: { name: 'second', arguments: '' } }]);
    calls.push([{ index: 0, id: 'call_a', function: { name: 'first', arguments: '{"x"' } }]);
    calls.push([{ index: 1, function: { arguments: '{"y":2}' } }, { index: 0, function: { arguments: ':1}' } }]);
    expect(calls.pending).toBe(true);
    expect(calls.take()).toEqual([
      { callId: 'call_a', name: 'first', arguments: '{"x":1}' },
      { callId: 'call_b', name: 'second', arguments: '{"y":2}' },
    ]);
    expect(calls.pending).toBe(false);
    expect(calls.take()).toEqual([]);
  });

  it('keeps the first id and name when a server repeats them; no arguments become {}; a call without a name is dropped', () => {
    const calls = new ToolCallAssembler();
    calls.push([{ index: 0, id: 'call_1', function: { name: 'end_session' } }]);
    calls.push([{ index: 0, id: 'call_1', function: { name: 'end_session', arguments: null } }]);
    calls.push([{ index: 1, function: { arguments: '{}' } }]);
    expect(calls.take()).toEqual([{ callId: 'call_1', name: 'end_session', arguments: '{}' }]);
  });

  it('gives an id to a call that came without one, and follows servers that send no index', () => {
    const calls = new ToolCallAssembler();
    calls.push([{ id: 'x1', function: { name: 'a', arguments: '{"q":' } }]);
    calls.push([{ function: { arguments: '"1"}' } }]);
    calls.push([{ id: 'x2', function: { name: 'b', arguments: '{}' } }]);
    calls.push([{ index: 5, function: { name: 'c', arguments: '{}' } }]);
    const taken = calls.take();
    expect(taken.slice(0, 2)).toEqual([
      { callId: 'x1', name: 'a', arguments: '{"q":"1"}' },
      { callId: 'x2', name: 'b', arguments: '{}' },
    ]);
    expect(taken[2]).toMatchObject({ name: 'c', callId: expect.stringMatching(/^call_/) });
  });
});

describe('ChunkReader', () => {
  it('holds tool calls until the finish reason, and reports usage and the response id', () => {
    const reader = new ChunkReader();
    const read = (c: Record<string, unknown>) => reader.read(c as unknown as ChatCompletionChunk);
    expect(read(chunk.role())).toEqual([]);
    expect(read(chunk.text(''))).toEqual([]);
    expect(read(chunk.toolCalls({ index: 0, id: 'c', name: 'n', arguments: '{"a":' }))).toEqual([]);
    expect(read(chunk.toolCalls({ index: 0, arguments: '1}' }))).toEqual([]);
    expect(read(chunk.finish('tool_calls'))).toEqual([{ type: 'tool_call', callId: 'c', name: 'n', arguments: '{"a":1}' }]);
    expect(read(chunk.usage(5, 7))).toEqual([{ type: 'usage', promptTokens: 5, completionTokens: 7 }]);
    expect(reader.end()).toEqual([]);
    expect(reader).toMatchObject({ responseId: chunk.id, finishReason: 'tool_calls', usage: { promptTokens: 5, completionTokens: 7, totalTokens: 12 } });
  });
});

describe('tools', () => {
  it('strict only for schemas that already meet strict mode, with every `required` spelled out', () => {
    const strict = (parameters: z.ZodObject) => strictSchema(toJsonSchema(parameters));
    expect(strict(z.object({}))).toEqual({ type: 'object', properties: {}, required: [], additionalProperties: false });
    expect(strict(z.object({ a: z.array(z.object({ b: z.enum(['x', 'y']) })), n: z.int(), ok: z.boolean(), none: z.object({}) }))).toEqual({
      type: 'object',
      properties: {
        a: { type: 'array', items: { type: 'object', properties: { b: { type: 'string', enum: ['x', 'y'] } }, required: ['b'], additionalProperties: false } },
        n: { type: 'integer', minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER },
        ok: { type: 'boolean' },
        none: { type: 'object', properties: {}, required: [], additionalProperties: false },
      },
      required: ['a', 'n', 'ok', 'none'],
      additionalProperties: false,
    });
    expect(strict(z.object({ a: z.string().nullable() }))).toBeDefined();
    expect(strict(z.object({ a: z.string().optional() }))).toBeUndefined();
    expect(strict(z.object({ a: z.array(z.object({ b: z.number().optional() })) }))).toBeUndefined();
    expect(strict(z.looseObject({ a: z.string() }))).toBeUndefined();
    expect(strictSchema({ type: 'object', properties: { a: { type: 'string' } }, required: ['a'] })).toBeUndefined();
    expect(strictSchema({ type: 'object', properties: { a: { type: 'string', minLength: 2 } }, required: ['a'], additionalProperties: false })).toBeUndefined();
    expect(strictSchema({ type: 'string' })).toBeUndefined();
  });

  it('sends name (the key), description and the schema as it is', () => {
    const tool = functionTool({ description: 'Ends the call', execute: () => undefined });
    expect(toOpenAITools([{ name: 'end_call', tool }])).toEqual([
      {
        type: 'function',
        function: {
          name: 'end_call',
          description: 'Ends the call',
          parameters: { type: 'object', properties: {}, required: [], additionalProperties: false },
          strict: true,
        },
      },
    ]);
  });
});
