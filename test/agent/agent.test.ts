/** Agent and AgentTask: ids, the session getter, sub-tasks, StopResponse, agents that never enter. */
import { describe, expect, it } from 'vitest';
import {
  Agent,
  AgentSession,
  AgentTask,
  ClosedError,
  LocalRoom,
  NotStartedError,
  StopResponse,
  VoxstateError,
  type ChatContext,
  type ChatMessage,
  type ErrorEvent,
  type SpeechCreatedEvent,
} from '../../src/index.js';
import { ScriptedLLM } from '../support/scripted_llm.js';
import { ScriptedOutput } from '../support/scripted_output.js';
import { flush, useFakeTime } from '../support/fake_time.js';

useFakeTime();

/** An agent that counts its hook calls. */
class CountingAgent extends Agent {
  enters = 0;
  exits = 0;
  constructor(id?: string) {
    super({ instructions: 'count', ...(id ? { id } : {}) });
  }
  override async onEnter(): Promise<void> {
    this.enters += 1;
  }
  override async onExit(): Promise<void> {
    this.exits += 1;
  }
}

class SurveyTask extends AgentTask<{ rating: number }> {
  enters = 0;
  exits = 0;
  constructor() {
    super({ instructions: 'ask for a rating' });
  }
  override async onEnter(): Promise<void> {
    this.enters += 1;
  }
  override async onExit(): Promise<void> {
    this.exits += 1;
  }
}

async function started(agent: Agent, llm = new ScriptedLLM()) {
  const session = new AgentSession({ llm, userAwayTimeout: null });
  const errors: ErrorEvent[] = [];
  session.on('error', (event) => errors.push(event));
  const output = new ScriptedOutput();
  session.output = output;
  await session.start({ agent });
  await flush();
  return { session, errors, output, llm };
}

describe('agent ids', () => {
  it('a plain Agent or AgentTask is "default_agent"; a subclass is its class name in snake_case; an explicit id wins', () => {
    class CustomerSupportAgent extends Agent {}
    class Booking2Task extends AgentTask<string> {}
    expect(new Agent({ instructions: 'x' }).id).toBe('default_agent');
    expect(new AgentTask<string>({ instructions: 'x' }).id).toBe('default_agent');
    expect(new CustomerSupportAgent({ instructions: 'x' }).id).toBe('customer_support_agent');
    expect(new SurveyTask().id).toBe('survey_task');
    expect(new Booking2Task({ instructions: 'x' }).id).toBe('booking2_task');
    expect(new CustomerSupportAgent({ instructions: 'x', id: 'support' }).id).toBe('support');
  });

  it('an Agent needs instructions', () => {
    expect(() => new Agent({} as never)).toThrow(new TypeError('an Agent needs instructions (a string)'));
    expect(() => new Agent(undefined as never)).toThrow(TypeError);
  });
});

describe('agent.session', () => {
  it('throws a clear VoxstateError before the agent is activated, and is the session from onEnter on', async () => {
    let inOnEnter: AgentSession | undefined;
    class Greeter extends Agent {
      constructor() {
        super({ instructions: 'greet' });
      }
      override async onEnter(): Promise<void> {
        inOnEnter = this.session;
      }
    }
    const agent = new Greeter();
    let error: unknown;
    try {
      void agent.session;
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(VoxstateError);
    expect(error).toMatchObject({
      code: 'agent_not_active',
      message: 'agent greeter is not running in a session yet: use this.session from onEnter, tools and hooks',
    });
    expect(agent.state).toBe('inactive');
    expect(agent.actor).toBeUndefined();
    const { session } = await started(agent);
    expect(inOnEnter).toBe(session);
    expect(agent.session).toBe(session);
    expect(agent.state).toBe('active');
    await session.aclose();
  });
});

describe('AgentTask and runTask', () => {
  it('complete(value): runTask resolves with it, and the parent resumes without a second onEnter', async () => {
    const parent = new CountingAgent('parent');
    const { session, errors } = await started(parent);
    const task = new SurveyTask();
    const outcome = session.runTask(task);
    await flush();
    expect(parent.state).toBe('paused');
    expect(task.state).toBe('active');
    expect(session.currentAgent).toBe(task);
    expect(task.enters).toBe(1);
    expect(task.completed).toBe(false);

    task.complete({ rating: 5 });
    task.complete({ rating: 1 }); // later calls are ignored
    await expect(outcome).resolves.toEqual({ rating: 5 });
    await flush();
    expect(task.completed).toBe(true);
    expect(task.state).toBe('exited');
    expect([task.enters, task.exits]).toEqual([1, 1]);
    expect(parent.state).toBe('active');
    expect(session.currentAgent).toBe(parent);
    expect([parent.enters, parent.exits]).toEqual([1, 0]);
    expect(errors).toEqual([]);

    await session.aclose();
    expect([parent.enters, parent.exits]).toEqual([1, 1]);
  });

  it('complete(error): runTask rejects with that error, and the parent resumes the same way', async () => {
    const parent = new CountingAgent('parent');
    const { session, errors } = await started(parent);
    const task = new SurveyTask();
    const outcome = session.runTask(task);
    await flush();
    const refusal = new Error('the user declined the survey');
    task.complete(refusal);
    await expect(outcome).rejects.toBe(refusal);
    await flush();
    expect(task.state).toBe('exited');
    expect(parent.state).toBe('active');
    expect(session.currentAgent).toBe(parent);
    expect([parent.enters, parent.exits]).toEqual([1, 0]);
    // The task's error is its caller's business, not a session error.
    expect(errors).toEqual([]);
    await session.aclose();
  });

  it('runTask rejects with ClosedError if the session closes first; task and parent each exit once', async () => {
    const parent = new CountingAgent('parent');
    const { session, errors } = await started(parent);
    const task = new SurveyTask();
    const outcome = session.runTask(task);
    await flush();
    await session.aclose();
    await expect(outcome).rejects.toBeInstanceOf(ClosedError);
    await expect(outcome).rejects.toThrow('AgentSession is closing: runTask() is not possible any more');
    await flush();
    expect(session.state).toBe('closed');
    expect(task.state).toBe('exited');
    expect(parent.state).toBe('exited');
    expect([task.enters, task.exits]).toEqual([1, 1]);
    expect([parent.enters, parent.exits]).toEqual([1, 1]);
    expect(errors).toEqual([]);
  });

  it('runTask is refused on a session that is not running', async () => {
    const session = new AgentSession();
    await expect(session.runTask(new SurveyTask())).rejects.toBeInstanceOf(NotStartedError);
    await session.start({ agent: new Agent({ instructions: 'x' }) });
    await session.aclose();
    await expect(session.runTask(new SurveyTask())).rejects.toThrow(new ClosedError('AgentSession', 'runTask()', 'closed'));
  });
});

describe('onUserTurnCompleted', () => {
  it('StopResponse skips the reply; the user message stays in the history', async () => {
    const turns: Array<{ text: string; historyLength: number }> = [];
    class Quiet extends Agent {
      constructor() {
        super({ instructions: 'quiet' });
      }
      override async onUserTurnCompleted(turnCtx: ChatContext, message: ChatMessage): Promise<void> {
        turns.push({ text: message.content, historyLength: turnCtx.items.length });
        // The turn context is a copy: changing it does not change the session's history.
        turnCtx.addMessage({ role: 'system', content: 'scratch' });
        if (message.content === 'never mind') throw new StopResponse();
      }
    }
    const llm = new ScriptedLLM([{ text: 'Sure, here it is.' }]);
    const { session, errors, output } = await started(new Quiet(), llm);
    const created: SpeechCreatedEvent[] = [];
    session.on('speech_created', (event) => created.push(event));

    await session.input.text('never mind');
    await flush();
    expect(session.history.messages().map((m) => [m.role, m.content])).toEqual([['user', 'never mind']]);
    expect(created).toEqual([]);
    expect(llm.requests).toHaveLength(0);
    expect(session.agentState).toBe('listening');

    // The next turn is answered as usual.
    await session.input.text('show me');
    await output.finish();
    await flush();
    expect(turns).toEqual([
      { text: 'never mind', historyLength: 1 },
      { text: 'show me', historyLength: 2 },
    ]);
    expect(created.map((e) => e.source)).toEqual(['generate_reply']);
    expect(llm.requests).toHaveLength(1);
    expect(session.history.messages().map((m) => [m.role, m.content])).toEqual([
      ['user', 'never mind'],
      ['user', 'show me'],
      ['assistant', 'Sure, here it is.'],
    ]);
    expect(errors).toEqual([]);
    await session.aclose();
  });
});

describe('an agent that never enters', () => {
  /** A room whose connection completes (or fails) when the test says so. */
  class HeldRoom extends LocalRoom {
    release!: () => void;
    fail!: (error: Error) => void;
    readonly #held = new Promise<void>((resolve, reject) => {
      this.release = resolve;
      this.fail = reject;
    });
    override async connect(): Promise<void> {
      await this.#held;
      await super.connect();
    }
  }

  it('the session closing while its room connects: the agent exits with neither onEnter nor onExit', async () => {
    const agent = new CountingAgent();
    const room = new HeldRoom();
    const session = new AgentSession({ userAwayTimeout: null });
    const errors: ErrorEvent[] = [];
    session.on('error', (event) => errors.push(event));
    const starting = session.start({ agent, room });
    await flush();
    expect(session.state).toBe('starting');
    expect(session.currentAgent).toBe(agent);
    const closing = session.aclose();
    await flush();
    room.release();
    await starting;
    await closing;
    expect(session.state).toBe('closed');
    expect(agent.state).toBe('exited');
    expect(agent.actor!.getSnapshot().context.entered).toBe(false);
    expect([agent.enters, agent.exits]).toEqual([0, 0]);
    expect(session.currentAgent).toBeUndefined();
    expect(() => agent.session).toThrow(VoxstateError);
    expect(errors).toEqual([]);

    // It can still run in another session.
    const { session: next } = await started(agent);
    expect(agent.state).toBe('active');
    expect(agent.session).toBe(next);
    await next.aclose();
    expect([agent.enters, agent.exits]).toEqual([1, 1]);
  });

  it('the room failing to connect: start() rejects and the agent exits with neither hook', async () => {
    const agent = new CountingAgent();
    const room = new HeldRoom();
    const session = new AgentSession({ userAwayTimeout: null });
    const errors: ErrorEvent[] = [];
    session.on('error', (event) => errors.push(event));
    const starting = session.start({ agent, room });
    await flush();
    room.fail(new Error('connection refused'));
    await expect(starting).rejects.toThrow('connection refused');
    await flush();
    expect(session.state).toBe('closed');
    expect(agent.state).toBe('exited');
    expect([agent.enters, agent.exits]).toEqual([0, 0]);
    expect(errors.map((e) => e.error.message)).toEqual(['connection refused']);
  });
});
