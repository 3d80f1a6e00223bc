/** Diagrams of voxstate's statecharts, generated from the machines themselves (`npm run viz`). */
import { StateMachine, type AnyStateMachine } from 'xstate';
import * as machines from '../../machines/index.js';
import { machineGraph } from './graph.js';
import { toMermaid, type MermaidOptions } from './mermaid.js';
import { toSvg } from './svg.js';

export { machineGraph, type VizEdge, type VizGraph, type VizNode } from './graph.js';
export { toMermaid, type MermaidOptions } from './mermaid.js';
export { toSvg, type SvgOptions } from './svg.js';

/** Both diagrams of one machine: Mermaid source and a standalone SVG, from the same graph. */
export function renderMachineDiagrams(machine: AnyStateMachine, options: MermaidOptions = {}): { mermaid: string; svg: string } {
  const graph = machineGraph(machine);
  return { mermaid: toMermaid(graph, options), svg: toSvg(graph) };
}

/**
 * Every machine exported from machines/index.ts, by file name: `jobMachine` is `job`. Found by
 * looking at the exports, so a new machine gets diagrams without touching this code.
 */
export function exportedMachines(): { name: string; machine: AnyStateMachine }[] {
  return Object.entries(machines as Record<string, unknown>)
    .filter((entry): entry is [string, AnyStateMachine] => entry[1] instanceof StateMachine)
    .map(([exportName, machine]) => ({ name: exportName.replace(/Machine$/, ''), machine }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The files `npm run viz` writes into visualizations/, by file name. */
export function diagramFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const { name, machine } of exportedMachines()) {
    const { mermaid, svg } = renderMachineDiagrams(machine);
    files.set(`${name}.mmd`, mermaid);
    files.set(`${name}.svg`, svg);
  }
  return files;
}
