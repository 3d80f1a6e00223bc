/**
 * The lifecycle of a real AgentSession published on the bus (runtime.attach): runs per user turn,
 * an action per tool call, model use and failure, messages, voice; nothing once detached, and
 * nothing at all for a session without a runtime.
 */
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  Agent,
  AgentRuntime,
  AgentSession,
  functionTool,
  StopResponse,
  type ChatMessage,
  type RuntimeEvent,
  type RuntimeEventRegistry,
  type RuntimeEventType,
} from '../../src/index.js';
import { flush, useFakeTime } from '../support/fake_time.js';
import type { ScriptedReply } from '../../src/testing/index.js';
import { MeteredLLM } from '../support/metered_llm.js';

useFakeTime();

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const LIFECYCLE: RuntimeEventType[] = [
  'run:started',
  'run:completed',
  'run:failed',
  'run:timeout',
  'action:started',
  'action:completed',
  'action:failed',
  'model:used',
  'model:failed',
  'message:received',
  'message:sent',
  'voice:started',
  'voice:ended',
];

/** Every lifecycle event the handlers received, in delivery order. */
function record(runtime: AgentRuntime): RuntimeEvent[] {
  const seen: RuntimeEvent[] = [];
  for (const type of LIFECYCLE) runtime.on(type, (payload) => void seen.push({ type, payload } as RuntimeEvent));
  return seen;
}

class WeatherAgent extends Agent {
  constructor(execute: (args: { city: string }) => Promise<string> = async ({ city }) => {
    await wait(50);
    return `sunny in ${city}`;
  }) {
    super({
      instructions: 'You tell the weather.',
      tools: { get_weather: functionTool({ description: 'The weather in a city', parameters: z.object({ city: z.string() }), execute }) },
    });
  }
}

async function started(script: ScriptedReply[], agent: Agent = new WeatherAgent(), options: { runTimeoutMs?: number } = {}) {
  const llm = new MeteredLLM(script);
  const session = new AgentSession({ llm });
  const runtime = new AgentRuntime(options);
  const seen = record(runtime);
  runtime.attach(session);
  await session.start({ agent });
  return { session, runtime, seen, llm };
}

async function turn(session: AgentSession, userInput: string, ms = 1_000): Promise<void> {
  const run = session.run({ userInput });
  await vi.advanceTimersByTimeAsync(ms);
  await run;
  await flush();
}

const types = (seen: RuntimeEvent[]) => seen.map((event) => event.type);
const only = <K extends RuntimeEventType>(seen: RuntimeEvent[], type: K): Array<RuntimeEventRegistry[K]> =>
  seen.filter((event) => event.type === type).map((event) => event.payload as RuntimeEventRegistry[K]);

describe('a user turn with a tool call', () => {
  it('publishes run:started, model:used, action:started, action:completed, model:used, message:sent, run:completed in order, all with the run id', async () => {
    const { session, seen } = await started([
      { toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }], ttftMs: 100 },
      { text: 'It is sunny in Paris.', ttftMs: 200 },
    ]);
    await turn(session, 'Weather in Paris?');
    expect(types(seen).filter((type) => !type.startsWith('voice:'))).toEqual([
      'message:received',
      'run:started',
      'model:used',
      'action:started',
      'action:completed',
      'model:used',
      'message:sent',
      'run:completed',
    ]);
    const [run] = only(seen, 'run:started');
    expect(run).toMatchObject({ session, message: { role: 'user', content: 'Weather in Paris?' } });
    const runId = run!.runId;
    expect(runId).toMatch(/^run_/);
    expect(only(seen, 'message:received')[0]).toMatchObject({ runId, message: { content: 'Weather in Paris?' } });
    expect(only(seen, 'action:started')[0]).toMatchObject({ runId, name: 'get_weather', arguments: '{"city":"Paris"}', callId: 'call_1' });
    expect(only(seen, 'action:completed')[0]).toMatchObject({ runId, name: 'get_weather', output: 'sunny in Paris', durationMs: 50 });
    const models = only(seen, 'model:used');
    expect(models.map(({ runId: id, modelType, provider, model, durationMs, tokens }) => ({ id, modelType, provider, model, durationMs, tokens }))).toEqual([
      { id: runId, modelType: 'llm', provider: 'fake', model: 'fake/scripted-1', durationMs: 100, tokens: { prompt: 10, completion: 0, total: 10 } },
      { id: runId, modelType: 'llm', provider: 'fake', model: 'fake/scripted-1', durationMs: 200, tokens: { prompt: 10, completion: 5, total: 15 } },
    ]);
    expect(only(seen, 'message:sent')[0]).toMatchObject({ runId, interrupted: false, message: { role: 'assistant', content: 'It is sunny in Paris.' } });
    const completed = only(seen, 'run:completed')[0]!;
    expect(completed).toMatchObject({ runId, replied: true, interrupted: false, durationMs: 350 });
    expect(completed.speechIds).toHaveLength(2);
    // The agent spoke twice? No: the first step only called the tool; it spoke once.
    expect(only(seen, 'voice:started').map((event) => event.speaker)).toEqual(['agent']);
    expect(only(seen, 'voice:ended')).toMatchObject([{ speaker: 'agent' }]);
  });

  it('a tool that throws, and a call of an unknown tool, publish action:failed with the error; the run still completes', async () => {
    const agent = new WeatherAgent(async () => {
      throw new Error('weather service down');
    });
    const failing = await started(
      [{ toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }, { name: 'get_news' }] }, { text: 'Sorry.' }],
      agent,
    );
    await turn(failing.session, 'Weather?');
    // In the order they finished: the refused call at once, the tool after it threw.
    const failed = only(failing.seen, 'action:failed');
    expect(failed.map((event) => [event.name, event.error.code, event.output])).toEqual([
      ['get_news', 'invalid_tool_arguments', `tool get_news: agent ${agent.id} has no tool named "get_news"`],
      ['get_weather', 'hook_failed', `${agent.id}.tool get_weather failed: weather service down`],
    ]);
    expect(only(failing.seen, 'action:completed')).toEqual([]);
    expect(types(failing.seen).at(-1)).toBe('run:completed');
  });
});

describe('runs', () => {
  it('an LLM failure publishes model:failed (provider and model) and run:failed with the error', async () => {
    const { session, seen } = await started([{ error: new Error('quota exceeded') }]);
    const run = session.run({ userInput: 'hi' }).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(100);
    expect(await run).toMatchObject({ message: 'fake: quota exceeded' });
    await flush();
    expect(only(seen, 'model:failed')).toMatchObject([{ modelType: 'llm', provider: 'fake', model: 'fake/scripted-1', error: { message: 'fake: quota exceeded' } }]);
    const failed = only(seen, 'run:failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.error.message).toBe('fake: quota exceeded');
    expect(failed[0]!.runId).toBe(only(seen, 'run:started')[0]!.runId);
    expect(only(seen, 'run:completed')).toEqual([]);
  });

  it('a run still going after runTimeoutMs publishes run:timeout, then completes', async () => {
    const { session, seen } = await started([{ text: 'Slow answer.', ttftMs: 500 }], new WeatherAgent(), { runTimeoutMs: 200 });
    const run = session.run({ userInput: 'hi' });
    await vi.advanceTimersByTimeAsync(200);
    await flush();
    expect(types(seen).filter((type) => type.startsWith('run:'))).toEqual(['run:started', 'run:timeout']);
    expect(only(seen, 'run:timeout')[0]).toMatchObject({ timeoutMs: 200 });
    await vi.advanceTimersByTimeAsync(400);
    await run;
    await flush();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(types(seen).filter((type) => type.startsWith('run:'))).toEqual(['run:started', 'run:timeout', 'run:completed']);
  });

  it('a turn the agent does not answer ends unanswered at the next turn; an interrupted one as interrupted', async () => {
    class Picky extends Agent {
      override async onUserTurnCompleted(_ctx: unknown, message: ChatMessage): Promise<void> {
        if (message.content === 'ignore me') throw new StopResponse();
      }
    }
    const { session, seen } = await started([{ text: 'One two three four five six.', ttftMs: 10 }, { text: 'Fine.' }], new Picky({ instructions: 'x' }));
    await turn(session, 'ignore me');
    expect(types(seen).filter((type) => type.startsWith('run:'))).toEqual(['run:started']);
    await session.input.text('hello');
    await flush();
    const ended = only(seen, 'run:completed');
    expect(ended).toHaveLength(1);
    expect(ended[0]).toMatchObject({ replied: false, speechIds: [], message: { content: 'ignore me' } });
    // The reply to "hello" is interrupted by the next turn.
    await session.input.text('stop');
    await vi.advanceTimersByTimeAsync(100);
    await flush();
    const all = only(seen, 'run:completed');
    expect(all.map((run) => [run.message.content, run.replied, run.interrupted])).toEqual([
      ['ignore me', false, false],
      ['hello', true, true],
      ['stop', true, false],
    ]);
  });
});

describe('voice', () => {
  it('the user speaking publishes voice:started / voice:ended with its duration', async () => {
    const { session, seen } = await started([]);
    session.input.speechStarted();
    await vi.advanceTimersByTimeAsync(700);
    session.input.speechEnded();
    await flush();
    expect(only(seen, 'voice:started')).toMatchObject([{ speaker: 'user' }]);
    expect(only(seen, 'voice:ended')).toMatchObject([{ speaker: 'user', durationMs: 700 }]);
  });
});

describe('attaching', () => {
  it('detach stops publishing and removes every listener it added; a session without a runtime has none', async () => {
    const { session, runtime, seen } = await started([{ text: 'a' }, { text: 'b' }]);
    const bare = new AgentSession();
    const events = ['conversation_item_added', 'speech_created', 'function_tool_started', 'function_tool_completed', 'metrics_collected', 'agent_state_changed'] as const;
    expect(events.map((event) => bare.listenerCount(event))).toEqual([0, 0, 0, 0, 0, 0]);
    const before = events.map((event) => session.listenerCount(event));
    expect(before.every((count) => count >= 1)).toBe(true);
    const detach = runtime.attach(session);
    expect(runtime.attach(session)).toBe(detach);
    await turn(session, 'first');
    const published = seen.length;
    detach();
    // Only the listeners the runtime added are gone (session.run's own were removed when it returned).
    expect(events.map((event) => session.listenerCount(event))).toEqual(before.map((count) => count - 1));
    await turn(session, 'second');
    expect(seen).toHaveLength(published);
  });

  it('the session closing detaches it: open runs end, nothing is published afterwards', async () => {
    const { session, seen } = await started([{ text: 'never heard', ttftMs: 10_000 }]);
    void session.input.text('hello');
    await vi.advanceTimersByTimeAsync(10);
    const closing = session.aclose();
    await vi.advanceTimersByTimeAsync(100);
    await closing;
    await flush();
    expect(types(seen).filter((type) => type.startsWith('run:'))).toEqual(['run:started', 'run:completed']);
    expect(only(seen, 'run:completed')[0]).toMatchObject({ replied: true, interrupted: true });
    expect(session.listenerCount('speech_created')).toBe(0);
  });
});
