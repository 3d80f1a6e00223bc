/**
 * End to end: an AgentSession whose LLM is OpenAILLM (the real openai SDK) against the fake chat
 * completions server. Playout is finished by the test (ScriptedOutput); only setTimeout and
 * clearTimeout are faked, the sockets are real.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { Agent, AgentSession, functionTool, type ChatItem, type ErrorEvent } from '../../../src/index.js';
import * as llm from '../../../src/llm/index.js';
import type { LLMMetrics } from '../../../src/provider/metrics.js';
import { OpenAILLM } from '../../../src/plugins/openai/llm.js';
import { ProviderError } from '../../../src/provider/provider_error.js';
import { ScriptedOutput } from '../../support/scripted_output.js';
import { chunk, FakeOpenAIServer, sse, status, textReply } from './fake_openai_server.js';

const RETRY_MS = 100;
let server: FakeOpenAIServer;

beforeEach(async () => {
  server = await FakeOpenAIServer.start();
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(async () => {
  vi.useRealTimers();
  await server.close();
});

/** Lets real I/O run until `condition` holds. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise<void>((resolve) => setImmediate(resolve));
}

async function startSession() {
  const llm = new OpenAILLM({
    apiKey: 'sk-test-session',
    baseURL: server.baseURL,
    connOptions: { maxRetry: 1, retryIntervalMs: RETRY_MS, timeoutMs: 1_000 },
  });
  const llmErrors: ProviderError[] = [];
  const metrics: LLMMetrics[] = [];
  llm.on('error', (error) => llmErrors.push(error));
  llm.on('metrics_collected', (m) => metrics.push(m as LLMMetrics));
  const toolCalls: Array<{ city: string }> = [];
  const agent = new Agent({
    instructions: 'You are a weather bot.',
    tools: {
      get_weather: functionTool({
        description: 'Current weather of a city',
        parameters: z.object({ city: z.string() }),
        execute: (args) => {
          toolCalls.push(args);
          return `sunny in ${args.city}`;
        },
      }),
    },
  });
  const session = new AgentSession({ llm });
  const output = new ScriptedOutput();
  session.output = output;
  const errors: ErrorEvent[] = [];
  session.on('error', (event) => errors.push(event));
  await session.start({ agent });
  return { session, output, llm, llmErrors, metrics, errors, toolCalls };
}

/** Finishes the playout of the next speech that plays `text`. */
async function hear(output: ScriptedOutput, text: string): Promise<void> {
  const heard = output.played.length;
  const playing = await output.untilPlaying();
  expect(playing.text).toBe(text);
  playing.finish();
  await until(() => output.played.length > heard);
}

const summary = (items: readonly ChatItem[]) =>
  items.map((item) => {
    switch (item.type) {
      case 'message':
        return `${item.role}: ${item.content}`;
      case 'function_call':
        return `call ${item.callId} ${item.name}(${item.arguments})`;
      case 'function_call_output':
        return `output ${item.callId}: ${item.output}`;
      default:
        return item.type;
    }
  });

describe('AgentSession with the OpenAI LLM', () => {
  it('a tool call streamed in pieces runs the tool, and the follow-up reply about its result joins the history', async () => {
    server.reply(
      sse([
        chunk.role(),
        chunk.text('Let me check.'),
        chunk.toolCalls({ index: 0, id: 'call_abc123', name: 'get_weather' }),
        chunk.toolCalls({ index: 0, arguments: '{"city":' }),
        chunk.toolCalls({ index: 0, arguments: '"Paris"}' }),
        chunk.finish('tool_calls'),
        chunk.usage(40, 12),
      ]),
      textReply(['It is ', 'sunny in Paris.'], [60, 6]),
    );
    const { session, output, toolCalls, metrics, errors } = await startSession();
    await session.input.text('What is the weather in Paris?');

    const first = await output.untilPlaying();
    expect(session.agentState).toBe('speaking');
    expect(toolCalls).toEqual([]); // tools run once the text before them has been played
    await hear(output, 'Let me check.');
    await hear(output, 'It is sunny in Paris.');
    await until(() => session.agentState === 'listening');

    expect(first.text).toBe('Let me check.');
    expect(toolCalls).toEqual([{ city: 'Paris' }]);
    expect(summary(session.history.items)).toEqual([
      'user: What is the weather in Paris?',
      'assistant: Let me check.',
      'call call_abc123 get_weather({"city":"Paris"})',
      'output call_abc123: sunny in Paris',
      'assistant: It is sunny in Paris.',
    ]);
    // The follow-up request carried the call and its output back to the model.
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]!.body.messages).toEqual([
      { role: 'system', content: 'You are a weather bot.' },
      { role: 'user', content: 'What is the weather in Paris?' },
      {
        role: 'assistant',
        content: 'Let me check.',
        tool_calls: [{ id: 'call_abc123', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
      },
      { role: 'tool', tool_call_id: 'call_abc123', content: 'sunny in Paris' },
    ]);
    expect(server.requests[0]!.body.tool_choice).toBe('auto');
    expect(metrics.map((m) => [m.promptTokens, m.completionTokens, m.cancelled])).toEqual([
      [40, 12, false],
      [60, 6, false],
    ]);
    expect(errors).toEqual([]);
    await session.aclose();
  });

  it('tool call arguments split at a space (`{"city": "New` + ` York"}`) reach the tool whole: { city: "New York" }', async () => {
    server.reply(
      sse([
        chunk.role(),
        chunk.toolCalls({ index: 0, id: 'call_ny', name: 'get_weather' }),
        chunk.toolCalls({ index: 0, arguments: '{"city": "New' }),
        chunk.toolCalls({ index: 0, arguments: ' York"}' }),
        chunk.finish('tool_calls'),
        chunk.usage(30, 10),
      ]),
      textReply(['Sunny in New York.']),
    );
    const { session, output, toolCalls, errors } = await startSession();
    await session.input.text('What is the weather in New York?');
    await hear(output, 'Sunny in New York.');
    await until(() => session.agentState === 'listening');
    expect(toolCalls).toEqual([{ city: 'New York' }]);
    expect(summary(session.history.items)).toEqual([
      'user: What is the weather in New York?',
      'call call_ny get_weather({"city": "New York"})',
      'output call_ny: sunny in New York',
      'assistant: Sunny in New York.',
    ]);
    expect(server.requests[1]!.body.messages[2].tool_calls[0].function.arguments).toBe('{"city": "New York"}');
    expect(errors).toEqual([]);
    await session.aclose();
  });

  it('survives provider errors: a recoverable one is retried unseen, a failed reply is reported and the next turn works', async () => {
    server.reply(
      status(503),
      textReply(['Hello!']),
      status(401, { error: { message: 'Incorrect API key provided.' } }),
      textReply(['Back again.']),
    );
    const { session, output, llmErrors, errors } = await startSession();

    // 503: the LLM reports a recoverable error and retries; the session only hears the reply.
    await session.input.text('Hi');
    await until(() => llmErrors.length === 1);
    expect(llmErrors[0]).toMatchObject({ recoverable: true, status: 503 });
    expect(session.agentState).toBe('thinking');
    await vi.advanceTimersByTimeAsync(RETRY_MS);
    await hear(output, 'Hello!');
    expect(errors).toEqual([]);

    // 401: the reply fails; the session reports it and goes on listening.
    await session.input.text('Still there?');
    await until(() => errors.length === 1);
    expect(errors[0]!.source).toBe('llm');
    expect(errors[0]!.error).toBeInstanceOf(ProviderError);
    expect(errors[0]!.error).toMatchObject({ recoverable: false, status: 401 });
    expect(llmErrors.map((e) => e.recoverable)).toEqual([true, false]);
    await until(() => session.agentState === 'listening');
    expect(session.state).toBe('running');

    await session.input.text('Hello?');
    await hear(output, 'Back again.');
    expect(summary(session.history.items)).toEqual([
      'user: Hi',
      'assistant: Hello!',
      'user: Still there?',
      'user: Hello?',
      'assistant: Back again.',
    ]);
    expect(server.requests).toHaveLength(4);
    await session.aclose();
  });

  it('tools declared with zod and as raw JSON Schema reach the wire as JSON Schema; a zod refusal reaches the model as the tool output', async () => {
    server.reply(
      sse([chunk.role(), chunk.toolCalls({ index: 0, id: 'call_w', name: 'getWeather', arguments: '{"city":"Paris","days":9}' }), chunk.finish('tool_calls'), chunk.usage(40, 12)]),
      textReply(['I can only look a week ahead.']),
    );
    const forecasts: unknown[] = [];
    const tools = [
      llm.tool({
        name: 'getWeather',
        description: 'The forecast for a city',
        parameters: z.object({ city: z.string().describe('the city'), days: z.int().min(1).max(7) }),
        execute: async (args) => {
          forecasts.push(args);
          return 'sunny';
        },
      }),
      llm.tool({ name: 'endCall', description: 'Ends the call', execute: async () => undefined }),
      llm.tool({
        name: 'bookTable',
        description: 'Books a table',
        parameters: { type: 'object', properties: { when: { type: 'string', format: 'date-time' } }, required: ['when'] },
        execute: async () => 'booked',
      }),
      llm.tool({
        name: 'setAlarm',
        description: 'Sets an alarm',
        parameters: z.object({ at: z.string(), label: z.string().optional() }),
        execute: async () => 'set',
      }),
    ];
    const session = new AgentSession({ llm: new OpenAILLM({ apiKey: 'sk-test-session', baseURL: server.baseURL }) });
    const output = new ScriptedOutput();
    session.output = output;
    const errors: ErrorEvent[] = [];
    session.on('error', (event) => errors.push(event));
    await session.start({ agent: new Agent({ instructions: 'You are a weather bot.', tools }) });
    await session.input.text('Weather in Paris in 9 days?');
    await hear(output, 'I can only look a week ahead.');

    expect(server.requests[0]!.body.tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'getWeather',
          description: 'The forecast for a city',
          parameters: {
            type: 'object',
            properties: {
              city: { type: 'string', description: 'the city' },
              days: { type: 'integer', minimum: 1, maximum: 7 },
            },
            required: ['city', 'days'],
            additionalProperties: false,
          },
          strict: true,
        },
      },
      {
        type: 'function',
        // No parameters: strict, with the empty `required` strict mode wants spelled out.
        function: { name: 'endCall', description: 'Ends the call', parameters: { type: 'object', properties: {}, required: [], additionalProperties: false }, strict: true },
      },
      {
        type: 'function',
        // A raw JSON Schema goes as declared (its object is open: not strict).
        function: {
          name: 'bookTable',
          description: 'Books a table',
          parameters: { type: 'object', properties: { when: { type: 'string', format: 'date-time' } }, required: ['when'] },
          strict: false,
        },
      },
      {
        type: 'function',
        // An optional parameter: not strict, as it is.
        function: {
          name: 'setAlarm',
          description: 'Sets an alarm',
          parameters: { type: 'object', properties: { at: { type: 'string' }, label: { type: 'string' } }, required: ['at'], additionalProperties: false },
          strict: false,
        },
      },
    ]);
    // zod refused days: 9; the model got its words as the tool's output, and the tool never ran.
    expect(forecasts).toEqual([]);
    expect(server.requests[1]!.body.messages.at(-1)).toEqual({
      role: 'tool',
      tool_call_id: 'call_w',
      content: 'tool getWeather: days: Too big: expected number to be <=7',
    });
    expect(errors.map((event) => event.error.code)).toEqual(['invalid_tool_arguments']);
    await session.aclose();
  });
});
