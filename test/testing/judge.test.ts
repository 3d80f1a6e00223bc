/**
 * judge(llm, { intent }): an LLM grades a message of the run against an intent by calling
 * check_intent. Graded by a scripted FakeLLM both ways, and by the real OpenAI plugin (the openai
 * SDK) against the fake chat completions server on 127.0.0.1.
 */
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { Agent, AgentSession, VoxstateError } from '../../src/index.js';
import { OpenAILLM } from '../../src/plugins/openai/llm.js';
import { FakeLLM, AssertionError, type RunResult } from '../../src/testing/index.js';
import { chunk, FakeOpenAIServer, sse, textReply } from '../plugins/openai/fake_openai_server.js';

const GREETING = 'Hello! What can I get you today?';

/** A finished run whose only event is the assistant's greeting. */
async function greetingRun(): Promise<RunResult> {
  const session = new AgentSession({ llm: new FakeLLM([{ input: 'Hi!', content: GREETING }]) });
  onTestFinished(() => session.aclose());
  await session.start({ agent: new Agent({ instructions: 'You take orders at a drive-thru.' }) });
  return session.run({ userInput: 'Hi!' }).wait();
}

/** A judge that answers check_intent with `verdict`. */
const judgeSaying = (verdict: { success: boolean; reason: string }) =>
  new FakeLLM([{ toolCalls: [{ name: 'check_intent', arguments: verdict }] }]);

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('judge with a scripted LLM', () => {
  it('passes when the judge says the intent is met, and asks it with check_intent, the message and the intent', async () => {
    const result = await greetingRun();
    const judge = judgeSaying({ success: true, reason: 'It greets and offers help.' });
    const message = result.expect.nextEvent().isMessage({ role: 'assistant' });
    expect(await message.judge(judge, { intent: 'greets the customer and offers to take an order' })).toBe(message);
    result.expect.noMoreEvents();
    const [request] = judge.requests;
    expect(request!.tools.map((tool) => tool.name)).toEqual(['check_intent']);
    expect(request!.toolChoice).toBe('required');
    expect(request!.instructions).toContain('Only respond by calling the `check_intent(success: bool, reason: str)` function');
    expect(request!.chatCtx.messages().map((m) => [m.role, m.content])).toEqual([
      ['user', `Check if the following message fulfills the given intent.\n\nIntent:\ngreets the customer and offers to take an order\n\nMessage:\n${GREETING}`],
    ]);
  });

  it('fails with a AssertionError carrying the judge’s reason, the intent and the timeline', async () => {
    const result = await greetingRun();
    const error = await rejection(
      result.expect.nextEvent().isMessage({ role: 'assistant' }).judge(judgeSaying({ success: false, reason: 'It does not mention burgers.' }), {
        intent: 'recommends a burger',
      }),
    );
    expect(error).toBeInstanceOf(AssertionError);
    expect(error.message).toBe(
      `event [0] (message assistant: ${JSON.stringify(GREETING)}): Judgment failed: It does not mention burgers.\nintent: recommends a burger\nevents:\n>>> [0] message assistant: ${JSON.stringify(GREETING)}`,
    );
  });

  it('a judge that does not call check_intent, or calls it with bad arguments, fails the assertion saying so', async () => {
    const result = await greetingRun();
    const message = result.expect.at(0).isMessage();
    const chatty = new FakeLLM([{ text: 'Looks fine to me.' }]);
    expect((await rejection(message.judge(chatty, { intent: 'greets' }))).message).toContain(
      'the judge could not decide: the LLM did not call check_intent (it answered "Looks fine to me.")',
    );
    const sloppy = new FakeLLM([{ toolCalls: [{ name: 'check_intent', arguments: { success: 'yes' } }] }]);
    const error = await rejection(message.judge(sloppy, { intent: 'greets' }));
    expect(error).toBeInstanceOf(AssertionError);
    // The words after the field name are the argument checker's own.
    expect(error.message).toContain('the judge could not decide: check_intent was called with bad arguments: success');
  });

  it('an empty intent or no LLM is a typed error; the judge LLM failing rejects with its own error', async () => {
    const result = await greetingRun();
    const message = result.expect.at(0).isMessage();
    await expect(message.judge(judgeSaying({ success: true, reason: '' }), { intent: ' ' })).rejects.toMatchObject({
      code: 'invalid_judge',
      message: 'judge(llm, { intent }) needs an intent: what the message should do, in words',
    });
    await expect(message.judge(undefined as never, { intent: 'greets' })).rejects.toThrow(VoxstateError);
    const down = new Error('judge model unavailable');
    await expect(message.judge(new FakeLLM([{ error: down }]), { intent: 'greets' })).rejects.toBe(down);
  });
});

describe('judge through the OpenAI plugin (the openai SDK against a fake server)', () => {
  let server: FakeOpenAIServer;
  beforeEach(async () => {
    server = await FakeOpenAIServer.start();
  });
  afterEach(async () => {
    await server.close();
  });

  const judgeLLM = () => new OpenAILLM({ apiKey: 'sk-test-judge', baseURL: server.baseURL, connOptions: { maxRetry: 0, timeoutMs: 60_000 } });
  const verdictReply = (args: string) =>
    sse([chunk.role(), chunk.toolCalls({ index: 0, id: 'call_judge', name: 'check_intent', arguments: args }), chunk.finish('tool_calls'), chunk.usage(80, 12)]);

  it('sends the check_intent tool, required, with the message and the intent; passes on success', async () => {
    server.reply(verdictReply('{"success":true,"reason":"It greets the customer."}'));
    const result = await greetingRun();
    await result.expect.nextEvent().isMessage({ role: 'assistant' }).judge(judgeLLM(), { intent: 'greets the customer' });
    const { body } = await server.received(1);
    expect(body.tool_choice).toBe('required');
    expect(body.tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'check_intent',
          description: expect.stringContaining('Determines whether the message correctly fulfills the given intent.'),
          parameters: {
            type: 'object',
            properties: {
              success: { type: 'boolean', description: 'Whether the message satisfies the intent' },
              reason: { type: 'string', description: 'A concise explanation justifying the result' },
            },
            required: ['success', 'reason'],
            additionalProperties: false,
          },
          strict: true,
        },
      },
    ]);
    expect(body.messages[0]).toMatchObject({ role: 'system', content: expect.stringContaining('You are a test evaluator for conversational agents.') });
    expect(body.messages[1]).toEqual({
      role: 'user',
      content: `Check if the following message fulfills the given intent.\n\nIntent:\ngreets the customer\n\nMessage:\n${GREETING}`,
    });
  });

  it('fails with the model’s reason when it grades the message down', async () => {
    server.reply(verdictReply('{"success":false,"reason":"The message never mentions the menu."}'));
    const result = await greetingRun();
    const error = await rejection(result.expect.at(-1).isMessage().judge(judgeLLM(), { intent: 'reads out the menu' }));
    expect(error).toBeInstanceOf(AssertionError);
    expect(error.message).toContain('Judgment failed: The message never mentions the menu.\nintent: reads out the menu\nevents:\n>>> [0] message assistant:');
  });

  it('a model that answers in text instead of calling check_intent fails the assertion', async () => {
    server.reply(textReply(['Yes, ', 'it does.']));
    const result = await greetingRun();
    await expect(result.expect.at(0).isMessage().judge(judgeLLM(), { intent: 'greets' })).rejects.toThrow(
      'the LLM did not call check_intent (it answered "Yes, it does.")',
    );
  });
});
