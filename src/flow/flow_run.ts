/**
 * A flow running in a session: its actor (the user's statechart, on the session's clock, seen by
 * the inspectors), the agent its states put in charge, and the tools its enabled transitions give
 * that agent. The flow's snapshot is the one source of where the conversation is: each of its
 * steps that changes the agent hands over exactly once (a tool's step through the tool's own
 * handoff, any other step through the session).
 */
import type { Actor, AnyMachineSnapshot, AnyStateMachine } from 'xstate';
import { AgentTask, type Agent } from '../agent/agent.js';
import { startActor, type Clock } from '../actors/start_actor.js';
import { ConfigurationError, VoxstateError } from '../errors.js';
import { tool, type FunctionTool } from '../llm/function_tool.js';
import { handoff } from '../llm/handoff.js';
import { ToolError } from '../llm/tool_errors.js';
import type { ToolParameters } from '../llm/tool_parameters.js';
import type { NamedTool } from '../llm/tool_set.js';
import type { Flow } from './flow.js';
import type { FlowSessionEvent } from './flow_events.js';
import { activeAgents, activeTransitionTools, stateLabel, type TransitionTool } from './flow_graph.js';

export interface FlowRunHost {
  /** Puts `agent` in charge (the session's updateAgent). */
  handOver(agent: Agent): void;
  /** The flow reached a final state. */
  done(): void;
  /** The flow's snapshot changed (where the conversation is, or its context). */
  changed(): void;
  report(error: unknown): void;
  clock?: Clock;
}

/** Where a flow resumes: its persisted snapshot and the agent that was in charge. */
export interface FlowResume {
  snapshot: Record<string, unknown>;
  agent: string;
}

export class FlowRun {
  readonly actor: Actor<AnyStateMachine>;
  #agentName: string;
  #agent: Agent;
  /** Where a step's new agent goes: to the host, or, during a tool's step, back to that tool. */
  #handOver: (agent: Agent) => void;
  /** The tools of the enabled transitions, made once per tool of the flow. */
  readonly #tools = new Map<TransitionTool['source'], Map<string, FunctionTool>>();

  constructor(
    readonly flow: Flow,
    private readonly host: FlowRunHost,
    resume?: FlowResume,
  ) {
    this.#handOver = (agent) => host.handOver(agent);
    if (resume && resume.snapshot.status !== 'active') {
      throw new ConfigurationError('invalid_saved_session', `the saved flow ${flow.id} is ${String(resume.snapshot.status)}: there is nothing to resume`);
    }
    this.actor = startActor(flow.machine, {
      name: `flow ${flow.id}`,
      input: undefined,
      onError: (error) => host.report(new VoxstateError('flow_failed', `flow ${flow.id} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error })),
      ...(host.clock ? { clock: host.clock } : {}),
      ...(resume ? { snapshot: resume.snapshot } : {}),
    });
    const name = resume?.agent ?? this.#agentIn(this.actor.getSnapshot());
    if (name === undefined) throw new ConfigurationError('invalid_flow', `flow ${flow.id} starts in a state that names no agent`);
    this.#agentName = name;
    this.#agent = this.#inCharge(name);
    // Its failure is reported by startActor's observer; an observer without `error` would make XState rethrow it.
    this.actor.subscribe({ next: (snapshot) => this.#follow(snapshot), error: () => {} });
  }

  /** The agent the flow has in charge. */
  get agent(): Agent {
    return this.#agent;
  }

  /** Its name in the flow's agents. */
  get agentName(): string {
    return this.#agentName;
  }

  /** The flow's context: the session's userData. */
  get context(): unknown {
    return this.actor.getSnapshot().context;
  }

  /** The tools of the transitions the LLM may take now. */
  tools(): NamedTool[] {
    const snapshot = this.actor.getSnapshot();
    if (snapshot.status !== 'active') return [];
    return activeTransitionTools(snapshot).map((transition) => ({ name: transition.name, tool: this.#toolFor(transition) }));
  }

  /** Tells the flow what happened in the session (nothing, if its machine never mentions the event). */
  notify(event: FlowSessionEvent): void {
    if (this.actor.getSnapshot().status !== 'active' || !this.flow.machine.root.events.includes(event.type)) return;
    this.actor.send(event);
  }

  /** What to save to resume the flow in another session. */
  persisted(): FlowResume {
    return { snapshot: this.actor.getPersistedSnapshot() as Record<string, unknown>, agent: this.#agentName };
  }

  stop(): void {
    this.actor.stop();
  }

  #toolFor(transition: TransitionTool): FunctionTool {
    let bySource = this.#tools.get(transition.source);
    if (bySource === undefined) this.#tools.set(transition.source, (bySource = new Map()));
    let made = bySource.get(transition.name);
    if (made === undefined) {
      made = tool({
        description: transition.description,
        ...(transition.parameters !== undefined ? { parameters: transition.parameters as ToolParameters } : {}),
        execute: async (args: Record<string, unknown>) => this.#take({ ...args, type: transition.name }),
      });
      bySource.set(transition.name, made);
    }
    return made;
  }

  /** The LLM takes a transition: the flow moves, and the tool's output says where to. */
  #take(event: { type: string }): unknown {
    const snapshot = this.actor.getSnapshot();
    if (snapshot.status !== 'active') throw new ToolError('the conversation flow has ended');
    if (!snapshot.can(event)) throw new ToolError(`${event.type} cannot be taken now: its condition does not hold`);
    let next: Agent | undefined;
    const handOver = this.#handOver;
    this.#handOver = (agent) => (next = agent);
    try {
      this.actor.send(event);
    } finally {
      this.#handOver = handOver;
    }
    if (this.actor.getSnapshot().status === 'error') throw new ToolError(`${event.type} failed: the conversation flow broke down`);
    const where = `the conversation moved to ${stateLabel(this.actor.getSnapshot())}`;
    // The new agent speaks on entering; the same agent goes on (a follow-up reply, with the new state's tools).
    return next ? handoff({ agent: next, returns: where }) : where;
  }

  #follow(snapshot: AnyMachineSnapshot): void {
    const name = this.#agentIn(snapshot);
    if (name !== undefined && name !== this.#agentName) {
      this.#agentName = name;
      this.#agent = this.#inCharge(name);
      this.#handOver(this.#agent);
    }
    this.host.changed();
    if (snapshot.status === 'done') this.host.done();
  }

  /** The agent named `name`, in charge from now; a task's completion becomes an event of the flow (while it is still in charge). */
  #inCharge(name: string): Agent {
    const agent = this.flow.agent(name);
    if (agent instanceof AgentTask) {
      agent._result.then(
        (result: unknown) => this.#agent === agent && this.notify({ type: 'agent.task_done', agent: name, result }),
        (error: unknown) => this.#agent === agent && this.notify({ type: 'agent.task_failed', agent: name, error: error instanceof Error ? error.message : String(error) }),
      );
    }
    return agent;
  }

  #agentIn(snapshot: AnyMachineSnapshot): string | undefined {
    const agents = activeAgents(snapshot);
    if (agents.length > 1) this.host.report(new VoxstateError('flow_agents', `flow ${this.flow.id} is in states naming ${agents.length} agents at once (${agents.join(', ')}); ${agents[0]} talks`));
    return agents[0];
  }
}
