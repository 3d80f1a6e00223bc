/**
 * An Agent: instructions, tools and hooks. A session runs one agent at a time; each activation is
 * an actor of machines/agent.ts (inactive → entering → active ⇄ paused → exiting → exited).
 *
 *   class SimpleAgent extends Agent {
 *     constructor() { super({ instructions: 'You are a helpful agent.' }); }
 *     override async onEnter() { this.session.say('Hello!'); }
 *   }
 */
import type { Actor } from 'xstate';
import { fromTask } from '../actors/from_task.js';
import { agentMachine, type AgentMachineEmitted } from '../../machines/agent.js';
import { hostOf, startActor } from '../actors/start_actor.js';
import { VoxstateError } from '../errors.js';
import type { ChatContext, ChatMessage } from '../llm/chat_context.js';
import { toolEntries, type AgentTools } from '../llm/tool_set.js';
import type { LLM } from '../llm/llm.js';
import type { AgentSession } from '../session/agent_session.js';

export type AgentLifecycleState = 'inactive' | 'entering' | 'active' | 'paused' | 'exiting' | 'exited';

export interface AgentOptions<UserData = unknown> {
  instructions: string;
  /**
   * What the LLM may call: an array of named tools (`[tool({ name, … })]`) or a map name → tool
   * (`{ getWeather: tool({ … }) }`). A name given twice is a ToolDeclarationError.
   */
  tools?: AgentTools<UserData>;
  /** Defaults to the class name in snake_case ("default_agent" for a plain Agent). */
  id?: string;
  /** Overrides the session's LLM while this agent is active. */
  llm?: LLM;
}

/** Throw it from onUserTurnCompleted to let the turn pass without a reply. */
export class StopResponse extends Error {
  constructor() {
    super('the agent chose not to reply to this turn');
    this.name = 'StopResponse';
  }
}

/**
 * An agent. `UserData` is the type of its session's userData: a subclass of `Agent<UserData>`
 * sees it typed in `this.session.userData` and in its tools' `ctx.userData`.
 */
export class Agent<UserData = unknown> {
  static readonly #machine = agentMachine.provide({
    actors: {
      onEnter: fromTask(async ({ system }) => hostOf<Agent>(system).onEnter()),
      onExit: fromTask(async ({ system }) => hostOf<Agent>(system).onExit()),
    },
  });

  instructions: string;
  /** The tools, in either form of AgentOptions.tools; read when a reply asks the LLM. */
  tools: AgentTools<UserData>;
  llm: LLM | undefined;
  readonly id: string;
  #session: AgentSession<UserData> | undefined;
  #actor: Actor<typeof agentMachine> | undefined;

  constructor(options: AgentOptions<UserData>) {
    if (typeof options?.instructions !== 'string') throw new TypeError('an Agent needs instructions (a string)');
    this.instructions = options.instructions;
    this.llm = options.llm;
    this.id = options.id ?? defaultId(new.target);
    this.tools = options.tools ?? {};
    // Checked where they are declared: a duplicate name fails here, not at the first reply.
    toolEntries(this.tools, `agent ${this.id}`);
  }

  /** The session running this agent. Available from onEnter on (and in tools and hooks). */
  get session(): AgentSession<UserData> {
    if (this.#session === undefined) {
      throw new VoxstateError('agent_not_active', `agent ${this.id} is not running in a session yet: use this.session from onEnter, tools and hooks`);
    }
    return this.#session;
  }

  /** Where the agent is in its lifecycle. */
  get state(): AgentLifecycleState {
    return (this.#actor?.getSnapshot().value as AgentLifecycleState | undefined) ?? 'inactive';
  }

  /** The actor of the current (or last) activation. */
  get actor(): Actor<typeof agentMachine> | undefined {
    return this.#actor;
  }

  /** Runs when the agent becomes the active agent of a session. */
  async onEnter(): Promise<void> {}

  /** Runs when the agent hands over to another one or the session ends; it may still speak. */
  async onExit(): Promise<void> {}

  /**
   * Runs when the user has finished a turn, before the reply. `turnCtx` is a copy of the history
   * for this reply only; throw StopResponse to skip the reply.
   */
  async onUserTurnCompleted(_turnCtx: ChatContext, _newMessage: ChatMessage): Promise<void> {}

  /** @internal starts an activation in `session`: onEnter runs. */
  _activate(
    session: AgentSession<UserData>,
    options: {
      hookTimeout: number;
      onError: (error: unknown) => void;
      onHookProblem: (problem: AgentMachineEmitted) => void;
    },
  ): Actor<typeof agentMachine> {
    if (this.#actor && this.#actor.getSnapshot().status === 'active') {
      throw new VoxstateError('agent_active', `agent ${this.id} is already active in a session`);
    }
    this.#session = session;
    this.#actor = startActor(Agent.#machine, {
      host: this,
      name: `agent ${this.id}`,
      input: { agentId: this.id, hookTimeout: options.hookTimeout },
      onError: options.onError,
    });
    this.#actor.on('*', options.onHookProblem);
    this.#actor.send({ type: 'enter' });
    return this.#actor;
  }

  /**
   * @internal the session this agent was given to ended before the agent entered: its lifecycle
   * ends here (inactive → exited), without onEnter or onExit.
   */
  _abandon(options: { hookTimeout: number; onError: (error: unknown) => void }): void {
    if (this.#actor && this.#actor.getSnapshot().status === 'active') return;
    this.#actor = startActor(Agent.#machine, {
      host: this,
      name: `agent ${this.id}`,
      input: { agentId: this.id, hookTimeout: options.hookTimeout },
      onError: options.onError,
    });
    this.#actor.send({ type: 'exit' });
  }
}

/**
 * An agent that takes over for a sub-task and hands back a result: `await session.runTask(task)`
 * pauses the current agent, runs the task's agent until it calls `complete`, and resumes.
 */
export class AgentTask<T, UserData = unknown> extends Agent<UserData> {
  readonly #result: Promise<T>;
  #settle!: (outcome: { value: T } | { error: Error }) => void;
  #settled = false;

  constructor(options: AgentOptions<UserData>) {
    super(options);
    this.#result = new Promise<T>((resolve, reject) => {
      this.#settle = (outcome) => ('error' in outcome ? reject(outcome.error) : resolve(outcome.value));
    });
    // Nobody may be waiting yet; the rejection is delivered to runTask's caller.
    this.#result.catch(() => {});
  }

  /** Ends the task with a result (or an error for the caller of runTask). Later calls are ignored. */
  complete(result: T | Error): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#settle(result instanceof Error ? { error: result } : { value: result });
  }

  /** Whether complete() was called. */
  get completed(): boolean {
    return this.#settled;
  }

  /** @internal */
  get _result(): Promise<T> {
    return this.#result;
  }
}

function defaultId(cls: Function): string {
  if (cls === Agent || cls === AgentTask) return 'default_agent';
  return cls.name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase() || 'agent';
}
