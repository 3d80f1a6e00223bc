/** The testing API: session.run({ userInput }) and its expectations, mockTools. */
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { Agent, AgentSession, functionTool, VoxstateError, type SpeechHandle } from '../../src/index.js';
import { isAgentHandoffEvent, mockTools, withMockTools, AssertionError, type SkipCondition } from '../../src/testing/index.js';
import { GoodbyeAgent } from '../../examples/exit_message.js';
import { SimpleAgent } from '../../examples/basic_event.js';
import { settle } from '../support/fake_time.js';
import { ScriptedLLM } from '../support/scripted_llm.js';
import { getWeather, WeatherAgent as BaseWeatherAgent } from '../support/weather_agent.js';

/** With a hand-over tool beside get_weather. */
class WeatherAgent extends BaseWeatherAgent {
  override tools = {
    get_weather: getWeather,
    transfer: functionTool({ description: 'Hand over to the billing agent', execute: () => new Agent({ instructions: 'billing', id: 'billing' }) }),
  };
}

async function session(agent: Agent, llm: ScriptedLLM) {
  const s = new AgentSession({ llm });
  onTestFinished(() => s.aclose());
  await s.start({ agent });
  return s;
}

describe('session.run', () => {
  it('returns the turn’s events in order, with expectations over them', async () => {
    const llm = new ScriptedLLM([{ toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }] }, { text: 'It is sunny in Paris.' }]);
    const s = await session(new WeatherAgent(), llm);
    const result = await s.run({ userInput: 'Weather in Paris?' });
    result.expect.nextEvent().isFunctionCall({ name: 'get_weather', args: { city: 'Paris' } });
    result.expect.nextEvent().isFunctionCallOutput({ output: 'sunny in Paris', isError: false });
    result.expect.nextEvent().isMessage({ role: 'assistant', content: 'It is sunny in Paris.' });
    result.expect.noMoreEvents();
    result.expect.containsFunctionCall({ name: 'get_weather' });
  });

  it('failures show the event timeline with a marker', async () => {
    const s = await session(new WeatherAgent(), new ScriptedLLM([{ text: 'Hello.' }]));
    const result = await s.run({ userInput: 'hi' });
    let error: unknown;
    try {
      result.expect.nextEvent().isFunctionCall({ name: 'get_weather' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AssertionError);
    expect(String((error as Error).message)).toBe(
      'event [0] (message assistant: "Hello."): expected a function call\nevents:\n>>> [0] message assistant: "Hello."',
    );
    expect(() => result.expect.skipNext(2)).toThrow('cannot skip 2');
    expect(() => result.expect.at(0).isMessage({ role: 'user' })).toThrow('expected role user');
  });

  it('follows handoffs: the handoff and what the new agent says on entering belong to the run', async () => {
    class Billing extends Agent {
      constructor() {
        super({ instructions: 'billing', id: 'billing' });
      }
      override async onEnter() {
        await Promise.resolve();
        this.session.say('Billing here.');
      }
    }
    class Front extends Agent {
      constructor() {
        super({ instructions: 'front' });
      }
      override tools = { transfer: functionTool({ description: 'to billing', execute: () => new Billing() }) };
    }
    const s = await session(new Front(), new ScriptedLLM([{ toolCalls: [{ name: 'transfer' }] }]));
    const result = await s.run({ userInput: 'I have a billing question' });
    result.expect.nextEvent().isFunctionCall({ name: 'transfer' });
    result.expect.nextEvent().isFunctionCallOutput();
    result.expect.nextEvent().isAgentHandoff({ newAgentId: 'billing' });
    result.expect.nextEvent().isMessage({ role: 'assistant', content: 'Billing here.' });
    result.expect.noMoreEvents();
  });

  it('mockTools replaces a tool for a class (the LLM still sees the real one), and a mock returning an Error fails the tool', async () => {
    const llm = new ScriptedLLM([
      { toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] },
      { text: 'ok' },
      { toolCalls: [{ name: 'get_weather', arguments: { city: 'Rome' } }] },
      { text: 'sorry' },
    ]);
    const s = await session(new WeatherAgent(), llm);
    const restore = mockTools(WeatherAgent, { get_weather: () => 'snowing' });
    try {
      const snowy = await s.run({ userInput: 'Oslo?' });
      snowy.expect.containsFunctionCallOutput({ output: 'snowing' });
      expect(llm.requests[0]!.tools.map((tool) => tool.name)).toEqual(['get_weather', 'transfer']);
      const restoreFailing = mockTools(WeatherAgent, { get_weather: () => new Error('service down') });
      try {
        const failing = await s.run({ userInput: 'Rome?' });
        failing.expect.containsFunctionCallOutput({ isError: true, output: 'weather_agent.tool get_weather failed: service down' });
      } finally {
        restoreFailing();
      }
    } finally {
      restore();
    }
  });

  it('withMockTools (agents-js’s form): the mock holds until the returned object is disposed', async () => {
    const llm = new ScriptedLLM([
      { toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] },
      { text: 'ok' },
      { toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] },
      { text: 'ok' },
    ]);
    const s = await session(new WeatherAgent(), llm);
    {
      using _mocked = withMockTools(WeatherAgent, { get_weather: () => 'snowing' });
      (await s.run({ userInput: 'Oslo?' })).expect.containsFunctionCallOutput({ output: 'snowing' });
    }
    (await s.run({ userInput: 'Oslo again?' })).expect.containsFunctionCallOutput({ output: 'sunny in Oslo' });
  });

  it('refuses nested runs and runs on a session that is not running', async () => {
    const llm = new ScriptedLLM([{ text: 'slow', hold: true }]);
    const s = await session(new WeatherAgent(), llm);
    const first = s.run({ userInput: 'one' });
    await expect(s.run({ userInput: 'two' })).rejects.toThrow('nested runs are not supported');
    llm.release();
    await first;
    await s.aclose();
    await expect(s.run({ userInput: 'three' })).rejects.toThrow(VoxstateError);
  });

  it('waits for the tools of a speech interrupted while they run, and includes their output', async () => {
    vi.useFakeTimers();
    onTestFinished(() => void vi.useRealTimers());
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let speech: SpeechHandle | undefined;
    const agent = new Agent({
      instructions: 'slow',
      tools: {
        slow: functionTool({
          description: 'Takes its time; its speech is cut off meanwhile',
          execute: async () => {
            speech?.interrupt({ force: true });
            await gate;
            return 'late result';
          },
        }),
      },
    });
    const s = await session(agent, new ScriptedLLM([{ toolCalls: [{ name: 'slow' }] }]));
    s.once('speech_created', (event) => (speech = event.speechHandle));
    let settled = false;
    const run = s.run({ userInput: 'go' }).finally(() => (settled = true));
    await new Promise<void>((resolve) => s.once('function_tool_started', () => resolve()));
    // The tool is still running: its speech has ended (interrupted), the run has not.
    await settle();
    expect(speech?.interrupted).toBe(true);
    expect(settled).toBe(false);
    release();
    const result = await run;
    result.expect.nextEvent().isFunctionCall({ name: 'slow' });
    result.expect.nextEvent().isFunctionCallOutput({ output: 'late result', isError: false });
    result.expect.noMoreEvents();
  });

  it('an LLM failure makes the run reject with it', async () => {
    const s = await session(new WeatherAgent(), new ScriptedLLM([{ error: new Error('model unavailable') }]));
    await expect(s.run({ userInput: 'hi' })).rejects.toThrow('model unavailable');
  });
});

describe('the seed examples, tested with the testing API', () => {
  it('exit_message: "end session" calls end_session, onExit says goodbye, and the session closes', async () => {
    const s = await session(new GoodbyeAgent(), new ScriptedLLM([{ toolCalls: [{ name: 'end_session' }] }]));
    const result = await s.run({ userInput: 'I want to stop now' });
    result.expect.nextEvent().isFunctionCall({ name: 'end_session' });
    result.expect.nextEvent().isMessage({ role: 'assistant', content: 'Goodbye!' });
    result.expect.nextEvent().isFunctionCallOutput({ isError: false });
    result.expect.noMoreEvents();
    expect(s.state).toBe('closed');
  });

  it('basic_event: the agent greets Alice on entering, then answers', async () => {
    const s = new AgentSession({ llm: new ScriptedLLM([{ text: 'Hi!' }]) });
    // A SpeechHandle is awaitable (it resolves once heard), so it travels wrapped through a promise.
    const greeting = new Promise<{ speech: SpeechHandle }>((resolve) => s.once('speech_created', (event) => resolve({ speech: event.speechHandle })));
    await s.start({ agent: new SimpleAgent() });
    await (await greeting).speech;
    const result = await s.run({ userInput: 'hello' });
    result.expect.nextEvent().isMessage({ role: 'assistant', content: 'Hi!' });
    result.expect.noMoreEvents();
    expect(s.history.messages().map((m) => `${m.role}: ${m.content}`)).toEqual(['assistant: Hello, Alice!', 'user: hello', 'assistant: Hi!']);
  });
});

describe('RunResult as agents-js has it', () => {
  it('session.run returns at once; result.wait() resolves once the turn is done, and done() says so', async () => {
    vi.useFakeTimers();
    onTestFinished(() => void vi.useRealTimers());
    const s = await session(new WeatherAgent(), new ScriptedLLM([{ text: 'Thinking done.', ttftMs: 1_000 }]));
    const result = s.run({ userInput: 'hi' });
    await vi.advanceTimersByTimeAsync(999);
    expect(result.done()).toBe(false);
    expect(() => result.events).toThrow(expect.objectContaining({ code: 'run_not_done' }));
    expect(() => result.expect).toThrow('the run has not finished');
    await vi.advanceTimersByTimeAsync(1);
    const waited = await result.wait();
    expect(result.done()).toBe(true);
    // The same result either way: its events, and one cursor.
    result.expect.nextEvent().isMessage({ role: 'assistant', content: 'Thinking done.' });
    waited.expect.noMoreEvents();
    expect(waited.events).toBe(result.events);
    expect(await result).toBe(waited);
  });

  it('a failed run: wait() and await reject with the failure, done() is true, and its events throw it', async () => {
    const s = await session(new WeatherAgent(), new ScriptedLLM([{ error: new Error('model unavailable') }]));
    const result = s.run({ userInput: 'hi' });
    await expect(result.wait()).rejects.toThrow('model unavailable');
    await expect(result).rejects.toThrow('model unavailable');
    expect(result.done()).toBe(true);
    expect(() => result.events).toThrow('model unavailable');
  });

  it('a failed run that nobody waits for is not an unhandled rejection (the next run goes on)', async () => {
    const s = await session(new WeatherAgent(), new ScriptedLLM([{ error: new Error('model unavailable') }, { text: 'Back.' }]));
    vi.useFakeTimers();
    onTestFinished(() => void vi.useRealTimers());
    const failed = s.run({ userInput: 'hi' });
    await settle();
    expect(failed.done()).toBe(true);
    const next = await s.run({ userInput: 'again' });
    next.expect.nextEvent().isMessage({ content: 'Back.' });
  });

  it('event() gives the event, typed by the assertion that matched it', async () => {
    const s = await session(new WeatherAgent(), new ScriptedLLM([{ toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] }, { text: 'Cold.' }]));
    const result = await s.run({ userInput: 'Oslo?' });
    expect(result.expect.nextEvent().isFunctionCall({ name: 'get_weather' }).event().item.arguments).toBe('{"city":"Oslo"}');
    expect(result.expect.nextEvent().isFunctionCallOutput().event().item.output).toBe('sunny in Oslo');
    expect(result.expect.nextEvent().isMessage().event().item.content).toBe('Cold.');
  });

  describe('skipNextEventIf', () => {
    it('skips the next event when it matches, and returns its assertion', async () => {
      const s = await session(new WeatherAgent(), new ScriptedLLM([{ text: 'Let me look.', toolCalls: [{ name: 'get_weather', arguments: { city: 'Rome' } }] }, { text: 'Sunny.' }]));
      const result = s.run({ userInput: 'Rome?' });
      await result.wait();
      const skipped = result.expect.skipNextEventIf({ type: 'message', role: 'assistant' });
      expect(skipped?.event().item.content).toBe('Let me look.');
      expect(result.expect.skipNextEventIf({ type: 'function_call', name: 'get_weather', args: { city: 'Rome' } })).toBeDefined();
      result.expect.nextEvent().isFunctionCallOutput({ output: 'sunny in Rome' });
      result.expect.nextEvent().isMessage({ content: 'Sunny.' });
      result.expect.noMoreEvents();
      expect(result.expect.skipNextEventIf({ type: 'message' })).toBeUndefined();
    });

    it('leaves the cursor where it is when the next event does not match', async () => {
      const s = await session(new WeatherAgent(), new ScriptedLLM([{ toolCalls: [{ name: 'get_weather', arguments: { city: 'Rome' } }] }, { text: 'Sunny.' }]));
      const result = await s.run({ userInput: 'Rome?' });
      expect(result.expect.skipNextEventIf({ type: 'message', role: 'assistant' })).toBeUndefined();
      expect(result.expect.skipNextEventIf({ type: 'function_call', name: 'transfer' })).toBeUndefined();
      expect(result.expect.skipNextEventIf({ type: 'function_call_output' })).toBeUndefined();
      result.expect.nextEvent().isFunctionCall({ name: 'get_weather' });
    });

    it('an option the condition does not know is an error, not a match', async () => {
      const s = await session(new WeatherAgent(), new ScriptedLLM([{ text: 'Hi.' }]));
      const result = await s.run({ userInput: 'hi' });
      const misspelt = { type: 'message', text: 'Bye.' } as unknown as SkipCondition;
      expect(() => result.expect.skipNextEventIf(misspelt)).toThrow(expect.objectContaining({ code: 'invalid_expectation', message: 'isMessage: unknown option text (it takes role, content)' }));
      expect(() => result.expect.skipNextEventIf({ type: 'speech' } as unknown as SkipCondition)).toThrow('unknown type "speech"');
      expect(() => result.expect.nextEvent().isMessage({ contents: 'Hi.' } as never)).toThrow(VoxstateError);
      // Nothing was skipped.
      result.expect.at(0).isMessage({ content: 'Hi.' });
    });
  });

  describe('range', () => {
    it('searches only its slice; the failure names the slice and shows the timeline', async () => {
      const s = await session(new WeatherAgent(), new ScriptedLLM([{ toolCalls: [{ name: 'get_weather', arguments: { city: 'Dallas' } }] }, { text: 'Hot.' }]));
      const result = await s.run({ userInput: 'Dallas?' });
      expect(result.expect.range(0, 2).containsFunctionCall({ name: 'get_weather' }).event().item.name).toBe('get_weather');
      result.expect.range(0, 2).containsFunctionCallOutput({ isError: false });
      expect(() => result.expect.range(0, 2).containsMessage({ role: 'assistant' })).toThrow(
        new AssertionError('expected a matching message among events [0, 2)', result.events),
      );
      result.expect.range(2).containsMessage({ content: 'Hot.' });
      result.expect.range(-1).containsMessage({ role: 'assistant' });
      expect(() => result.expect.range(1, -1).containsFunctionCall()).toThrow('among events [1, 2)');
      expect(() => result.expect.range(5).containsMessage()).toThrow(AssertionError);
      result.expect.range().containsMessage({ content: 'Hot.' });
      expect(() => result.expect.containsAgentHandoff()).toThrow('expected a matching agent handoff among the events');
    });
  });

  it('handoff events carry the agents: isAgentHandoff({ newAgentType }) as agents-js', async () => {
    class Billing extends Agent {
      constructor() {
        super({ instructions: 'billing', id: 'billing' });
      }
    }
    class Front extends Agent {
      constructor() {
        super({ instructions: 'front', id: 'front' });
      }
      override tools = { transfer: functionTool({ description: 'to billing', execute: () => new Billing() }) };
    }
    const front = new Front();
    const s = await session(front, new ScriptedLLM([{ toolCalls: [{ name: 'transfer' }] }]));
    const result = await s.run({ userInput: 'billing please' });
    const handoff = result.expect.containsAgentHandoff({ newAgentType: Billing });
    expect(handoff.event().oldAgent).toBe(front);
    expect(handoff.event().newAgent).toBe(s.currentAgent);
    result.expect.range(2).containsAgentHandoff({ newAgentType: Agent, newAgentId: 'billing' });
    expect(() => result.expect.containsAgentHandoff({ newAgentType: Front })).toThrow(AssertionError);
    expect(() => result.expect.at(2).isAgentHandoff({ newAgentType: Front })).toThrow('expected a handoff to a Front, got a Billing');
  });

  it('each handoff of a run names the agents it was between', async () => {
    class Closing extends Agent {
      constructor() {
        super({ instructions: 'closing', id: 'closing' });
      }
    }
    class Billing extends Agent {
      constructor() {
        super({ instructions: 'billing', id: 'billing' });
      }
      override async onEnter() {
        this.session.updateAgent(new Closing());
      }
    }
    const front = new Agent({ instructions: 'front', id: 'front', tools: { transfer: functionTool({ description: 'to billing', execute: () => new Billing() }) } });
    const s = await session(front, new ScriptedLLM([{ toolCalls: [{ name: 'transfer' }] }]));
    const result = await s.run({ userInput: 'billing please' });
    const handoffs = result.events.filter(isAgentHandoffEvent).map((event) => [event.oldAgent?.id, event.newAgent.id, event.newAgent.constructor.name]);
    expect(handoffs).toEqual([
      ['front', 'billing', 'Billing'],
      ['billing', 'closing', 'Closing'],
    ]);
  });
});
