/**
 * A machine's statechart as a neutral graph: the state node tree plus one edge per transition
 * target. Both the Mermaid and the SVG writers read only this model, so they always agree on what
 * a diagram contains. A conversation flow's machine carries two more facts, read as the session
 * reads them (src/flow/flow_graph.ts): the agent a state names, and which transitions are tools.
 */
import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition } from 'xstate';
import { ownAgent, ownTransitionTools } from '../flow/flow_graph.js';

export type VizNodeKind = 'atomic' | 'compound' | 'parallel' | 'final' | 'history';

export interface VizNode {
  /** The xstate state node id (`session.running.agent`); unique within the machine. */
  id: string;
  /** The node's key in its parent's `states` (the machine id for the root). */
  key: string;
  kind: VizNodeKind;
  parent: string | undefined;
  /** Child ids in document order. */
  children: string[];
  /** Id of the initial child of a compound state. */
  initial: string | undefined;
  /** Depth in the tree: 0 for the root. */
  depth: number;
  /** The agent a flow's state names in its own `meta.agent` (its children inherit it, unwritten). */
  agent: string | undefined;
  /** A history state's depth; undefined for the other kinds. */
  history: 'shallow' | 'deep' | undefined;
}

export type VizEdgeKind = 'event' | 'after' | 'done' | 'error' | 'always';

export interface VizEdge {
  source: string;
  /** Equal to `source` for targetless (internal) transitions. */
  target: string;
  /**
   * The text drawn on the edge: event, `[guard]`, `after <delay>`, `done: <src>`, `error: <src>`;
   * a tool's event is prefixed `tool: `.
   */
  label: string;
  kind: VizEdgeKind;
  /** A flow's transition the LLM may take: a tool of the agent in charge (its meta has a description). */
  tool: boolean;
  /** A transition without target: it runs actions and stays, it does not exit the state. */
  internal: boolean;
}

export interface VizGraph {
  /** The machine id. */
  id: string;
  root: string;
  /** Every state node, root first, in document order (depth first). */
  nodes: Map<string, VizNode>;
  /** Every transition in document order: per node, `on`/invoke/after as xstate lists them, then always. */
  edges: VizEdge[];
}

/** Walks `machine.root` into the neutral graph model both diagram writers use. */
export function machineGraph(machine: AnyStateMachine): VizGraph {
  const nodes = new Map<string, VizNode>();
  const edges: VizEdge[] = [];

  const visit = (node: AnyStateNode, depth: number): void => {
    const children = Object.values(node.states) as AnyStateNode[];
    nodes.set(node.id, {
      id: node.id,
      key: node.parent ? node.key : machine.id,
      kind: node.type,
      parent: node.parent?.id,
      children: children.map((child) => child.id),
      initial: node.type === 'compound' ? node.initial.target[0]?.id : undefined,
      depth,
      agent: ownAgent(node),
      history: node.type === 'history' ? (node.history === 'deep' ? 'deep' : 'shallow') : undefined,
    });
    // Every transition of a tool's event goes through the tool (guards pick one), so all are marked.
    const tools = new Set(ownTransitionTools(node).map((tool) => tool.name));
    for (const [eventType, transitions] of node.transitions) {
      for (const transition of transitions) edges.push(...transitionEdges(node, eventType, transition, tools.has(eventType)));
    }
    for (const transition of node.always ?? []) edges.push(...transitionEdges(node, undefined, transition, false));
    for (const child of children) visit(child, depth + 1);
  };
  visit(machine.root, 0);
  return { id: machine.id, root: machine.root.id, nodes, edges };
}

function transitionEdges(node: AnyStateNode, eventType: string | undefined, transition: AnyTransitionDefinition, tool: boolean): VizEdge[] {
  const { kind, text } = describeTrigger(node, eventType);
  const guard = transition.guard === undefined ? '' : ` [${guardName(transition.guard)}]`;
  const label = (tool ? 'tool: ' : '') + text + guard;
  const targets = transition.target ?? [];
  if (targets.length === 0) return [{ source: node.id, target: node.id, label, kind, tool, internal: true }];
  return targets.map((target) => ({ source: node.id, target: target.id, label, kind, tool, internal: false }));
}

/** Turns xstate's internal event names back into what the machine author wrote. */
function describeTrigger(node: AnyStateNode, eventType: string | undefined): { kind: VizEdgeKind; text: string } {
  if (eventType === undefined) return { kind: 'always', text: 'always' };
  if (eventType.startsWith('xstate.after.')) {
    const delayed = node.after.find((after) => after.eventType === eventType);
    const delay = delayed?.delay;
    // Named delays are what a reader knows; numbers get a unit. Inline delay functions have no name.
    const text = typeof delay === 'string' ? delay : typeof delay === 'number' ? `${delay}ms` : 'delay';
    return { kind: 'after', text: `after ${text}` };
  }
  for (const kind of ['done', 'error'] as const) {
    const prefix = `xstate.${kind}.actor.`;
    if (eventType.startsWith(prefix)) return { kind, text: `${kind}: ${actorSource(node, eventType.slice(prefix.length))}` };
  }
  if (eventType.startsWith('xstate.done.state.')) return { kind: 'done', text: 'onDone' };
  return { kind: 'event', text: eventType };
}

/** The `src` of the invoke with this id on the node or an ancestor; else the id (a spawned child). */
function actorSource(node: AnyStateNode, actorId: string): string {
  for (let current: AnyStateNode | undefined = node; current; current = current.parent) {
    const invoke = current.invoke.find((definition) => definition.id === actorId);
    if (invoke) return typeof invoke.src === 'string' ? invoke.src : actorId;
  }
  return actorId;
}

/** A readable name for any guard form: named, parameterized, and/or/not, stateIn, inline. */
export function guardName(guard: unknown): string {
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') {
    const composite = guard as { guards?: unknown[]; stateValue?: unknown; name: string };
    if (Array.isArray(composite.guards)) return `${composite.name}(${composite.guards.map(guardName).join(', ')})`;
    if (composite.stateValue !== undefined) return `stateIn(${JSON.stringify(composite.stateValue)})`;
    return composite.name || 'inline guard';
  }
  if (guard && typeof guard === 'object' && typeof (guard as { type?: unknown }).type === 'string') {
    return (guard as { type: string }).type;
  }
  return 'guard';
}

/** The ancestors of a node, nearest first (the node itself excluded). */
export function ancestors(graph: VizGraph, id: string): string[] {
  const out: string[] = [];
  for (let parent = graph.nodes.get(id)?.parent; parent !== undefined; parent = graph.nodes.get(parent)?.parent) {
    out.push(parent);
  }
  return out;
}

/** Whether `id` is `ancestor` or lies inside it. */
export function isWithin(graph: VizGraph, id: string, ancestor: string): boolean {
  return id === ancestor || ancestors(graph, id).includes(ancestor);
}

/**
 * What both diagrams write under a state's name: the agent a flow's state puts in charge, and
 * that a history state is one (its name alone reads like any other state's).
 */
export function noteLines(node: VizNode): string[] {
  const lines: string[] = [];
  if (node.agent !== undefined) lines.push(`agent: ${node.agent}`);
  if (node.history !== undefined) lines.push(node.history === 'deep' ? 'deep history' : 'history');
  return lines;
}

/** Whether a node is drawn as a container (compound or parallel state) rather than a box. */
export function isContainer(node: VizNode): boolean {
  return node.children.length > 0;
}
