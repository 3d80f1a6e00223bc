/**
 * OpenAILLM through the real openai SDK against a fake chat completions server on 127.0.0.1.
 * Only setTimeout/clearTimeout (the retry policy's timers) and performance.now (the metrics'
 * clock) are faked: the sockets run for real, and the tests wait for what the server or the model
 * reports, never for time. A latency shows up in the metrics only when a test advances the clock
 * while the server holds its reply.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { ChatContext } from '../../../src/llm/chat_context.js';
import { functionTool } from '../../../src/llm/function_tool.js';
import type { ChatChunk, ChatRequest } from '../../../src/llm/llm.js';
import type { LLMMetrics } from '../../../src/provider/metrics.js';
import { OpenAILLM, type OpenAILLMOptions } from '../../../src/plugins/openai/llm.js';
import { ProviderError } from '../../../src/provider/provider_error.js';
import { deferred } from '../../support/deferred.js';
import { chunk, drop, FakeOpenAIServer, hang, sse, status, textReply } from './fake_openai_server.js';

const KEY = 'sk-test-0123456789abcdef';
const RETRY_MS = 100;
const TIMEOUT_MS = 1_000;

let server: FakeOpenAIServer;

beforeEach(async () => {
  server = await FakeOpenAIServer.start();
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  vi.advanceTimersByTime(1_000); // a clock that does not start at 0
});
afterEach(async () => {
  vi.useRealTimers();
  await server.close();
});

function makeLLM(options: OpenAILLMOptions = {}) {
  const llm = new OpenAILLM({
    apiKey: KEY,
    baseURL: server.baseURL,
    ...options,
    connOptions: { maxRetry: 2, retryIntervalMs: RETRY_MS, timeoutMs: TIMEOUT_MS, ...options.connOptions },
  });
  const errors: ProviderError[] = [];
  const metrics: LLMMetrics[] = [];
  llm.on('error', (error) => errors.push(error));
  llm.on('metrics_collected', (m) => metrics.push(m as LLMMetrics));
  return { llm, errors, metrics };
}

function request(overrides: Partial<ChatRequest> = {}): ChatRequest {
  const chatCtx = new ChatContext();
  chatCtx.addMessage({ role: 'user', content: 'What is the weather in Paris?' });
  return { instructions: 'You are a weather bot.', chatCtx, tools: [], toolChoice: 'auto', signal: new AbortController().signal, ...overrides };
}

async function collect(stream: AsyncIterable<ChatChunk>): Promise<{ chunks: ChatChunk[]; error: unknown }> {
  const chunks: ChatChunk[] = [];
  try {
    for await (const c of stream) chunks.push(c);
    return { chunks, error: undefined };
  } catch (error) {
    return { chunks, error };
  }
}

/** Lets real I/O run until `condition` holds (no timers involved). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Plays a chat that fails every attempt through its retries (two, on the fake clock) to its outcome. */
async function throughRetries(stream: AsyncIterable<ChatChunk>, errors: readonly ProviderError[]) {
  const outcome = collect(stream);
  for (const failed of [1, 2]) {
    await until(() => errors.length === failed);
    await vi.advanceTimersByTimeAsync(RETRY_MS);
  }
  return outcome;
}

const text = (chunks: ChatChunk[]) => chunks.map((c) => (c.type === 'content' ? c.text : '')).join('');

const weather = functionTool({
  description: 'Current weather of a city',
  parameters: z.object({ city: z.string().describe('city name') }),
  execute: ({ city }) => `sunny in ${city}`,
});
const time = functionTool({
  description: 'Current time in a time zone',
  parameters: z.object({ zone: z.string(), format: z.enum(['12h', '24h']).optional() }),
  execute: () => '12:00',
});

describe('streaming', () => {
  it('yields text deltas as the server sends them, then the usage, and reports metrics', async () => {
    const first = deferred();
    const rest = deferred();
    server.reply(
      sse([chunk.role(), first.promise, chunk.text('Hel'), rest.promise, chunk.text('lo '), chunk.text('world'), chunk.finish('stop'), chunk.usage(12, 3)]),
    );
    const { llm, errors, metrics } = makeLLM();
    const stream = llm.chat(request())[Symbol.asyncIterator]();
    const hel = stream.next();
    await server.received(1);
    // The model takes 250 ms to its first token, and 100 ms more to the rest.
    vi.advanceTimersByTime(250);
    first.resolve();
    // The first delta arrives while the server still holds the rest.
    expect(await hel).toEqual({ done: false, value: { type: 'content', text: 'Hel' } });
    vi.advanceTimersByTime(100);
    rest.resolve();
    const after = await collect({ [Symbol.asyncIterator]: () => stream });
    expect(after.chunks).toEqual([
      { type: 'content', text: 'lo ' },
      { type: 'content', text: 'world' },
      { type: 'usage', promptTokens: 12, completionTokens: 3 },
    ]);
    expect(after.error).toBeUndefined();
    expect(errors).toEqual([]);
    expect(server.requests).toHaveLength(1);
    expect(metrics).toHaveLength(1);
    const m = metrics[0]!;
    expect(m).toMatchObject({
      type: 'llm_metrics',
      label: 'openai/gpt-4.1-mini',
      requestId: chunk.id,
      cancelled: false,
      promptTokens: 12,
      completionTokens: 3,
      totalTokens: 15,
    });
    expect(m.ttftMs).toBe(250);
    expect(m.durationMs).toBe(350);
    expect(m.tokensPerSecond).toBeCloseTo(3 / 0.35, 6);
  });

  it('reassembles a tool call streamed in pieces: id and name, then `{"city":`, then `"Paris"}`', async () => {
    server.reply(
      sse([
        chunk.role(),
        chunk.toolCalls({ index: 0, id: 'call_abc123', name: 'get_weather' }),
        chunk.toolCalls({ index: 0, arguments: '{"city":' }),
        chunk.toolCalls({ index: 0, arguments: '"Paris"}' }),
        chunk.finish('tool_calls'),
        chunk.usage(20, 9),
      ]),
    );
    const { llm } = makeLLM();
    const { chunks, error } = await collect(llm.chat(request({ tools: [{ name: 'get_weather', tool: weather }] })));
    expect(error).toBeUndefined();
    expect(chunks).toEqual([
      { type: 'tool_call', callId: 'call_abc123', name: 'get_weather', arguments: '{"city":"Paris"}' },
      { type: 'usage', promptTokens: 20, completionTokens: 9 },
    ]);
  });

  it('reassembles two parallel tool calls whose pieces interleave, after the text, in index order', async () => {
    server.reply(
      sse([
        chunk.role(),
        chunk.text('Checking both.'),
        chunk.toolCalls({ index: 0, id: 'call_w', name: 'get_weather' }, { index: 1, id: 'call_t', name: 'get_time' }),
        chunk.toolCalls({ index: 1, arguments: '{"zone":' }),
        chunk.toolCalls({ index: 0, arguments: '{"city":"Paris"}' }),
        chunk.toolCalls({ index: 1, arguments: '"UTC"}' }),
        chunk.finish('tool_calls'),
        chunk.usage(30, 17),
      ]),
    );
    const { llm } = makeLLM();
    const tools = [
      { name: 'get_weather', tool: weather },
      { name: 'get_time', tool: time },
    ];
    const { chunks } = await collect(llm.chat(request({ tools })));
    expect(chunks).toEqual([
      { type: 'content', text: 'Checking both.' },
      { type: 'tool_call', callId: 'call_w', name: 'get_weather', arguments: '{"city":"Paris"}' },
      { type: 'tool_call', callId: 'call_t', name: 'get_time', arguments: '{"zone":"UTC"}' },
      { type: 'usage', promptTokens: 30, completionTokens: 17 },
    ]);
  });

});

describe('a response cut off in the middle of a tool call never yields the half call', () => {
  const tools = [{ name: 'get_weather', tool: weather }];
  const wholeCall = sse([
    chunk.role(),
    chunk.toolCalls({ index: 0, id: 'call_2', name: 'get_weather', arguments: '{"city":"Oslo"}' }),
    chunk.finish('tool_calls'),
    chunk.usage(20, 9),
  ]);

  it.each([
    ['[DONE]', 'done'],
    ['the connection closing', 'close'],
  ] as const)('a stream that ends cleanly (%s) without a finish reason, in the middle of a call: a typed error, retried', async (_, end) => {
    server.reply(sse([chunk.role(), chunk.toolCalls({ index: 0, id: 'call_1', name: 'get_weather', arguments: '{"ci' })], end), wholeCall);
    const { llm, errors } = makeLLM();
    const outcome = collect(llm.chat(request({ tools })));
    await until(() => errors.length === 1);
    expect(errors[0]).toBeInstanceOf(ProviderError);
    expect(errors[0]).toMatchObject({
      recoverable: true,
      message: 'openai: the stream ended without a finish reason, in the middle of tool call get_weather',
    });
    await vi.advanceTimersByTimeAsync(RETRY_MS);
    const { chunks, error } = await outcome;
    expect(error).toBeUndefined();
    expect(chunks).toEqual([
      { type: 'tool_call', callId: 'call_2', name: 'get_weather', arguments: '{"city":"Oslo"}' },
      { type: 'usage', promptTokens: 20, completionTokens: 9 },
    ]);
  });

  it('a call whose arguments JSON is not complete at the finish (cut by length): a typed error, not a call', async () => {
    const cut = sse([chunk.role(), chunk.toolCalls({ index: 0, id: 'call_1', name: 'get_weather', arguments: '{"city": "Os' }), chunk.finish('length'), chunk.usage(20, 4)]);
    server.reply(cut, cut, cut);
    const { llm, errors } = makeLLM();
    const { chunks, error } = await throughRetries(llm.chat(request({ tools })), errors);
    expect(chunks).toEqual([]);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({
      recoverable: false,
      message: 'openai: tool call get_weather came with arguments that are not complete JSON (12 characters) (after 3 attempts)',
    });
  });

  it('after some text, a stream that ends in the middle of a call fails unrecoverably, with the text yielded and no call', async () => {
    server.reply(sse([chunk.role(), chunk.text('Let me check.'), chunk.toolCalls({ index: 0, id: 'call_1', name: 'get_weather', arguments: '{"ci' })], 'done'));
    const { llm, errors } = makeLLM();
    const { chunks, error } = await collect(llm.chat(request({ tools })));
    expect(chunks).toEqual([{ type: 'content', text: 'Let me check.' }]);
    expect(error).toMatchObject({
      recoverable: false,
      message: 'openai: the stream ended without a finish reason, in the middle of tool call get_weather (after the reply had begun: not retried)',
    });
    expect(errors).toEqual([error]);
    expect(server.requests).toHaveLength(1);
  });
});

describe('the request', () => {
  it('carries the instructions, the converted chat context, the tools (strict when possible), tool_choice and the key', async () => {
    server.reply(textReply(['ok']));
    const chatCtx = new ChatContext();
    chatCtx.addMessage({ role: 'user', content: 'Weather and time in Paris?' });
    chatCtx.addMessage({ role: 'assistant', content: 'Let me check.' });
    chatCtx.addFunctionCall({ callId: 'call_w', name: 'get_weather', arguments: '{"city":"Paris"}' });
    chatCtx.addFunctionCall({ callId: 'call_t', name: 'get_time', arguments: '{"zone":"CET"}' });
    chatCtx.addFunctionCallOutput({ callId: 'call_w', name: 'get_weather', output: 'sunny', isError: false });
    chatCtx.addFunctionCallOutput({ callId: 'call_t', name: 'get_time', output: 'tool get_time: boom', isError: true });
    chatCtx.addHandoff({ oldAgentId: 'a', newAgentId: 'b' });
    chatCtx.addMessage({ role: 'assistant', content: 'Sunny, and the clock is broken.' });
    chatCtx.addMessage({ role: 'user', content: 'Thanks!' });
    const tools = [
      { name: 'get_weather', tool: weather },
      { name: 'get_time', tool: time },
    ];
    const { llm } = makeLLM({ model: 'gpt-4o-mini', temperature: 0.2 });
    await collect(llm.chat(request({ chatCtx, tools, toolChoice: 'required' })));

    const sent = server.requests[0]!;
    expect(sent.method).toBe('POST');
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(sent.body).toEqual({
      model: 'gpt-4o-mini',
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0.2,
      tool_choice: 'required',
      messages: [
        { role: 'system', content: 'You are a weather bot.' },
        { role: 'user', content: 'Weather and time in Paris?' },
        {
          role: 'assistant',
          content: 'Let me check.',
          tool_calls: [
            { id: 'call_w', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            { id: 'call_t', type: 'function', function: { name: 'get_time', arguments: '{"zone":"CET"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_w', content: 'sunny' },
        { role: 'tool', tool_call_id: 'call_t', content: 'tool get_time: boom' },
        { role: 'assistant', content: 'Sunny, and the clock is broken.' },
        { role: 'user', content: 'Thanks!' },
      ],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'Current weather of a city',
            parameters: {
              type: 'object',
              properties: { city: { type: 'string', description: 'city name' } },
              required: ['city'],
              additionalProperties: false,
            },
            strict: true,
          },
        },
        {
          type: 'function',
          function: {
            name: 'get_time',
            description: 'Current time in a time zone',
            parameters: {
              type: 'object',
              properties: { zone: { type: 'string' }, format: { type: 'string', enum: ['12h', '24h'] } },
              required: ['zone'],
              additionalProperties: false,
            },
            // An optional parameter: strict mode would make the model always send it.
            strict: false,
          },
        },
      ],
    });
  });

  it('sends a tool choice naming a tool as OpenAI takes it', async () => {
    server.reply(textReply(['a']));
    const { llm } = makeLLM();
    const toolChoice = { type: 'function', function: { name: 'get_time' } } as const;
    await collect(llm.chat(request({ tools: [{ name: 'get_weather', tool: weather }, { name: 'get_time', tool: time }], toolChoice })));
    expect(server.requests[0]!.body.tool_choice).toEqual({ type: 'function', function: { name: 'get_time' } });
  });

  it("sends tool_choice 'none' with the tools, and neither tools nor tool_choice when there are no tools", async () => {
    server.reply(textReply(['a']), textReply(['b']), textReply(['c']));
    const { llm } = makeLLM({ parallelToolCalls: false });
    await collect(llm.chat(request({ tools: [{ name: 'get_weather', tool: weather }], toolChoice: 'none' })));
    await collect(llm.chat(request({ tools: [], toolChoice: 'required' })));
    await collect(llm.chat(request({ tools: [{ name: 'get_weather', tool: weather }], toolChoice: 'auto' })));
    expect(server.requests[0]!.body).toMatchObject({ tool_choice: 'none', parallel_tool_calls: false, tools: [{ function: { name: 'get_weather' } }] });
    expect(server.requests[1]!.body).not.toHaveProperty('tools');
    expect(server.requests[1]!.body).not.toHaveProperty('tool_choice');
    expect(server.requests[1]!.body).not.toHaveProperty('parallel_tool_calls');
    expect(server.requests[2]!.body).toMatchObject({ tool_choice: 'auto' });
  });

  it('takes the key and the base URL from OPENAI_API_KEY and OPENAI_BASE_URL, and refuses to start without a key', async () => {
    vi.stubEnv('OPENAI_API_KEY', 'sk-from-env-0000');
    vi.stubEnv('OPENAI_BASE_URL', server.baseURL);
    try {
      server.reply(textReply(['hi']));
      const llm = new OpenAILLM();
      expect(llm.label).toBe('openai/gpt-4.1-mini');
      expect(text((await collect(llm.chat(request()))).chunks)).toBe('hi');
      expect(server.requests[0]!.headers.authorization).toBe('Bearer sk-from-env-0000');
      vi.stubEnv('OPENAI_API_KEY', '');
      expect(() => new OpenAILLM()).toThrow(ProviderError);
      expect(() => new OpenAILLM()).toThrow('openai: no API key: pass { apiKey } or set OPENAI_API_KEY');
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('failures before the first output are retried', () => {
  it.each([500, 503, 429])('HTTP %i: retried maxRetry times, retryIntervalMs apart, each reported, then an unrecoverable error', async (code) => {
    server.reply(status(code), status(code), status(code), textReply(['never used']));
    const { llm, errors, metrics } = makeLLM();
    const outcome = collect(llm.chat(request()));
    await until(() => errors.length === 1);
    expect(server.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(RETRY_MS - 1);
    expect(server.requests).toHaveLength(1); // not before retryIntervalMs
    await vi.advanceTimersByTimeAsync(1);
    await until(() => errors.length === 2);
    await vi.advanceTimersByTimeAsync(RETRY_MS);
    const { chunks, error } = await outcome;

    expect(chunks).toEqual([]);
    expect(server.requests).toHaveLength(3);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ provider: 'openai', recoverable: false, status: code, code: 'provider_failed' });
    expect((error as Error).message).toBe(`openai: HTTP ${code}: status ${code} (after 3 attempts)`);
    expect(errors.map((e) => [e.recoverable, e.status])).toEqual([
      [true, code],
      [true, code],
      [false, code],
    ]);
    expect(errors[2]).toBe(error);
    expect(metrics).toEqual([expect.objectContaining({ cancelled: false, ttftMs: -1, completionTokens: 0 })]);
  });

  it('a retry that succeeds streams the reply once', async () => {
    server.reply(status(502), textReply(['Hello', ' again']));
    const { llm, errors } = makeLLM();
    const outcome = collect(llm.chat(request()));
    await until(() => errors.length === 1);
    await vi.advanceTimersByTimeAsync(RETRY_MS);
    const { chunks, error } = await outcome;
    expect(error).toBeUndefined();
    expect(text(chunks)).toBe('Hello again');
    expect(errors.map((e) => e.recoverable)).toEqual([true]);
    expect(server.requests).toHaveLength(2);
  });

  it('HTTP 401: unrecoverable at once, not retried, and the key is not in the message', async () => {
    server.reply(
      status(401, { error: { message: `Incorrect API key provided: ${KEY.slice(0, 8)}********cdef.`, type: 'invalid_request_error', code: 'invalid_api_key' } }),
      textReply(['never used']),
    );
    const { llm, errors } = makeLLM();
    const { chunks, error } = await collect(llm.chat(request()));
    expect(chunks).toEqual([]);
    expect(server.requests).toHaveLength(1);
    expect(error).toMatchObject({ recoverable: false, status: 401 });
    expect((error as Error).message).toBe('openai: HTTP 401: Incorrect API key provided: sk-[redacted].');
    expect((error as Error).message).not.toContain('sk-test');
    expect(errors).toEqual([error]);
  });

  it('HTTP 400 (a bad request) is not retried either', async () => {
    server.reply(status(400, { error: { message: "Invalid schema for function 'get_weather'" } }));
    const { llm, errors } = makeLLM();
    const { error } = await collect(llm.chat(request()));
    expect(error).toMatchObject({ recoverable: false, status: 400, message: "openai: HTTP 400: Invalid schema for function 'get_weather'" });
    expect(server.requests).toHaveLength(1);
    expect(errors).toHaveLength(1);
  });

  it('a server that never answers: each attempt times out after timeoutMs and is retried', async () => {
    server.reply(hang(), hang());
    const { llm, errors } = makeLLM({ connOptions: { maxRetry: 1 } });
    const outcome = collect(llm.chat(request()));
    const first = await server.received(1);
    await vi.advanceTimersByTimeAsync(TIMEOUT_MS - 1);
    expect(errors).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await until(() => errors.length === 1);
    expect(errors[0]).toMatchObject({ recoverable: true, message: `openai: no answer within ${TIMEOUT_MS} ms` });
    await first.closedEarly; // the timed-out request was cancelled
    await vi.advanceTimersByTimeAsync(RETRY_MS);
    await server.received(2);
    await vi.advanceTimersByTimeAsync(TIMEOUT_MS);
    const { error } = await outcome;
    expect(error).toMatchObject({ recoverable: false, message: `openai: no answer within ${TIMEOUT_MS} ms (after 2 attempts)` });
    expect(server.requests).toHaveLength(2);
  });

  it('headers without any output within timeoutMs is a timeout too; the retry succeeds', async () => {
    server.reply(sse([chunk.role()], 'hang'), textReply(['there you are']));
    const { llm, errors } = makeLLM();
    const outcome = collect(llm.chat(request()));
    await server.received(1);
    await vi.advanceTimersByTimeAsync(TIMEOUT_MS);
    await until(() => errors.length === 1);
    await vi.advanceTimersByTimeAsync(RETRY_MS);
    const { chunks, error } = await outcome;
    expect(error).toBeUndefined();
    expect(text(chunks)).toBe('there you are');
    expect(errors[0]).toMatchObject({ recoverable: true, message: `openai: no answer within ${TIMEOUT_MS} ms` });
  });

  it('a connection closed before any answer is retried', async () => {
    server.reply(drop(), textReply(['ok']));
    const { llm, errors } = makeLLM();
    const outcome = collect(llm.chat(request()));
    await until(() => errors.length === 1);
    expect(errors[0]).toMatchObject({ recoverable: true });
    expect(errors[0]!.message).toMatch(/^openai: connection failed/);
    await vi.advanceTimersByTimeAsync(RETRY_MS);
    expect(text((await outcome).chunks)).toBe('ok');
  });

  it('a connection dropped after the role chunk but before any output is retried: nothing was yielded', async () => {
    server.reply(sse([chunk.role(), chunk.toolCalls({ index: 0, id: 'call_1', name: 'get_weather', arguments: '{"ci' })], 'drop'), textReply(['Hello']));
    const { llm, errors } = makeLLM();
    const outcome = collect(llm.chat(request({ tools: [{ name: 'get_weather', tool: weather }] })));
    await until(() => errors.length === 1);
    expect(errors[0]).toMatchObject({ recoverable: true, message: 'openai: connection dropped: terminated: other side closed' });
    await vi.advanceTimersByTimeAsync(RETRY_MS);
    const { chunks, error } = await outcome;
    expect(error).toBeUndefined();
    // The half tool call of the dropped attempt is gone.
    expect(chunks.filter((c) => c.type !== 'usage')).toEqual([{ type: 'content', text: 'Hello' }]);
  });

  it('malformed SSE data: retried, then a typed unrecoverable error', async () => {
    const malformed = sse([chunk.role(), 'data: {"id": "chatcmpl-x", "choices": [\n\n'], 'close');
    server.reply(malformed, malformed, malformed);
    const { llm, errors } = makeLLM();
    const { chunks, error } = await throughRetries(llm.chat(request()), errors);
    expect(chunks).toEqual([]);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ recoverable: false });
    expect((error as Error).message).toMatch(/^openai: malformed stream data: .* \(after 3 attempts\)$/);
    expect(errors.map((e) => e.recoverable)).toEqual([true, true, false]);
  });

  it('an error object sent inside the stream is retried like a server error', async () => {
    server.reply(sse([{ error: { message: 'The server had an error while processing your request.', type: 'server_error' } }], 'close'), textReply(['fine']));
    const { llm, errors } = makeLLM();
    const outcome = collect(llm.chat(request()));
    await until(() => errors.length === 1);
    expect(errors[0]).toMatchObject({
      recoverable: true,
      message: 'openai: the server reported an error in the stream: The server had an error while processing your request.',
    });
    await vi.advanceTimersByTimeAsync(RETRY_MS);
    expect(text((await outcome).chunks)).toBe('fine');
  });
});

describe('failures after output began are not retried', () => {
  it('a connection dropped mid-stream after some text: a typed unrecoverable error, no retry, no duplicate text', async () => {
    const first = deferred();
    server.reply(sse([chunk.role(), first.promise, chunk.text('The weather '), chunk.text('in Paris')], 'drop'), textReply(['The weather in Paris is sunny.']));
    const { llm, errors, metrics } = makeLLM();
    const outcome = collect(llm.chat(request()));
    await server.received(1);
    vi.advanceTimersByTime(40);
    first.resolve();
    const { chunks, error } = await outcome;
    expect(chunks).toEqual([
      { type: 'content', text: 'The weather ' },
      { type: 'content', text: 'in Paris' },
    ]);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({
      recoverable: false,
      message: 'openai: connection dropped: terminated: other side closed (after the reply had begun: not retried)',
    });
    expect(errors).toEqual([error]);
    expect(server.requests).toHaveLength(1);
    expect(metrics).toEqual([expect.objectContaining({ cancelled: false, ttftMs: 40, durationMs: 40 })]);
  });

  it('malformed data after some text: a typed unrecoverable error at once', async () => {
    server.reply(sse([chunk.text('Hi'), 'data: not json\n\n'], 'close'), textReply(['never used']));
    const { llm, errors } = makeLLM();
    const { chunks, error } = await collect(llm.chat(request()));
    expect(text(chunks)).toBe('Hi');
    expect(error).toMatchObject({ recoverable: false });
    expect((error as Error).message).toMatch(/^openai: malformed stream data: .*not retried\)$/);
    expect(errors).toHaveLength(1);
    expect(server.requests).toHaveLength(1);
  });

  it('a stream that stalls after some text fails after timeoutMs without data', async () => {
    server.reply(sse([chunk.text('Hmm')], 'hang'));
    const { llm, errors } = makeLLM();
    const stream = llm.chat(request())[Symbol.asyncIterator]();
    expect(await stream.next()).toEqual({ done: false, value: { type: 'content', text: 'Hmm' } });
    const rest = stream.next().catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(TIMEOUT_MS);
    expect(await rest).toMatchObject({
      recoverable: false,
      message: `openai: the stream stalled: no data within ${TIMEOUT_MS} ms (after the reply had begun: not retried)`,
    });
    expect(errors).toHaveLength(1);
    await server.requests[0]!.closedEarly;
  });
});

describe('abort', () => {
  // A plain abort() ends the SDK's for-await quietly; an abort with a reason makes it throw that reason.
  it.each([
    ['a plain abort()', undefined],
    ['an abort with a reason', new Error('the user barged in')],
  ])('%s mid-stream ends the stream at once, quietly, cancels the request, and the metrics say cancelled', async (_, reason) => {
    const first = deferred();
    const never = deferred();
    server.reply(sse([chunk.role(), first.promise, chunk.text('Let me think'), never.promise, chunk.text(' more')], 'done'));
    const { llm, errors, metrics } = makeLLM();
    const controller = new AbortController();
    const stream = llm.chat(request({ signal: controller.signal }))[Symbol.asyncIterator]();
    const think = stream.next();
    await server.received(1);
    vi.advanceTimersByTime(70);
    first.resolve();
    expect(await think).toEqual({ done: false, value: { type: 'content', text: 'Let me think' } });
    const next = stream.next();
    vi.advanceTimersByTime(30);
    controller.abort(reason);
    expect(await next).toEqual({ done: true, value: undefined });
    await server.requests[0]!.closedEarly;
    expect(errors).toEqual([]);
    expect(metrics).toEqual([expect.objectContaining({ cancelled: true, ttftMs: 70, durationMs: 100 })]);
  });

  it('aborting before the first output ends the stream quietly without retrying', async () => {
    server.reply(hang(), textReply(['never used']));
    const { llm, errors, metrics } = makeLLM();
    const controller = new AbortController();
    const outcome = collect(llm.chat(request({ signal: controller.signal })));
    const first = await server.received(1);
    controller.abort();
    expect(await outcome).toEqual({ chunks: [], error: undefined });
    await first.closedEarly;
    await vi.advanceTimersByTimeAsync(TIMEOUT_MS + RETRY_MS);
    expect(server.requests).toHaveLength(1);
    expect(errors).toEqual([]);
    expect(metrics).toEqual([expect.objectContaining({ cancelled: true, ttftMs: -1 })]);
  });

  it('an already aborted signal sends nothing', async () => {
    const { llm, metrics } = makeLLM();
    const controller = new AbortController();
    controller.abort();
    expect(await collect(llm.chat(request({ signal: controller.signal })))).toEqual({ chunks: [], error: undefined });
    expect(server.requests).toHaveLength(0);
    expect(metrics).toEqual([expect.objectContaining({ cancelled: true })]);
  });

  it('a consumer that stops reading early cancels the request', async () => {
    const never = deferred();
    server.reply(sse([chunk.text('one'), never.promise, chunk.text('two')]));
    const { llm, metrics } = makeLLM();
    for await (const c of llm.chat(request())) {
      expect(c).toEqual({ type: 'content', text: 'one' });
      break;
    }
    await server.requests[0]!.closedEarly;
    expect(metrics).toEqual([expect.objectContaining({ cancelled: true })]);
  });
});
