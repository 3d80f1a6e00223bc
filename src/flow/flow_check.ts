/**
 * Checks a flow before it runs. Errors: a state that names no agent (where its region talks), an
 * agent name the flow does not define, two parallel regions that both name agents, a transition
 * tool whose name the LLM cannot call or that an agent's own tool already has, parameters that are
 * not an object schema or that have a `type` field (the event's), a state from which no final
 * state can be reached. Warnings (a user could mean them): no final state at all, a state nothing
 * leads to.
 */
import type { AnyStateNode } from 'xstate';
import { ToolDeclarationError } from '../llm/tool_errors.js';
import { toJsonSchema, type ToolParameters } from '../llm/tool_parameters.js';
import { toolEntries } from '../llm/tool_set.js';
import type { Flow } from './flow.js';
import { agentOf, allStateNodes, ownAgent, ownTransitionTools } from './flow_graph.js';

export interface FlowCheck {
  errors: string[];
  warnings: string[];
}

/** OpenAI's rule for function names, the strictest of the LLMs voxstate speaks to. */
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

export function checkFlow(flow: Flow): FlowCheck {
  const errors: string[] = [];
  const warnings: string[] = [];
  const nodes = allStateNodes(flow.machine);
  const named = nodes.filter((node) => ownAgent(node) !== undefined);
  if (named.length === 0) errors.push('no state names an agent: give the states that talk meta: { agent: "<name>" }');
  for (const node of named) {
    const agent = ownAgent(node)!;
    if (!(agent in flow.agents)) errors.push(`state ${label(node)} names the agent "${agent}", which is not in the flow's agents (${Object.keys(flow.agents).join(', ') || 'none'})`);
  }
  for (const node of nodes) {
    if (node.type === 'parallel') {
      const talking = (Object.values(node.states) as AnyStateNode[]).filter(namesAnAgent);
      if (talking.length > 1) errors.push(`parallel state ${label(node)} has ${talking.length} regions that name agents (${talking.map(label).join(', ')}): one region talks, the others work beside it`);
    }
    if (node.type === 'atomic' && agentOf(node) === undefined && !inSideRegion(node)) {
      errors.push(`state ${label(node)} names no agent, and no state above it does: who talks there?`);
    }
  }
  errors.push(...toolProblems(flow, nodes));
  const finals = (Object.values(flow.machine.root.states) as AnyStateNode[]).filter((node) => node.type === 'final');
  if (finals.length === 0) {
    warnings.push('the flow has no final state: the conversation ends only when the session closes');
  } else {
    const ending = statesThatCanEnd(nodes);
    for (const node of nodes) {
      if (node.type === 'atomic' && !ending.has(node)) errors.push(`no final state can be reached from state ${label(node)}: the conversation would never end there`);
    }
  }
  const reached = reachable(flow.machine.root);
  for (const node of nodes) if (!reached.has(node)) warnings.push(`state ${label(node)} is unreachable: no transition leads to it`);
  return { errors, warnings };
}

function toolProblems(flow: Flow, nodes: AnyStateNode[]): string[] {
  const problems: string[] = [];
  const agentTools = new Map<string, Set<string>>();
  const toolsOfAgent = (name: string): Set<string> => {
    let names = agentTools.get(name);
    if (names === undefined) {
      // A factory is called once to read its agent's tools; that agent never runs.
      names = name in flow.agents ? new Set(toolEntries(flow.agent(name).tools, `agent ${name}`).map((entry) => entry.name)) : new Set();
      agentTools.set(name, names);
    }
    return names;
  };
  for (const node of nodes) {
    for (const tool of ownTransitionTools(node)) {
      const where = `transition ${tool.name} of state ${label(node)}`;
      if (!TOOL_NAME.test(tool.name)) problems.push(`${where}: an LLM cannot call a tool by this name (letters, digits, _ and -, at most 64)`);
      if (tool.parameters !== undefined) {
        try {
          const schema = toJsonSchema(tool.parameters as ToolParameters, tool.name);
          if (schema.properties && 'type' in schema.properties) problems.push(`${where}: its parameters have a "type" field, which is the event's own; rename it`);
        } catch (error) {
          problems.push(`${where}: ${error instanceof ToolDeclarationError ? error.message : String(error)}`);
        }
      }
      for (const agent of agentsBelow(node)) {
        if (toolsOfAgent(agent).has(tool.name)) problems.push(`${where} is a tool of agent "${agent}", which has a tool of its own by that name`);
      }
    }
  }
  return problems;
}

/** The agents that may talk while `node` is active: its own (or inherited) and those named below it. */
function agentsBelow(node: AnyStateNode): Set<string> {
  const agents = new Set<string>();
  const inherited = agentOf(node);
  if (inherited !== undefined) agents.add(inherited);
  const walk = (at: AnyStateNode) => {
    const own = ownAgent(at);
    if (own !== undefined) agents.add(own);
    for (const child of Object.values(at.states) as AnyStateNode[]) walk(child);
  };
  walk(node);
  return agents;
}

function namesAnAgent(node: AnyStateNode): boolean {
  return ownAgent(node) !== undefined || (Object.values(node.states) as AnyStateNode[]).some(namesAnAgent);
}

/** Whether `node` is in a region of a parallel state that names no agent (work beside the conversation). */
function inSideRegion(node: AnyStateNode): boolean {
  for (let at: AnyStateNode = node; at.parent; at = at.parent) {
    if (at.parent.type === 'parallel') return !namesAnAgent(at) && agentOf(at) === undefined;
  }
  return false;
}

/** Where being in `node` can lead in one step: its transitions' and its ancestors' targets, its children, a history state's siblings. */
function successors(node: AnyStateNode, withAncestors: boolean): AnyStateNode[] {
  const next: AnyStateNode[] = [];
  for (let at: AnyStateNode | undefined = node; at; at = withAncestors ? at.parent : undefined) {
    for (const transitions of at.transitions.values()) for (const transition of transitions) next.push(...(transition.target ?? []));
    for (const transition of at.always ?? []) next.push(...(transition.target ?? []));
  }
  if (node.type === 'compound') next.push(...(node.initial?.target ?? []));
  if (node.type === 'parallel') next.push(...(Object.values(node.states) as AnyStateNode[]));
  if (node.type === 'history' && node.parent) next.push(...(Object.values(node.parent.states) as AnyStateNode[]));
  return next;
}

function reachable(root: AnyStateNode): Set<AnyStateNode> {
  const seen = new Set<AnyStateNode>();
  const visit = (node: AnyStateNode) => {
    for (let at: AnyStateNode | undefined = node; at && !seen.has(at); at = at.parent) {
      seen.add(at);
      for (const next of successors(at, false)) visit(next);
    }
  };
  visit(root);
  return seen;
}

/**
 * The states from which a final state of the root can be reached. A state inside a parallel state
 * also ends when another region can lead out of it (its regions are active together).
 */
function statesThatCanEnd(nodes: AnyStateNode[]): Set<AnyStateNode> {
  const ending = new Set<AnyStateNode>(nodes.filter((node) => node.type === 'final' && node.parent?.parent === undefined));
  for (let grew = true; grew; ) {
    grew = false;
    for (const node of nodes) {
      if (ending.has(node)) continue;
      const viaRegion = otherRegions(node).some((region) => descendants(region).some((other) => ending.has(other)));
      if (viaRegion || successors(node, true).some((next) => ending.has(next))) {
        ending.add(node);
        grew = true;
      }
    }
  }
  return ending;
}

/** The regions active beside the ones `node` is in (of every parallel state above it). */
function otherRegions(node: AnyStateNode): AnyStateNode[] {
  const found: AnyStateNode[] = [];
  for (let at = node; at.parent; at = at.parent) {
    if (at.parent.type === 'parallel') found.push(...(Object.values(at.parent.states) as AnyStateNode[]).filter((region) => region !== at));
  }
  return found;
}

function descendants(node: AnyStateNode): AnyStateNode[] {
  return (Object.values(node.states) as AnyStateNode[]).flatMap((child) => [child, ...descendants(child)]);
}

/** A state as users wrote it: its path from the root. */
function label(node: AnyStateNode): string {
  return node.path.length === 0 ? `(root ${node.id})` : node.path.join('.');
}
