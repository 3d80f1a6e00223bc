/**
 * The agents of a session: the agent it started with or was handed over to, and the tasks
 * (AgentTask) that take over on top of it; the last one is in charge. Each agent's own lifecycle
 * is its actor (machines/agent.ts); this is only who is in charge, in which order they entered,
 * and the handoffs under way, which run one after the other.
 */
import type { AnyActorRef } from 'xstate';
import type { AgentMachineEmitted } from '../../machines/agent.js';
import { until, whenStopped } from '../actors/until.js';
import { ClosedError, HookError, TimeoutError, VoxstateError } from '../errors.js';
import type { AgentSession } from '../session/agent_session.js';
import { Agent, AgentTask } from './agent.js';

export interface AgentStackOptions {
  /** Upper bound for onEnter and for onExit of each agent, in ms. */
  hookTimeout: number;
  /** Reports a problem of an agent (a hook that failed or timed out). */
  report: (error: unknown) => void;
  /** Another agent is in charge while the session runs (a handoff, a task starting or ending). */
  inCharge?: (agent: Agent) => void;
  /** An agent was activated: its actor (the activation's lifecycle) is entering. */
  entered?: (agent: Agent, actor: AnyActorRef) => void;
}

export class AgentStack {
  readonly #agents: Agent[] = [];
  /** The agent that enters once the session runs (given to start(), or handed over before it ran). */
  #next: Agent | undefined;
  /** The handoffs under way, each after the one before. */
  #handoffs: Promise<void> = Promise.resolve();

  constructor(
    private readonly session: AgentSession,
    private readonly options: AgentStackOptions,
  ) {}

  /** The agent in charge now (a running AgentTask, else the session's agent); before the session runs, the one that will enter. */
  get current(): Agent | undefined {
    return this.#agents.at(-1) ?? this.#next;
  }

  /** The agents that entered and have not exited, the one in charge last. */
  get agents(): readonly Agent[] {
    return this.#agents;
  }

  /** `agent` enters once the session runs (in place of any given before). */
  enterLater(agent: Agent): void {
    this.#next = agent;
  }

  /** The session runs: the agent given to it enters (its onEnter runs; not awaited). */
  enterNext(): void {
    const agent = this.#next;
    this.#next = undefined;
    if (!agent) return;
    this.#agents.push(agent);
    this.#enter(agent);
  }

  /** The session ended before its agent entered: that agent's lifecycle ends without onEnter or onExit. */
  abandonNext(): void {
    this.#next?._abandon({ hookTimeout: this.options.hookTimeout, onError: this.options.report });
    this.#next = undefined;
  }

  /**
   * Hands the conversation over to `next` once the handoffs before it are done: the agent in
   * charge exits (its onExit may still reply, and a user turn meanwhile is answered by it rather
   * than by no agent at all), then `next` enters. Nothing happens once the session no longer runs.
   */
  handoff(next: Agent): void {
    this.#handoffs = this.#handoffs.then(() => this.#handoff(next)).catch((error: unknown) => this.options.report(error));
  }

  /**
   * Lets `task` take over until it calls complete(): the agent in charge is paused (no onExit)
   * and resumed afterwards (no second onEnter).
   */
  async runTask<T>(task: AgentTask<T>): Promise<T> {
    const parent = this.current;
    parent?.actor?.send({ type: 'pause' });
    this.#agents.push(task);
    this.options.inCharge?.(task);
    this.#enter(task);
    try {
      return await task._result;
    } finally {
      const at = this.#agents.lastIndexOf(task);
      if (at >= 0) this.#agents.splice(at, 1);
      const problem = await this.#exit(task);
      if (problem) this.options.report(problem);
      if (this.session.state === 'running' && parent) {
        parent.actor?.send({ type: 'resume' });
        this.options.inCharge?.(parent);
      }
    }
  }

  /** Exits every agent, innermost task first (an unfinished task fails); rejects with what went wrong in their onExit. */
  async exitAll(): Promise<void> {
    await this.#handoffs;
    const problems: VoxstateError[] = [];
    for (const agent of [...this.#agents].reverse()) {
      if (agent instanceof AgentTask && !agent.completed) agent.complete(new ClosedError('AgentSession', 'runTask()', 'closing'));
      const problem = await this.#exit(agent);
      if (problem) problems.push(problem);
    }
    if (problems.length === 1) throw problems[0];
    if (problems.length > 1) throw new VoxstateError('hooks_failed', problems.map((problem) => problem.message).join('; '));
  }

  /** Resolves once no handoff is under way and no agent is still entering (an onEnter may speak). */
  async settled(): Promise<void> {
    await this.#handoffs;
    await Promise.all(this.#agents.map((agent) => (agent.actor ? until(agent.actor, (s) => !s.matches('entering')) : undefined)));
  }

  #enter(agent: Agent): void {
    const actor = agent._activate(this.session, {
      hookTimeout: this.options.hookTimeout,
      onError: this.options.report,
      // onExit problems are returned by #exit to whoever exits the agent, which reports them.
      onHookProblem: (problem) => {
        if (problem.hook === 'onEnter') this.options.report(hookProblem(agent, problem));
      },
    });
    this.options.entered?.(agent, actor);
  }

  /** Exits `agent` (its onExit runs once); returns what went wrong in onExit, if anything. */
  async #exit(agent: Agent): Promise<VoxstateError | undefined> {
    const actor = agent.actor;
    if (!actor) return undefined;
    let problem: VoxstateError | undefined;
    const subscription = actor.on('*', (event) => {
      if (event.hook === 'onExit') problem = hookProblem(agent, event);
    });
    actor.send({ type: 'exit' });
    await whenStopped(actor);
    subscription.unsubscribe();
    return problem;
  }

  async #handoff(next: Agent): Promise<void> {
    if (this.session.state !== 'running') return;
    const previous = this.#agents.at(-1);
    const problem = previous ? await this.#exit(previous) : undefined;
    if (problem) this.options.report(problem);
    if (this.session.state !== 'running') return;
    if (previous) this.#agents.splice(this.#agents.lastIndexOf(previous), 1);
    this.#agents.push(next);
    const item = this.session.history.addHandoff({ oldAgentId: previous?.id, newAgentId: next.id });
    this.session._announce('conversation_item_added', { item });
    this.options.inCharge?.(next);
    this.#enter(next);
  }
}

function hookProblem(agent: Agent, problem: AgentMachineEmitted): VoxstateError {
  return problem.type === 'hook_failed'
    ? new HookError(problem.hook, agent.id, problem.error)
    : new TimeoutError(`${agent.id}.${problem.hook}`, problem.timeoutMs);
}
