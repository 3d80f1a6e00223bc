/** Bad input gets a clear typed error, reported as an error event; nothing crashes, nothing is lost. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  Agent,
  AgentSession,
  AgentTask,
  ClosedError,
  HookError,
  ListenerError,
  NotStartedError,
  ToolArgumentsError,
  UnknownEventError,
  functionTool,
  type ErrorEvent,
} from '../../src/index.js';
import { ScriptedLLM } from '../support/scripted_llm.js';
import { ScriptedOutput } from '../support/scripted_output.js';
import { flush, useFakeTime } from '../support/fake_time.js';

useFakeTime();

async function started(options: { llm?: ScriptedLLM; agent?: Agent } = {}) {
  const session = new AgentSession({ llm: options.llm ?? new ScriptedLLM() });
  const errors: ErrorEvent[] = [];
  session.on('error', (event) => errors.push(event));
  session.output = new ScriptedOutput();
  await session.start({ agent: options.agent ?? new Agent({ instructions: 'test' }) });
  return { session, errors, output: session.output as ScriptedOutput };
}

describe('events the actors do not know', () => {
  it('an unknown event sent to the session actor is reported, not delivered, and the session goes on', async () => {
    const { session, errors } = await started();
    session.actor.send({ type: 'bogus' } as never);
    session.actor.send(undefined as never);
    session.actor.send({ nope: 1 } as never);
    expect(errors.map((event) => event.error)).toEqual([
      expect.any(UnknownEventError),
      expect.any(UnknownEventError),
      expect.any(UnknownEventError),
    ]);
    expect(errors[0]!.error.message).toBe('AgentSession does not accept event "bogus"; the event was dropped');
    expect(errors[1]!.error.message).toContain('malformed event');
    expect(session.state).toBe('running');
    session.say('still here');
    await flush();
    expect(session.agentState).toBe('speaking');
  });

  it('an unknown event sent to a speech or an agent actor is reported on the session', async () => {
    const { session, errors } = await started();
    const speech = session.say('hello');
    speech.actor.send({ type: 'explode' } as never);
    session.currentAgent!.actor!.send({ type: 'explode' } as never);
    expect(errors.map((event) => event.error.message)).toEqual([
      `speech ${speech.id} does not accept event "explode"; the event was dropped`,
      'agent default_agent does not accept event "explode"; the event was dropped',
    ]);
  });
});

describe('calls on a session that is not running', () => {
  it('before start: say, generateReply, drain and input.text say that start() is needed', async () => {
    const session = new AgentSession();
    expect(() => session.say('hi')).toThrow(NotStartedError);
    expect(() => session.say('hi')).toThrow('AgentSession has not been started: call start() before say()');
    expect(() => session.generateReply()).toThrow(NotStartedError);
    await expect(session.drain()).rejects.toThrow(NotStartedError);
    await expect(session.input.text('hi')).rejects.toThrow(NotStartedError);
  });

  it('after close: every call is refused with ClosedError, and closing again is harmless', async () => {
    const { session } = await started();
    await session.aclose();
    expect(session.state).toBe('closed');
    expect(() => session.say('hi')).toThrow(ClosedError);
    expect(() => session.generateReply({ userInput: 'hi' })).toThrow(ClosedError);
    expect(() => session.updateAgent(new Agent({ instructions: 'x' }))).toThrow(ClosedError);
    await expect(session.start({ agent: new Agent({ instructions: 'x' }) })).rejects.toThrow(ClosedError);
    await expect(session.runTask(new AgentTask({ instructions: 'x' }))).rejects.toThrow(ClosedError);
    await expect(session.input.text('hi')).rejects.toThrow(ClosedError);
    await session.aclose();
    session.shutdown();
    await session.drain();
  });

  it('what the user says while the session drains is kept in the history, without a reply', async () => {
    const { session } = await started();
    const draining = session.drain();
    await session.input.text('wait, one more thing');
    await draining;
    expect(session.history.messages().map((message) => message.content)).toEqual(['wait, one more thing']);
  });

  it('wrong argument types are refused with TypeErrors that say what is expected', async () => {
    const { session } = await started();
    expect(() => session.say(42 as never)).toThrow('say() needs a string or an async iterable of strings');
    await expect(session.start({} as never)).rejects.toThrow('start() needs { agent }');
    expect(() => session.updateAgent({} as never)).toThrow(TypeError);
    expect(() => new Agent({} as never)).toThrow('an Agent needs instructions');
  });
});

describe('user code that throws', () => {
  it('a throwing onEnter is reported as HookError; the agent is active and the session runs', async () => {
    class Broken extends Agent {
      override async onEnter() {
        throw new Error('enter failed');
      }
    }
    const agent = new Broken({ instructions: 'x' });
    const { session, errors } = await started({ agent });
    await flush();
    expect(errors.map((event) => event.error)).toEqual([expect.any(HookError)]);
    expect(errors[0]!.error.message).toBe('broken.onEnter failed: enter failed');
    expect(agent.state).toBe('active');
    expect(session.state).toBe('running');
  });

  it('a throwing onExit is reported; the session still closes, once', async () => {
    class Broken extends Agent {
      override async onExit() {
        throw new Error('exit failed');
      }
    }
    const { session, errors } = await started({ agent: new Broken({ instructions: 'x' }) });
    const closes: unknown[] = [];
    session.on('close', (event) => closes.push(event));
    await session.aclose();
    expect(closes).toHaveLength(1);
    expect(errors.map((event) => event.error.message)).toEqual(['broken.onExit failed: exit failed']);
  });

  it('a throwing listener is reported as ListenerError and does not stop the others', async () => {
    const { session, errors } = await started();
    const seen: string[] = [];
    session.on('speech_created', () => {
      throw new Error('listener bug');
    });
    session.on('speech_created', (event) => seen.push(event.source));
    session.say('hi');
    expect(seen).toEqual(['say']);
    expect(errors.map((event) => event.error)).toEqual([expect.any(ListenerError)]);
    expect(errors[0]!.source).toBe('listener');
  });

  it('a throwing onUserTurnCompleted is reported, the message is kept, no reply is made', async () => {
    class Broken extends Agent {
      override async onUserTurnCompleted() {
        throw new Error('turn hook failed');
      }
    }
    const llm = new ScriptedLLM();
    const { session, errors } = await started({ llm, agent: new Broken({ instructions: 'x' }) });
    await session.input.text('hello');
    expect(errors.map((event) => event.error.message)).toEqual(['broken.onUserTurnCompleted failed: turn hook failed']);
    expect(session.history.messages().map((message) => message.content)).toEqual(['hello']);
    expect(llm.requests).toHaveLength(0);
  });
});

describe('tool calls the LLM gets wrong', () => {
  const weather = functionTool({
    description: 'Weather for a city',
    parameters: z.strictObject({ city: z.string(), days: z.int().optional() }),
    execute: async ({ city, days }) => `sunny in ${city} for ${days ?? 1} day(s)`,
  });

  it.each([
    ['not JSON', '{"city": ', 'arguments are not valid JSON'],
    ['a missing argument', '{}', 'city: Invalid input: expected string, received undefined'],
    ['a wrong type', '{"city": 7}', 'city: Invalid input: expected string, received number'],
    ['an extra argument', '{"city": "Paris", "mood": "happy"}', 'Unrecognized key: "mood"'],
    ['an unknown tool', undefined, 'has no tool named "teleport"'],
  ])('%s: an error output goes back to the LLM and an error event is reported', async (_label, args, problem) => {
    const llm = new ScriptedLLM([
      { toolCalls: [args === undefined ? { name: 'teleport' } : { name: 'weather', arguments: args }] },
      { text: 'Sorry about that.' },
    ]);
    const { session, errors, output } = await started({ llm, agent: new Agent({ instructions: 'x', tools: { weather } }) });
    session.generateReply({ userInput: 'weather?' });
    await flush();
    await output.finish();
    await flush();
    expect(errors.map((event) => event.error)).toEqual([expect.any(ToolArgumentsError)]);
    expect(errors[0]!.error.message).toContain(problem);
    const outputItem = session.history.items.find((item) => item.type === 'function_call_output');
    expect(outputItem).toMatchObject({ isError: true, output: expect.stringContaining(problem) });
    expect(llm.requests).toHaveLength(2);
    expect(session.history.messages().at(-1)?.content).toBe('Sorry about that.');
  });

  it('arguments nested 5,000 levels deep: run() resolves, the LLM gets the argument error, the session goes on', async () => {
    const deep = `{"city": ${'['.repeat(5_000)}${']'.repeat(5_000)}}`;
    const llm = new ScriptedLLM([{ toolCalls: [{ name: 'weather', arguments: deep }] }, { text: 'Sorry about that.' }]);
    const session = new AgentSession({ llm });
    const errors: ErrorEvent[] = [];
    session.on('error', (event) => errors.push(event));
    await session.start({ agent: new Agent({ instructions: 'x', tools: { weather } }) });
    const result = await session.run({ userInput: 'weather?' });
    const problem = 'tool weather: city: Invalid input: expected string, received array';
    result.expect.nextEvent().isFunctionCall({ name: 'weather' });
    result.expect.nextEvent().isFunctionCallOutput({ output: problem, isError: true });
    result.expect.nextEvent().isMessage({ role: 'assistant', content: 'Sorry about that.' });
    result.expect.noMoreEvents();
    expect(errors.map((event) => [event.error.constructor, event.error.message, event.source])).toEqual([[ToolArgumentsError, problem, 'tool']]);
    expect(session.state).toBe('running');
  });

  it('valid arguments reach the tool typed and checked', async () => {
    const llm = new ScriptedLLM([{ toolCalls: [{ name: 'weather', arguments: { city: 'Paris', days: 2 } }] }, { text: 'Sunny.' }]);
    const { session, errors, output } = await started({ llm, agent: new Agent({ instructions: 'x', tools: { weather } }) });
    session.generateReply({ userInput: 'weather?' });
    await flush();
    await output.finish();
    await flush();
    expect(errors).toEqual([]);
    expect(session.history.items.find((item) => item.type === 'function_call_output')).toMatchObject({
      isError: false,
      output: 'sunny in Paris for 2 day(s)',
    });
  });
});

describe('options', () => {
  it('userAwayTimeout is in seconds, as in both LiveKit SDKs: anything but a positive number or null is refused, naming the unit', () => {
    for (const bad of [-1, 0, Number.NaN, Number.POSITIVE_INFINITY, '15' as never]) {
      expect(() => new AgentSession({ userAwayTimeout: bad })).toThrow(
        `AgentSession options: userAwayTimeout must be a number of seconds above 0, or null for never; got ${String(bad)}`,
      );
    }
    expect(() => new AgentSession({ userAwayTimeout: 0.5 })).not.toThrow();
  });
});
