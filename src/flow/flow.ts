/**
 * A conversation flow: an XState machine the user writes, where a state names the agent that talks
 * while it is active and transitions are how the conversation moves.
 *
 *   const clinic = setup({ types: { context: {} as Booking } }).createMachine({
 *     initial: 'greeting',
 *     states: {
 *       greeting: {
 *         meta: { agent: 'receptionist' },
 *         on: {
 *           caller_identified: {
 *             target: 'booking',
 *             meta: { description: 'The caller gave their name', parameters: z.object({ name: z.string() }) },
 *             actions: assign({ name: ({ event }) => event.name }),
 *           },
 *         },
 *       },
 *       booking: { meta: { agent: 'booker' }, … },
 *       done: { type: 'final' },
 *     },
 *   });
 *   await session.start({ flow: defineFlow({ machine: clinic, agents: { receptionist: () => new Receptionist(), booker: () => new Booker() } }) });
 *
 * A transition whose meta has a `description` is one the LLM may take: it is a tool of the active
 * agent named by its event type, with `parameters` (zod) as its arguments, which arrive in the event.
 * Other transitions move on session events (FlowSessionEvent), timers (`after`) and guards.
 */
import type { AnyStateMachine } from 'xstate';
import { Agent } from '../agent/agent.js';
import { ConfigurationError } from '../errors.js';

/** What a flow state's meta may say. */
export interface FlowStateMeta {
  /** The agent (a key of the flow's `agents`) that talks while this state is active; inherited by child states. */
  agent?: string;
}

/** What a transition's meta says to make it a tool of the active agent. */
export interface FlowTransitionMeta {
  /** What the LLM reads to decide when to take it. */
  description: string;
  /** A zod object (or JSON schema) of the tool's arguments; they are the event's fields (all but `type`). */
  parameters?: unknown;
}

/** An agent of a flow: an instance (kept across entries) or a factory (a fresh agent at each entry). */
export type FlowAgent = Agent | (() => Agent);

export interface FlowDefinition<TMachine extends AnyStateMachine = AnyStateMachine> {
  /** The flow's statechart. Its context is the session's userData. */
  machine: TMachine;
  /** The agents its states name, by name. */
  agents: Record<string, FlowAgent>;
}

/** A flow as `session.start({ flow })` takes it (made by defineFlow). */
export class Flow<TMachine extends AnyStateMachine = AnyStateMachine> {
  readonly machine: TMachine;
  readonly agents: Readonly<Record<string, FlowAgent>>;

  constructor(definition: FlowDefinition<TMachine>) {
    if (!isStateMachine(definition?.machine)) {
      throw new ConfigurationError('invalid_flow', 'a flow needs { machine } (made with setup().createMachine() or createMachine())');
    }
    if (definition.agents === null || typeof definition.agents !== 'object') {
      throw new ConfigurationError('invalid_flow', `flow ${definition.machine.id} needs { agents }: the agents its states name, by name`);
    }
    for (const [name, agent] of Object.entries(definition.agents)) {
      if (!(agent instanceof Agent) && typeof agent !== 'function') {
        throw new ConfigurationError('invalid_flow', `flow ${definition.machine.id}: agents.${name} must be an Agent or a function that returns one`);
      }
    }
    this.machine = definition.machine;
    this.agents = { ...definition.agents };
  }

  /** The flow's id (its machine's). */
  get id(): string {
    return this.machine.id;
  }

  /** The agent named `name`: the instance, or a new one from its factory. */
  agent(name: string): Agent {
    const entry = this.agents[name];
    if (entry === undefined) throw new ConfigurationError('invalid_flow', `flow ${this.id} names an agent "${name}" that is not in its agents`);
    if (entry instanceof Agent) return entry;
    const agent = entry();
    if (!(agent instanceof Agent)) throw new ConfigurationError('invalid_flow', `flow ${this.id}: agents.${name}() did not return an Agent`);
    return agent;
  }
}

/** A flow for `session.start({ flow })`: the machine, and the agents its states name. */
export function defineFlow<TMachine extends AnyStateMachine>(definition: FlowDefinition<TMachine>): Flow<TMachine> {
  return new Flow(definition);
}

export function isStateMachine(value: unknown): value is AnyStateMachine {
  return typeof value === 'object' && value !== null && 'root' in value && 'transition' in value && typeof (value as AnyStateMachine).provide === 'function';
}
