/**
 * The neutral graph as a standalone SVG: dagre lays it out as a compound graph, and this file
 * writes the shapes itself (no browser, no DOM), so the output is the same on every machine.
 *
 * Dagre cannot route edges to a cluster, so containers get helper nodes: a header (its title,
 * pinned to the top by invisible edges to each child), a footer when edges leave it (pinned below
 * every leaf inside) and, for compound states, the initial-state dot. Edges into a container end
 * at its header, edges out of it start at its footer, and both are then cut back to the
 * container's border. Transitions with the same source, target and style share one drawn edge,
 * one label line each. Targetless transitions are not edges: they are listed inside their state
 * (↺), as internal transitions are in UML. A flow's state shows its agent on a second line, and
 * its tool transitions are drawn in their own colour.
 */
import * as dagre from '@dagrejs/dagre';
import { escapeXml } from './escape_xml.js';
import { isContainer, isWithin, noteLines, type VizEdge, type VizGraph, type VizNode } from './graph.js';

interface Point {
  x: number;
  y: number;
}
interface Box extends Point {
  width: number;
  height: number;
}
interface LayoutEdge {
  width: number;
  height: number;
  labelpos?: 'c';
  minlen?: number;
  weight?: number;
  points?: Point[];
  x?: number;
  y?: number;
}
type EdgeRef = { v: string; w: string; name: string };
/** The part of dagre's graph API used here (its bundled typings do not resolve under NodeNext). */
interface LayoutGraph {
  setGraph(label: Record<string, unknown>): void;
  setNode(id: string, label: Partial<Box>): void;
  setParent(id: string, parent: string): void;
  setEdge(edge: EdgeRef, label: LayoutEdge): void;
  node(id: string): Box;
  edge(edge: EdgeRef): LayoutEdge;
  graph(): { width: number; height: number };
}

const FONT = 12;
const SMALL = 11;
const LINE = 16;
const SMALL_LINE = 14;
const PAD_X = 12;
const STATE_MIN_WIDTH = 64;
const STATE_HEIGHT = 30;
const DOT = 12;
const MARGIN = 16;
const BEND_RADIUS = 12;
const FONT_FAMILY = 'Helvetica, Arial, sans-serif';
const EDGE_COLOUR = '#4b5563';
/** Tool transitions (the LLM takes them) stand apart from the ones events and timers take. */
const TOOL_COLOUR = '#7c3aed';
const TOOL_TEXT = '#5b21b6';
const AGENT_TEXT = '#9a3412';

export interface SvgOptions {
  /**
   * Wrap each state's shapes in `<g class="state" data-state-id="…" data-state-kind="…">`, so a
   * live page can mark the active states by toggling a class. Off for the checked-in diagrams.
   */
  stateIds?: boolean;
}

/** An SVG document for the graph; deterministic, with every state key in a `<text>`. */
export function toSvg(graph: VizGraph, options: SvgOptions = {}): string {
  const internal = internalLabels(graph);
  const layout = buildLayout(graph, internal);
  dagre.layout(layout.graph as never);
  return render(graph, layout, internal, options.stateIds === true);
}

/** The shapes of one state, wrapped in a group naming it when asked. */
function stateGroup(vizNode: VizNode, shapes: string[], stateIds: boolean): string[] {
  if (!stateIds) return shapes;
  return [
    `    <g class="state" data-state-id="${escapeXml(vizNode.id)}" data-state-kind="${vizNode.kind}">`,
    ...shapes.map((line) => `  ${line}`),
    '    </g>',
  ];
}

interface Layout {
  graph: LayoutGraph;
  /** Transitions sharing source, target and style are one drawn edge with one label line each. */
  edges: { edges: VizEdge[]; ref: EdgeRef }[];
  helpers: { ref: EdgeRef; visible: boolean }[];
}

const leafId = (id: string) => `n:${id}`;
const clusterId = (id: string) => `c:${id}`;
const headerId = (id: string) => `h:${id}`;
const footerId = (id: string) => `f:${id}`;
const dotId = (id: string) => `i:${id}`;

function buildLayout(graph: VizGraph, internal: Map<string, string[]>): Layout {
  const layout = new dagre.Graph({ compound: true, multigraph: true }) as unknown as LayoutGraph;
  layout.setGraph({ rankdir: 'TB', nodesep: 28, ranksep: 44, edgesep: 16, marginx: MARGIN, marginy: MARGIN });
  const helpers: Layout['helpers'] = [];
  const helper = (v: string, w: string, visible = false) => {
    const ref = { v, w, name: `helper:${helpers.length}` };
    layout.setEdge(ref, { width: 0, height: 0, minlen: 1, weight: visible ? 2 : 1 });
    helpers.push({ ref, visible });
  };
  // Only containers that edges leave get a footer: it costs an extra rank at their bottom.
  const leaving = new Set(graph.edges.filter((edge) => !edge.internal && edge.source !== edge.target).map((edge) => edge.source));
  const hasFooter = (id: string) => isContainer(node(graph, id)) && leaving.has(id);
  const top = (id: string) => (isContainer(node(graph, id)) ? headerId(id) : leafId(id));
  const bottom = (id: string) => (hasFooter(id) ? footerId(id) : top(id));

  for (const vizNode of graph.nodes.values()) {
    const lines = internal.get(vizNode.id) ?? [];
    const size = stateSize(vizNode, lines);
    if (!isContainer(vizNode)) {
      layout.setNode(leafId(vizNode.id), size);
    } else {
      layout.setNode(clusterId(vizNode.id), {});
      layout.setNode(headerId(vizNode.id), size);
      layout.setParent(headerId(vizNode.id), clusterId(vizNode.id));
      for (const child of vizNode.children) helper(headerId(vizNode.id), top(child));
      if (hasFooter(vizNode.id)) {
        layout.setNode(footerId(vizNode.id), { width: 1, height: 1 });
        layout.setParent(footerId(vizNode.id), clusterId(vizNode.id));
        // Below every leaf inside, so it sits at the container's bottom.
        for (const leaf of leavesWithin(graph, vizNode.id)) helper(leafId(leaf), footerId(vizNode.id));
      }
      if (vizNode.initial !== undefined) {
        layout.setNode(dotId(vizNode.id), { width: DOT, height: DOT });
        layout.setParent(dotId(vizNode.id), clusterId(vizNode.id));
        helper(headerId(vizNode.id), dotId(vizNode.id));
        helper(dotId(vizNode.id), top(vizNode.initial), true);
      }
    }
    if (vizNode.parent !== undefined) {
      layout.setParent(isContainer(vizNode) ? clusterId(vizNode.id) : leafId(vizNode.id), clusterId(vizNode.parent));
    }
  }

  const groups = new Map<string, VizEdge[]>();
  for (const edge of graph.edges) {
    if (edge.internal) continue;
    const key = `${edge.source}\u0000${edge.target}\u0000${edge.kind === 'after'}\u0000${edge.tool}`;
    groups.set(key, [...(groups.get(key) ?? []), edge]);
  }
  const edges: Layout['edges'] = [];
  for (const group of groups.values()) {
    const first = group[0] as VizEdge;
    const ref = { v: bottom(first.source), w: top(first.target), name: `edge:${edges.length}` };
    const width = Math.max(...group.map((edge) => textWidth(edge.label, SMALL))) + 8;
    layout.setEdge(ref, { width, height: group.length * SMALL_LINE + 4, labelpos: 'c', minlen: 1, weight: 1 });
    edges.push({ edges: group, ref });
  }
  return { graph: layout, edges, helpers };
}

function leavesWithin(graph: VizGraph, id: string): string[] {
  const container = node(graph, id);
  return isContainer(container) ? container.children.flatMap((child) => leavesWithin(graph, child)) : [id];
}

function node(graph: VizGraph, id: string): VizNode {
  const found = graph.nodes.get(id);
  if (!found) throw new Error(`unknown state node ${id}`);
  return found;
}

/** Targetless transitions per state, drawn as text inside it. */
function internalLabels(graph: VizGraph): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const edge of graph.edges) {
    if (!edge.internal) continue;
    out.set(edge.source, [...(out.get(edge.source) ?? []), edge.label]);
  }
  return out;
}

/** Height of the notes under a state's name (its agent, its being a history state). */
function notesHeight(vizNode: VizNode): number {
  return noteLines(vizNode).length * SMALL_LINE;
}

function stateSize(vizNode: VizNode, internal: string[]): { width: number; height: number } {
  const title = textWidth(vizNode.key, FONT, true);
  const notes = noteLines(vizNode).map((line) => textWidth(line, SMALL));
  const widest = Math.max(title, ...notes, ...internal.map((line) => textWidth(`↺ ${line}`, SMALL)));
  const extra = (internal.length > 0 ? internal.length * SMALL_LINE + 6 : 0) + notesHeight(vizNode);
  if (isContainer(vizNode)) return { width: widest + 8, height: LINE + 4 + extra };
  return { width: Math.max(STATE_MIN_WIDTH, widest + 2 * PAD_X), height: STATE_HEIGHT + extra };
}

/** The notes under a state's name, centred at x, the first baseline at y. */
function noteTexts(vizNode: VizNode, x: number, y: number): string[] {
  return noteLines(vizNode).map(
    (line, index) =>
      `    <text x="${num(x)}" y="${num(y + index * SMALL_LINE)}" text-anchor="middle" font-size="${SMALL}" fill="${line.startsWith('agent: ') ? AGENT_TEXT : '#64748b'}">${escapeXml(line)}</text>`,
  );
}

function render(graph: VizGraph, layout: Layout, internal: Map<string, string[]>, stateIds: boolean): string {
  const g = layout.graph;
  const { width, height } = g.graph();
  const arrow = `arrow-${graph.id.replace(/\W/g, '_')}`;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${num(width)}" height="${num(height)}" viewBox="0 0 ${num(width)} ${num(height)}" font-family="${FONT_FAMILY}" font-size="${FONT}">`,
    `  <title>${escapeXml(graph.id)} statechart</title>`,
    '  <defs>',
    marker(arrow, EDGE_COLOUR),
    // Only a flow's diagram has tools: the others stay as they were.
    ...(graph.edges.some((edge) => edge.tool) ? [marker(`${arrow}-tool`, TOOL_COLOUR)] : []),
    '  </defs>',
    `  <rect x="0" y="0" width="${num(width)}" height="${num(height)}" fill="#ffffff"/>`,
  ];

  // Containers outermost first, so inner ones paint over outer ones.
  const containers = [...graph.nodes.values()].filter(isContainer).sort((a, b) => a.depth - b.depth);
  out.push('  <g class="containers">');
  for (const container of containers) out.push(...stateGroup(container, renderContainer(graph, container, g, internal), stateIds));
  out.push('  </g>');

  out.push(`  <g class="transitions" fill="none" stroke="${EDGE_COLOUR}" stroke-width="1.3">`);
  for (const { ref, visible } of layout.helpers) {
    if (visible) out.push(`    <path d="${pathData(g.edge(ref).points ?? [])}" marker-end="url(#${arrow})"/>`);
  }
  const drawn = layout.edges.map(({ edges, ref }) => drawEdge(graph, edges, ref, g));
  for (const { edges, d } of drawn) {
    // Delayed transitions are dashed: they fire on a timer, not on an event.
    const dash = edges[0]?.kind === 'after' ? ' stroke-dasharray="5 3"' : '';
    if (edges[0]?.tool) out.push(`    <path d="${d}" class="tool" stroke="${TOOL_COLOUR}"${dash} marker-end="url(#${arrow}-tool)"/>`);
    else out.push(`    <path d="${d}"${dash} marker-end="url(#${arrow})"/>`);
  }
  out.push('  </g>');

  out.push('  <g class="states">');
  for (const vizNode of graph.nodes.values()) {
    if (!isContainer(vizNode)) {
      out.push(...stateGroup(vizNode, renderLeaf(vizNode, g.node(leafId(vizNode.id)), internal.get(vizNode.id) ?? []), stateIds));
    } else if (vizNode.initial !== undefined) {
      const dot = g.node(dotId(vizNode.id));
      out.push(`    <circle cx="${num(dot.x)}" cy="${num(dot.y)}" r="${DOT / 2}" fill="#1f2937"/>`);
    }
  }
  out.push('  </g>');

  out.push(`  <g class="labels" font-size="${SMALL}">`);
  for (const { edges, label } of drawn) {
    if (!label) continue;
    const top = label.y - label.height / 2;
    out.push(
      `    <rect x="${num(label.x - label.width / 2)}" y="${num(top)}" width="${num(label.width)}" height="${num(label.height)}" rx="3" fill="#ffffff" fill-opacity="0.9"/>`,
      ...edges.map(
        (edge, line) =>
          `    <text x="${num(label.x)}" y="${num(top + 2 + (line + 1) * SMALL_LINE - 3)}" text-anchor="middle" fill="${edge.tool ? TOOL_TEXT : '#111827'}">${escapeXml(edge.label)}</text>`,
      ),
    );
  }
  out.push('  </g>', '</svg>');
  return `${out.join('\n')}\n`;
}

function marker(id: string, colour: string): string {
  return `    <marker id="${id}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="${colour}"/></marker>`;
}

const CONTAINER_FILL = ['#ffffff', '#f8fafc', '#f1f5f9', '#e9eef5'];

function renderContainer(graph: VizGraph, container: VizNode, g: LayoutGraph, internal: Map<string, string[]>): string[] {
  const box = g.node(clusterId(container.id));
  const header = g.node(headerId(container.id));
  const parent = container.parent === undefined ? undefined : graph.nodes.get(container.parent);
  // A region of a parallel state is drawn dashed: it is not a state you can be in alone.
  const region = parent?.kind === 'parallel';
  const fill = CONTAINER_FILL[Math.min(container.depth, CONTAINER_FILL.length - 1)];
  const left = box.x - box.width / 2;
  const topY = box.y - box.height / 2;
  const titleY = header.y - header.height / 2 + LINE - 2;
  const out = [
    `    <rect x="${num(left)}" y="${num(topY)}" width="${num(box.width)}" height="${num(box.height)}" rx="10" fill="${fill}" stroke="${region ? '#64748b' : '#334155'}" stroke-width="${container.depth === 0 ? 1.6 : 1.2}"${region ? ' stroke-dasharray="6 4"' : ''}/>`,
    // Centred on the container, at the height dagre reserved for the header.
    `    <text x="${num(box.x)}" y="${num(titleY)}" text-anchor="middle" font-weight="bold" fill="#0f172a">${escapeXml(container.key)}</text>`,
  ];
  if (container.kind === 'parallel') {
    out.push(`    <text x="${num(left + 8)}" y="${num(topY + 14)}" font-size="${SMALL}" fill="#64748b">parallel</text>`);
  }
  out.push(...noteTexts(container, box.x, titleY + SMALL_LINE));
  out.push(...internalLines(internal.get(container.id) ?? [], box.x, titleY + 6 + notesHeight(container), 'middle'));
  return out;
}

function renderLeaf(vizNode: VizNode, box: Box, internal: string[]): string[] {
  const left = box.x - box.width / 2;
  const topY = box.y - box.height / 2;
  const final = vizNode.kind === 'final';
  const out = [
    `    <rect x="${num(left)}" y="${num(topY)}" width="${num(box.width)}" height="${num(box.height)}" rx="8" fill="#e0ecff" stroke="#1e3a8a" stroke-width="1.3"/>`,
  ];
  // Final states carry a second, inner border, as in UML.
  if (final) {
    out.push(
      `    <rect x="${num(left + 3)}" y="${num(topY + 3)}" width="${num(box.width - 6)}" height="${num(box.height - 6)}" rx="6" fill="none" stroke="#1e3a8a" stroke-width="1.3"/>`,
    );
  }
  out.push(`    <text x="${num(box.x)}" y="${num(topY + STATE_HEIGHT / 2 + 4)}" text-anchor="middle" fill="#0f172a">${escapeXml(vizNode.key)}</text>`);
  out.push(...noteTexts(vizNode, box.x, topY + STATE_HEIGHT / 2 + 4 + SMALL_LINE));
  if (internal.length > 0) {
    const lineY = topY + STATE_HEIGHT - 2 + notesHeight(vizNode);
    out.push(`    <line x1="${num(left + 4)}" y1="${num(lineY)}" x2="${num(left + box.width - 4)}" y2="${num(lineY)}" stroke="#1e3a8a" stroke-opacity="0.4"/>`);
    out.push(...internalLines(internal, left + PAD_X / 2, lineY + 2, 'start'));
  }
  return out;
}

function internalLines(lines: string[], x: number, top: number, anchor: 'start' | 'middle'): string[] {
  return lines.map(
    (line, index) =>
      `    <text x="${num(x)}" y="${num(top + (index + 1) * SMALL_LINE - 3)}" text-anchor="${anchor}" font-size="${SMALL}" font-style="italic" fill="#374151">${escapeXml(`↺ ${line}`)}</text>`,
  );
}

/** The path of one drawn edge and where its label goes. */
function drawEdge(graph: VizGraph, edges: VizEdge[], ref: EdgeRef, g: LayoutGraph): { edges: VizEdge[]; d: string; label: Box | undefined } {
  const layoutEdge = g.edge(ref);
  const { x, y } = layoutEdge;
  let label = x === undefined || y === undefined ? undefined : { x, y, width: layoutEdge.width, height: layoutEdge.height };
  if (ref.v === ref.w) return { edges, d: selfLoopData(g.node(ref.v), layoutEdge), label };
  const { points, cut } = clipToContainers(graph, edges[0] as VizEdge, layoutEdge.points ?? [], g);
  // A label dagre put on the part that was cut away moves onto what is drawn: onto the border
  // the edge leaves through (that part may be too short to hold it), else halfway.
  if (label && cut.source && inside(label, cut.source)) label = { ...label, ...(points[0] as Point) };
  else if (label && cut.target && inside(label, cut.target)) label = { ...label, ...midpoint(points) };
  return { edges, d: pathData(points), label };
}

/**
 * Cuts the part of an edge that runs inside a container it leaves or enters, so the arrow starts
 * or ends at the container's border instead of at the invisible helper node.
 */
function clipToContainers(
  graph: VizGraph,
  edge: VizEdge,
  points: Point[],
  g: LayoutGraph,
): { points: Point[]; cut: { source?: Box; target?: Box } } {
  let clipped = points;
  const cut: { source?: Box; target?: Box } = {};
  const source = node(graph, edge.source);
  const target = node(graph, edge.target);
  if (isContainer(source) && !isWithin(graph, edge.target, edge.source)) {
    cut.source = g.node(clusterId(source.id));
    clipped = clipStart(clipped, cut.source);
  }
  if (isContainer(target) && !isWithin(graph, edge.source, edge.target)) {
    cut.target = g.node(clusterId(target.id));
    clipped = clipStart([...clipped].reverse(), cut.target).reverse();
  }
  return { points: clipped, cut };
}

function inside(point: Point, box: Box): boolean {
  return Math.abs(point.x - box.x) <= box.width / 2 && Math.abs(point.y - box.y) <= box.height / 2;
}

/** The point halfway along a polyline. */
function midpoint(points: Point[]): Point {
  const lengths = points.slice(1).map((p, i) => Math.hypot(p.x - (points[i] as Point).x, p.y - (points[i] as Point).y));
  let remaining = lengths.reduce((sum, length) => sum + length, 0) / 2;
  for (const [i, length] of lengths.entries()) {
    const [from, to] = [points[i] as Point, points[i + 1] as Point];
    if (remaining <= length && length > 0) {
      return { x: from.x + ((to.x - from.x) * remaining) / length, y: from.y + ((to.y - from.y) * remaining) / length };
    }
    remaining -= length;
  }
  return points[0] ?? { x: 0, y: 0 };
}

function clipStart(points: Point[], box: Box): Point[] {
  const exit = points.findIndex((p) => !inside(p, box));
  if (exit <= 0) return points;
  const from = points[exit - 1] as Point;
  const to = points[exit] as Point;
  return [borderCrossing(from, to, box), ...points.slice(exit)];
}

/** Where the segment from an inside point to an outside point crosses the box border. */
function borderCrossing(from: Point, to: Point, box: Box): Point {
  let t = 1;
  const dx = to.x - from.x;
  const dy = to.y - from.y;
  for (const [delta, start, edgeLow, edgeHigh] of [
    [dx, from.x, box.x - box.width / 2, box.x + box.width / 2],
    [dy, from.y, box.y - box.height / 2, box.y + box.height / 2],
  ] as const) {
    if (delta > 0) t = Math.min(t, (edgeHigh - start) / delta);
    if (delta < 0) t = Math.min(t, (edgeLow - start) / delta);
  }
  return { x: from.x + dx * t, y: from.y + dy * t };
}

/**
 * A polyline through all of dagre's points with rounded bends: it passes (nearly) through the
 * label positions, so labels sit on their edges, and unlike a spline it never overshoots.
 */
function pathData(points: Point[]): string {
  const [first] = points;
  if (!first) return '';
  let d = `M${num(first.x)},${num(first.y)}`;
  for (let i = 1; i < points.length - 1; i++) {
    const [prev, bend, next] = [points[i - 1], points[i], points[i + 1]] as [Point, Point, Point];
    const inLength = Math.hypot(bend.x - prev.x, bend.y - prev.y);
    const outLength = Math.hypot(next.x - bend.x, next.y - bend.y);
    const radius = Math.min(BEND_RADIUS, inLength / 2, outLength / 2);
    if (radius < 0.5) continue;
    const a = { x: bend.x - ((bend.x - prev.x) / inLength) * radius, y: bend.y - ((bend.y - prev.y) / inLength) * radius };
    const b = { x: bend.x + ((next.x - bend.x) / outLength) * radius, y: bend.y + ((next.y - bend.y) / outLength) * radius };
    d += ` L${num(a.x)},${num(a.y)} Q${num(bend.x)},${num(bend.y)} ${num(b.x)},${num(b.y)}`;
  }
  const last = points[points.length - 1] as Point;
  if (points.length > 1) d += ` L${num(last.x)},${num(last.y)}`;
  return d;
}

/** A loop out of the state's right side and back, bulging towards its label (placed by dagre). */
function selfLoopData(box: Box, label: LayoutEdge): string {
  const right = box.x + box.width / 2;
  const reach = (label.x ?? right + 20) - label.width / 2 + 2;
  const y = box.y;
  return `M${num(right)},${num(y - 8)} C${num(reach)},${num(y - 26)} ${num(reach)},${num(y + 26)} ${num(right)},${num(y + 8)}`;
}

/**
 * Approximate text width for Helvetica/Arial: there is no font engine here, so characters are
 * sorted into narrow, normal and wide, erring wide so text never overflows its box.
 */
export function textWidth(text: string, size: number, bold = false): number {
  let em = 0;
  for (const char of text) {
    if (/[iljtfr.,:;!|'[\]() ]/.test(char)) em += 0.32;
    else if (/[mwMW]/.test(char)) em += 0.88;
    else if (/[A-Z]/.test(char)) em += 0.7;
    else em += 0.57;
  }
  return Math.ceil(em * size * (bold ? 1.08 : 1));
}

function num(value: number): string {
  // One decimal keeps files small and diffs quiet.
  return String(Math.round(value * 10) / 10);
}

