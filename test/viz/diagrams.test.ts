import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import * as machines from '../../machines/index.js';
import { VISUALIZATIONS_DIR } from '../../src/viz/cli.js';
import { diagramFiles, exportedMachines, renderMachineDiagrams } from '../../src/viz/index.js';
import { unescapeMermaidLabel } from '../../src/viz/mermaid.js';
import { escapeXml } from '../../src/viz/escape_xml.js';

const all = exportedMachines();

/** Every state node under (and including) `node`. */
function stateNodes(node: AnyStateNode): AnyStateNode[] {
  return [node, ...Object.values(node.states).flatMap((child) => stateNodes(child as AnyStateNode))];
}

const asArray = <T,>(value: T | readonly T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? [...(value as T[])] : [value as T];

/**
 * The edge labels a machine must show, computed from the raw config (not from the walker under
 * test), so a transition the walker drops or mislabels fails here.
 */
function expectedLabels(machine: AnyStateMachine): string[] {
  const labels: string[] = [];
  // Named guards are checked by name; combined ones (and/or/not) only for being shown at all.
  const withGuard = (trigger: string, transition: unknown): string => {
    const guard = typeof transition === 'object' && transition !== null ? (transition as { guard?: unknown }).guard : undefined;
    if (guard === undefined) return trigger;
    return typeof guard === 'string' ? `${trigger} [${guard}]` : `${trigger} [`;
  };
  for (const node of stateNodes(machine.root)) {
    const config = node.config as {
      on?: Record<string, unknown>;
      after?: Record<string, unknown>;
      always?: unknown;
      invoke?: unknown;
    };
    for (const [event, transitions] of Object.entries(config.on ?? {})) {
      // A child's done/error event handled with `on` (a spawned actor) reads like onDone/onError.
      const trigger = event.replace(/^xstate\.(done|error)\.actor\./, '$1: ');
      for (const transition of asArray(transitions)) labels.push(withGuard(trigger, transition));
    }
    for (const [delay, transitions] of Object.entries(config.after ?? {})) {
      const name = /^\d+$/.test(delay) ? `${delay}ms` : delay;
      for (const transition of asArray(transitions)) labels.push(withGuard(`after ${name}`, transition));
    }
    for (const transition of asArray(config.always)) labels.push(withGuard('always', transition));
    for (const invoke of asArray(config.invoke as { src: unknown; onDone?: unknown; onError?: unknown })) {
      const src = String(invoke.src);
      for (const transition of asArray(invoke.onDone)) labels.push(withGuard(`done: ${src}`, transition));
      for (const transition of asArray(invoke.onError)) labels.push(withGuard(`error: ${src}`, transition));
    }
  }
  return labels;
}

/** Edge labels as written in the Mermaid text, decoded. */
function mermaidEdgeLabels(mermaid: string): string[] {
  return mermaid
    .split('\n')
    .filter((line) => line.includes(' --> ') && line.includes(' : '))
    .map((line) => unescapeMermaidLabel(line.slice(line.indexOf(' : ') + 3)));
}

/** Tags open and close in order: enough to catch broken output without an XML parser. */
function assertBalancedTags(xml: string): void {
  const stack: string[] = [];
  for (const match of xml.matchAll(/<(\/?)([A-Za-z][\w:-]*)(?:\s[^<>]*?)?(\/?)>/g)) {
    const [, closing, name, selfClosing] = match as unknown as [string, string, string, string];
    if (selfClosing) continue;
    if (!closing) stack.push(name);
    else expect(stack.pop(), `</${name}> closes the wrong element`).toBe(name);
  }
  expect(stack, 'unclosed elements').toEqual([]);
  // No stray markup characters outside tags (an unescaped `<` or `&` in a label).
  expect(xml.replace(/<[^<>]*>/g, '')).not.toMatch(/[<>]|&(?!#\d+;|amp;|lt;|gt;|quot;|apos;)/);
}

describe('diagrams of the statecharts', () => {
  it('covers every machine exported from machines/index.ts', () => {
    const exported = Object.keys(machines).filter((name) => name.endsWith('Machine'));
    expect(all.map(({ name }) => `${name}Machine`).sort()).toEqual(exported.sort());
    expect(all.length).toBeGreaterThanOrEqual(5);
  });

  it('has every checked-in diagram up to date (else run `npm run viz`)', () => {
    const expected = diagramFiles();
    const present = readdirSync(VISUALIZATIONS_DIR).filter((name) => /\.(mmd|svg)$/.test(name));
    expect(present.sort(), 'visualizations/ holds diagrams of machines that no longer exist: run `npm run viz`').toEqual(
      expect.arrayContaining([...expected.keys()]),
    );
    for (const name of present) expect(expected.has(name), `visualizations/${name} has no machine: delete it`).toBe(true);
    for (const [name, content] of expected) {
      const checkedIn = readFileSync(`${VISUALIZATIONS_DIR}${name}`, 'utf8');
      expect(checkedIn === content, `a checked-in diagram is stale: visualizations/${name}; run \`npm run viz\``).toBe(true);
    }
  });

  describe.each(all)('$name', ({ machine }) => {
    const { mermaid, svg } = renderMachineDiagrams(machine);

    it('is deterministic', () => {
      expect(renderMachineDiagrams(machine)).toEqual({ mermaid, svg });
    });

    it('Mermaid names every state node', () => {
      expect(mermaid.startsWith('stateDiagram-v2\n')).toBe(true);
      for (const node of stateNodes(machine.root)) {
        const key = node.parent ? node.key : machine.id;
        expect(mermaid).toContain(`state "${key}" as ${node.id.replace(/\W/g, '_')}`);
      }
      for (const node of stateNodes(machine.root).filter((n) => n.type === 'final')) {
        expect(mermaid).toContain(`${node.id.replace(/\W/g, '_')} --> [*]`);
      }
    });

    it('Mermaid shows every transition with its trigger and guard', () => {
      const shown = mermaidEdgeLabels(mermaid);
      const expected = expectedLabels(machine);
      expect(expected.length).toBeGreaterThan(0);
      for (const label of expected) {
        const found = label.endsWith(' [') ? shown.some((text) => text.startsWith(label)) : shown.includes(label);
        expect(found, `transition "${label}" missing from the Mermaid diagram`).toBe(true);
      }
      // One Mermaid edge per transition target, so never fewer edges than transitions.
      expect(shown.length).toBeGreaterThanOrEqual(expected.length);
      expect(shown.join('\n')).not.toContain('xstate.');
    });

    it('SVG is well-formed and labels every state and transition', () => {
      expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
      assertBalancedTags(svg);
      for (const node of stateNodes(machine.root)) {
        const key = node.parent ? node.key : machine.id;
        expect(svg).toMatch(new RegExp(`<text[^>]*>${escapeXml(key).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}</text>`));
      }
      const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map(([, text]) => text as string);
      for (const label of expectedLabels(machine).map(escapeXml)) {
        // Targetless transitions are listed inside their state, behind a ↺.
        const found = texts
          .map((text) => text.replace(/^↺ /, ''))
          .some((text) => (label.endsWith(' [') ? text.startsWith(label) : text === label));
        expect(found, `transition "${label}" has no label in the SVG`).toBe(true);
      }
    });
  });
});
