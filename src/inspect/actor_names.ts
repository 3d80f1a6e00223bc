/**
 * What the inspectors call an actor: its role for the person reading ("job for room demo",
 * "agent Weather", "speech speech_3 (say)"), not XState's session id (`x:7`).
 *
 * The name comes from what the actor knows: its context, and for a root actor the object voxstate
 * started it for (its host, see startActor). Only public, non-secret fields are read (a room's or
 * an agent's name, a speech's id); whatever reaches a page is masked again on the way out.
 */
import { StateMachine, type AnyActorRef, type AnyMachineSnapshot, type AnyStateMachine } from 'xstate';
import { agentMachine, assignedJobMachine, jobMachine, sessionMachine, speechMachine, supervisedProcessMachine, workerMachine } from '../../machines/index.js';
import { hostOf } from '../actors/start_actor.js';
import type { Agent } from '../agent/agent.js';
import { activeAgents, allStateNodes, ownAgent } from '../flow/flow_graph.js';
import type { SupervisedProcess } from '../ipc/supervised_process.js';
import type { Job } from '../job/job.js';
import type { AgentSession } from '../session/agent_session.js';
import type { Worker } from '../worker/worker.js';

/** The role of one of voxstate's actors, from its context and host; undefined when neither says. */
type RoleOf = (context: Record<string, unknown> | undefined, host: object | undefined) => string | undefined;

/** An agent by its class, and by its id when that is not just the class's name. */
function agentRole(agent: Agent): string {
  const className = agent.constructor.name;
  // The base classes tell nothing: their agents are known by their id.
  if (className === 'Agent' || className === 'AgentTask' || className === '') return agent.id;
  return agent.id.replaceAll('_', '') === className.toLowerCase() ? className : `${className} (${agent.id})`;
}

const asString = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

/** By machine config: `machine.provide(...)`, as src/ does, keeps the config. */
const ROLES = new Map<unknown, RoleOf>([
  [workerMachine.config, (context, host) => {
    const { agentName } = (host as Worker | undefined)?.status ?? {};
    const workerId = asString(context?.workerId);
    const name = agentName ? `for agent ${agentName}` : undefined;
    return [name, workerId && `(${workerId})`].filter(Boolean).join(' ') || undefined;
  }],
  [assignedJobMachine.config, (context) => {
    const launch = context?.launch as { jobId?: unknown } | undefined;
    return asString(launch?.jobId);
  }],
  [supervisedProcessMachine.config, (_, host) => {
    const proc = host as SupervisedProcess | undefined;
    return proc?.id === undefined ? undefined : `${proc.kind} ${proc.id}`;
  }],
  [jobMachine.config, (context, host) => {
    const room = asString((host as Job | undefined)?.ctx?.room?.name);
    return room ? `for room ${room}` : asString(context?.jobId);
  }],
  [sessionMachine.config, (_, host) => {
    const session = host as AgentSession | undefined;
    const agent = session?.currentAgent;
    const room = asString(session?.room?.name);
    return [agent && `of ${agentRole(agent)}`, room && `in room ${room}`].filter(Boolean).join(' ') || undefined;
  }],
  [agentMachine.config, (context, host) => {
    const agent = host as Agent | undefined;
    return agent?.id === undefined ? asString(context?.agentId) : agentRole(agent);
  }],
  [speechMachine.config, (context) => {
    const id = asString(context?.id);
    const source = asString(context?.source);
    return id && (source ? `${id} (${source})` : id);
  }],
]);

/** Machines whose states name agents: conversation flows (a session runs them as root actors). */
const namesAgents = new WeakMap<object, boolean>();

/**
 * A flow's role: the agent its states have in charge now ("flow, agent booker"), as a session is
 * known by its agent; undefined for any other machine.
 */
function flowRole(ref: AnyActorRef, machine: AnyStateMachine, snapshot: unknown): string | undefined {
  if ((ref as { _parent?: unknown })._parent !== undefined) return undefined;
  let isFlow = namesAgents.get(machine.config);
  if (isFlow === undefined) {
    isFlow = allStateNodes(machine).some((node) => ownAgent(node) !== undefined);
    namesAgents.set(machine.config, isFlow);
  }
  if (!isFlow) return undefined;
  const live = (snapshot ?? ref.getSnapshot()) as Partial<AnyMachineSnapshot> | undefined;
  // Only a live snapshot knows its state nodes; a persisted one has just the value.
  const [agent] = Array.isArray(live?._nodes) ? activeAgents(live as AnyMachineSnapshot) : [];
  return agent === undefined ? 'flow' : `flow, agent ${agent}`;
}

/** The object a root actor was started for; child actors share their root's, so they have none. */
function hostOfRoot(ref: AnyActorRef): object | undefined {
  if ((ref as { _parent?: unknown })._parent !== undefined) return undefined;
  try {
    return hostOf(ref.system);
  } catch {
    return undefined;
  }
}

/**
 * The name an inspector shows for `ref`: `<machine id> <role>` for voxstate's machines ("session of
 * Weather in room demo") and for conversation flows ("clinic flow, agent booker"), else the machine
 * id with the actor's own id (an invoke id, or the id given to createActor), and the session id
 * only when there is nothing else. `snapshot` is the one to read the context from, when the caller
 * has it (the latest one is read otherwise).
 */
export function actorName(ref: AnyActorRef, snapshot?: unknown): string {
  const logic = (ref as { logic?: unknown }).logic;
  // Promise and callback actors are named by their invoke id: what the machine author wrote.
  if (!(logic instanceof StateMachine)) return ref.id;
  const machine = logic as AnyStateMachine;
  const roleOf = ROLES.get(machine.config);
  let role: string | undefined;
  try {
    if (roleOf !== undefined) {
      const context = ((snapshot ?? ref.getSnapshot()) as { context?: Record<string, unknown> } | undefined)?.context;
      role = roleOf(context, hostOfRoot(ref));
    } else {
      role = flowRole(ref, machine, snapshot);
    }
  } catch {
    // A getter that throws (an object half torn down) leaves the generic name.
    role = undefined;
  }
  return role === undefined ? `${machine.id} ${ref.id}` : `${machine.id} ${role}`;
}
