/** FakeLLM: answers in order (voxstate's script) or by input (agents-js's), and refuses replies it cannot play. */
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { Agent, AgentSession, functionTool, VoxstateError } from '../../src/index.js';
import { FakeLLM, FakeLLMNoReplyError, FakeLLMScriptError } from '../../src/testing/index.js';
import { WeatherAgent } from '../support/weather_agent.js';

async function started(llm: FakeLLM) {
  const session = new AgentSession({ llm });
  onTestFinished(() => session.aclose());
  await session.start({ agent: new WeatherAgent() });
  return session;
}

const ORDERED = 'an ordered reply takes text, toolCalls, error, hold, ttftMs';
const KEYED = "a reply keyed by input (agents-js's form) takes input, type, content, ttft, duration, toolCalls";

describe('FakeLLM keyed by input (agents-js)', () => {
  it('answers the user’s message, then the tool’s output, by input', async () => {
    const llm = new FakeLLM([
      { input: 'What is the weather in Paris?', toolCalls: [{ name: 'get_weather', args: { city: 'Paris' } }] },
      { input: 'sunny in Paris', content: 'It is sunny in Paris.' },
      { input: 'Thanks!', content: 'You are welcome.' },
    ]);
    const session = await started(llm);
    // Not in the order of the list: each request finds its own reply.
    const thanks = await session.run({ userInput: 'Thanks!' });
    thanks.expect.nextEvent().isMessage({ role: 'assistant', content: 'You are welcome.' });
    thanks.expect.noMoreEvents();
    const weather = session.run({ userInput: 'What is the weather in Paris?' });
    await weather.wait();
    weather.expect.nextEvent().isFunctionCall({ name: 'get_weather', args: { city: 'Paris' } });
    weather.expect.nextEvent().isFunctionCallOutput({ output: 'sunny in Paris' });
    weather.expect.nextEvent().isMessage({ role: 'assistant', content: 'It is sunny in Paris.' });
    weather.expect.noMoreEvents();
    expect(session.history.messages().map((m) => `${m.role}: ${m.content}`)).toEqual([
      'user: Thanks!',
      'assistant: You are welcome.',
      'user: What is the weather in Paris?',
      'assistant: It is sunny in Paris.',
    ]);
  });

  it('ttft and duration are ms on the (fake) clock: the reply starts at ttft, the request ends at duration', async () => {
    vi.useFakeTimers();
    onTestFinished(() => void vi.useRealTimers());
    const llm = new FakeLLM([{ input: 'hi', content: 'Hello there.', ttft: 300, duration: 800 }]);
    const session = await started(llm);
    const states: string[] = [];
    session.on('agent_state_changed', (event) => states.push(event.newState));
    const result = session.run({ userInput: 'hi' });
    await vi.advanceTimersByTimeAsync(299);
    expect(states.at(-1)).toBe('thinking');
    await vi.advanceTimersByTimeAsync(1);
    expect(states.at(-1)).toBe('speaking');
    await vi.advanceTimersByTimeAsync(499);
    expect(result.done()).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await result.wait();
    result.expect.nextEvent().isMessage({ content: 'Hello there.' });
  });

  it('an input with no reply fails the run with an error naming the input and the known ones', async () => {
    const session = await started(new FakeLLM([{ input: 'hi', content: 'Hello.' }, { input: 'bye', content: 'Bye.' }]));
    const result = session.run({ userInput: 'hello?' });
    await expect(result.wait()).rejects.toThrow(
      new FakeLLMNoReplyError('no reply for the input "hello?" (its inputs: "hi", "bye")'),
    );
    await expect(result).rejects.toMatchObject({ code: 'fake_llm_no_reply' });
  });

  it('a request with no input to key on (a reply the agent starts itself) is an error saying so', async () => {
    const session = await started(new FakeLLM([{ input: 'hi', content: 'Hello.' }]));
    const failed = new Promise<unknown>((resolve) => session.once('error', (event) => resolve(event.error)));
    session.generateReply();
    expect(String(await failed)).toContain('it answers by input, and the history of this request is empty');
  });

  it('after something that is not an input (a handoff: the new agent’s onEnter replying) the reply is empty, as agents-js’s', async () => {
    class Second extends Agent {
      constructor() {
        super({ instructions: 'second', id: 'second' });
      }
      override async onEnter() {
        this.session.generateReply();
      }
    }
    class First extends Agent {
      constructor() {
        super({ instructions: 'first', id: 'first' });
      }
      override tools = { handOver: functionTool({ description: 'to the second agent', execute: () => new Second() }) };
    }
    const session = new AgentSession({ llm: new FakeLLM([{ input: 'switch', toolCalls: [{ name: 'handOver', args: {} }] }]) });
    onTestFinished(() => session.aclose());
    const errors: unknown[] = [];
    session.on('error', (event) => errors.push(event.error));
    await session.start({ agent: new First() });
    const result = await session.run({ userInput: 'switch' });
    result.expect.nextEvent().isFunctionCall({ name: 'handOver' });
    result.expect.nextEvent().isFunctionCallOutput();
    result.expect.nextEvent().isAgentHandoff({ newAgentId: 'second' });
    result.expect.noMoreEvents();
    expect(errors).toEqual([]);
  });
});

describe('FakeLLM in order (voxstate’s script)', () => {
  it('still answers in order, then with its fallback', async () => {
    const llm = new FakeLLM([{ text: 'One.' }]);
    llm.push({ toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' }, callId: 'c1' }] }, { text: 'Cold.' });
    const session = await started(llm);
    (await session.run({ userInput: 'a' })).expect.nextEvent().isMessage({ content: 'One.' });
    const weather = await session.run({ userInput: 'b' });
    expect(weather.expect.nextEvent().isFunctionCall({ args: { city: 'Oslo' } }).event().item.callId).toBe('c1');
    weather.expect.containsMessage({ content: 'Cold.' });
    (await session.run({ userInput: 'c' })).expect.nextEvent().isMessage({ content: 'ok' });
  });
});

describe('FakeLLM refuses replies it cannot play, when given', () => {
  const refusals: Array<[string, unknown[], string]> = [
    // The case: a user guessed `content` without `input` and got an empty reply.
    ['content without input', [{ content: 'hi' }], `reply [0] has unknown field "content": ${ORDERED}; ${KEYED}`],
    ['a misspelt field', [{ text: 'a' }, { contentText: 'hi' }], 'reply [1] has unknown field "contentText"'],
    ['text in the keyed form', [{ input: 'hi', text: 'Hello.' }], `reply [0] has unknown field "text": ${ORDERED}; ${KEYED}`],
    ['several unknown fields', [{ input: 'hi', reply: 'a', delay: 1 }], 'reply [0] has unknown fields "reply", "delay"'],
    ['a keyed reply that says nothing', [{ input: 'hi' }], 'reply [0] (input "hi") says nothing: give content and/or toolCalls'],
    ['an empty ordered reply', [{}], 'reply [0] is empty'],
    ['a mix of the two forms', [{ input: 'hi', content: 'a' }, { text: 'b' }], 'reply [1] has no "input" but others have'],
    ['the same input twice', [{ input: 'hi', content: 'a' }, { input: 'hi', content: 'b' }], 'two replies for the input "hi"'],
    ['a tool call with arguments in the keyed form', [{ input: 'hi', toolCalls: [{ name: 'x', arguments: {} }] }], 'tool call x has unknown field "arguments" (a tool call takes name, args; its arguments go in args)'],
    ['a tool call without a name', [{ toolCalls: [{ arguments: {} }] }], 'reply [0]: each tool call needs a name'],
    ['args that are not an object', [{ input: 'hi', toolCalls: [{ name: 'x', args: 'city=Paris' }] }], "a tool call's args must be an object"],
    ['text that is not a string', [{ text: 42 }], 'reply [0]: text must be a string, got 42'],
    ['a negative ttft', [{ input: 'hi', content: 'a', ttft: -5 }], 'reply [0]: ttft must be a number of ms ≥ 0, got -5'],
    ['an error that is not an Error', [{ error: 'boom' }], 'reply [0]: error must be an Error, got "boom"'],
    ['a type other than llm', [{ input: 'hi', content: 'a', type: 'tts' }], `reply [0]: type must be 'llm', got "tts"`],
    ['a reply that is not an object', ['hi'], 'reply [0] must be an object'],
  ];

  for (const [what, script, message] of refusals) {
    it(what, () => {
      let error: unknown;
      try {
        new FakeLLM(script as never);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(FakeLLMScriptError);
      expect(error).toBeInstanceOf(VoxstateError);
      expect((error as VoxstateError).code).toBe('invalid_fake_llm_script');
      expect((error as Error).message).toContain(message);
    });
  }

  it('push checks its replies in the form the first ones had', () => {
    const keyed = new FakeLLM([{ input: 'hi', content: 'a' }]);
    expect(() => keyed.push({ text: 'b' } as never)).toThrow('reply [0] has no "input" but others have');
    const ordered = new FakeLLM();
    ordered.push({ text: 'a' });
    expect(() => ordered.push({ input: 'hi', content: 'b' } as never)).toThrow('reply [0] has "input" but others do not');
    expect(() => ordered.push({ content: 'b' } as never)).toThrow(FakeLLMScriptError);
  });
});
