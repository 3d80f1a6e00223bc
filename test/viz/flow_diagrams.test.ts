/**
 * A conversation flow drawn: each state shows the agent its meta names, a history state says it is
 * one, and the transitions the LLM may take (meta with a description) are marked as tools, in the
 * Mermaid text and in the SVG alike. Voxstate's own machines name no agents and have no tools, so
 * their checked-in diagrams do not change (diagrams.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { machineGraph, renderMachineDiagrams } from '../../src/viz/index.js';
import { unescapeMermaidLabel } from '../../src/viz/mermaid.js';
import { clinicMachine } from '../fixtures/flows/clinic_flow.js';

const TOOLS = ['caller_identified', 'slot_booked', 'confirmed', 'change_slot'];
const NOT_TOOLS = ['user.away', 'user.back', 'after 2000ms', 'after 60000ms'];

describe("a flow's diagram", () => {
  const graph = machineGraph(clinicMachine);
  const { mermaid, svg } = renderMachineDiagrams(clinicMachine);
  /** Every `<text>` of the SVG, decoded as far as the labels need. */
  const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map(([, text]) => (text as string).replaceAll('&#39;', "'"));

  it('reads the agent each state names itself (children inherit it unwritten) and the history states', () => {
    const agents = Object.fromEntries([...graph.nodes.values()].filter((node) => node.agent !== undefined).map((node) => [node.id, node.agent]));
    expect(agents).toEqual({
      'clinic.reception': 'receptionist',
      'clinic.visit.talk': 'booker',
      'clinic.hold': 'receptionist',
      'clinic.goodbye': 'farewell',
    });
    expect(graph.nodes.get('clinic.visit.talk.resumed')).toMatchObject({ kind: 'history', history: 'shallow' });
  });

  it('marks exactly the transitions with a description as tools, their labels prefixed', () => {
    const tools = graph.edges.filter((edge) => edge.tool).map((edge) => edge.label);
    expect(tools.sort()).toEqual(TOOLS.map((name) => `tool: ${name}`).sort());
    const others = graph.edges.filter((edge) => !edge.tool).map((edge) => edge.label);
    expect(others.sort()).toEqual([...NOT_TOOLS].sort());
  });

  it('Mermaid: a simple state has its agent as a description line, a composite one in its label', () => {
    expect(mermaid).toContain('    state "reception" as clinic_reception\n    clinic_reception : agent#58; receptionist\n');
    expect(mermaid).toContain('clinic_goodbye : agent#58; farewell');
    expect(mermaid).toContain('state "talk (agent#58; booker)" as clinic_visit_talk{');
    expect(mermaid).toContain('clinic_visit_talk_resumed : history');
    // Never a description on a composite state: Mermaid refuses the whole diagram.
    expect(mermaid).not.toMatch(/^\s*clinic_visit(_talk)? : /m);
    const labels = mermaid
      .split('\n')
      .filter((line) => line.includes(' --> ') && line.includes(' : '))
      .map((line) => unescapeMermaidLabel(line.slice(line.indexOf(' : ') + 3)));
    expect(labels.sort()).toEqual([...TOOLS.map((name) => `tool: ${name}`), ...NOT_TOOLS].sort());
  });

  it('SVG: the agent under each state name, tools labelled and drawn in their own colour', () => {
    for (const agent of ['receptionist', 'booker', 'farewell']) expect(texts).toContain(`agent: ${agent}`);
    expect(texts.filter((text) => text === 'agent: receptionist')).toHaveLength(2);
    expect(texts).toContain('history');
    for (const name of TOOLS) expect(texts).toContain(`tool: ${name}`);
    for (const label of NOT_TOOLS) expect(texts).toContain(label);
    // One drawn path per tool transition here (no two share source and target), each marked.
    expect(svg.match(/<path [^>]*class="tool"/g)).toHaveLength(TOOLS.length);
    expect(svg).toContain('<marker id="arrow-clinic-tool"');
  });
});
