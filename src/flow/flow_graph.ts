/**
 * What a flow's statechart says to the session, read off its state nodes: which agent talks in a
 * state (the nearest `meta.agent` up the tree) and which transitions the LLM may take there (those
 * whose meta has a `description`).
 */
import type { AnyMachineSnapshot, AnyStateMachine, AnyStateNode } from 'xstate';
import type { FlowStateMeta, FlowTransitionMeta } from './flow.js';

/** A transition the LLM may take: a tool named by its event type. */
export interface TransitionTool {
  name: string;
  description: string;
  parameters?: unknown;
  /** The state whose transition it is. */
  source: AnyStateNode;
}

/** The agent named on `node` itself. */
export function ownAgent(node: AnyStateNode): string | undefined {
  const agent = (node.meta as FlowStateMeta | undefined)?.agent;
  return typeof agent === 'string' ? agent : undefined;
}

/** The agent that talks while `node` is active: its own, else its nearest ancestor's. */
export function agentOf(node: AnyStateNode): string | undefined {
  for (let at: AnyStateNode | undefined = node; at; at = at.parent) {
    const agent = ownAgent(at);
    if (agent !== undefined) return agent;
  }
  return undefined;
}

/** The transitions of `node` itself that the LLM may take. */
export function ownTransitionTools(node: AnyStateNode): TransitionTool[] {
  const tools: TransitionTool[] = [];
  for (const [eventType, transitions] of node.transitions) {
    const meta = transitions.map((transition) => transition.meta as Partial<FlowTransitionMeta> | undefined).find((m) => typeof m?.description === 'string');
    if (meta === undefined) continue;
    tools.push({ name: eventType, description: meta.description!, ...(meta.parameters !== undefined ? { parameters: meta.parameters } : {}), source: node });
  }
  return tools;
}

/** The atomic states a snapshot is in. */
function activeLeaves(snapshot: AnyMachineSnapshot): AnyStateNode[] {
  // `_nodes` is the configuration XState keeps on every snapshot (its own tools read it too).
  return snapshot._nodes.filter((node: AnyStateNode) => node.type === 'atomic' || node.type === 'final');
}

/**
 * The agents the states of `snapshot` name, one per atomic state that has one; more than one name
 * means two parallel regions each name an agent (checkFlow refuses such a flow).
 */
export function activeAgents(snapshot: AnyMachineSnapshot): string[] {
  return [...new Set(activeLeaves(snapshot).map(agentOf).filter((agent): agent is string => agent !== undefined))];
}

/** The tools of the transitions enabled in `snapshot`: the innermost state's first when two define the same event. */
export function activeTransitionTools(snapshot: AnyMachineSnapshot): TransitionTool[] {
  const nodes: AnyStateNode[] = [...snapshot._nodes].sort((a: AnyStateNode, b: AnyStateNode) => b.path.length - a.path.length);
  const tools = new Map<string, TransitionTool>();
  for (const node of nodes) for (const tool of ownTransitionTools(node)) if (!tools.has(tool.name)) tools.set(tool.name, tool);
  return [...tools.values()];
}

/** Every state node of `machine`, the root first, in document order. */
export function allStateNodes(machine: AnyStateMachine): AnyStateNode[] {
  const nodes: AnyStateNode[] = [];
  const walk = (node: AnyStateNode) => {
    nodes.push(node);
    for (const child of Object.values(node.states) as AnyStateNode[]) walk(child);
  };
  walk(machine.root);
  return nodes;
}

/** Where a flow is, as its state value reads: "booking.confirming" (regions joined by " + "). */
export function stateLabel(snapshot: AnyMachineSnapshot): string {
  const paths: string[] = [];
  const walk = (value: unknown, prefix: string) => {
    if (typeof value === 'string') paths.push(prefix + value);
    else if (value && typeof value === 'object') for (const [name, child] of Object.entries(value)) walk(child, `${prefix}${name}.`);
  };
  walk(snapshot.value, '');
  return paths.join(' + ');
}
