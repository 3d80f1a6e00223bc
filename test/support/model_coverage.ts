/**
 * Measures which states and transitions of a machine the real runtime objects went through, from
 * the inspection events of their actors (not from the test paths), and prints it.
 */
import type { AnyStateMachine, InspectionEvent } from 'xstate';
import { addInspector } from '../../src/inspect/registry.js';

interface NodeLike {
  id: string;
  states: Record<string, NodeLike>;
  transitions: Map<string, Array<{ eventType: string; source: { id: string }; target?: Array<{ id: string }> }>>;
  always?: Array<{ eventType: string; source: { id: string }; target?: Array<{ id: string }> }>;
}

const key = (t: { eventType: string; source: { id: string }; target?: Array<{ id: string }> }, index: number) =>
  `${t.source.id} --${t.eventType}#${index}--> ${(t.target ?? []).map((n) => n.id).join(',') || '(self)'}`;

/** Every state node id and every transition (one per candidate, guarded ones separately) of `machine`. */
export function machineInventory(machine: AnyStateMachine): { states: Set<string>; transitions: Set<string> } {
  const states = new Set<string>();
  const transitions = new Set<string>();
  const walk = (node: NodeLike) => {
    states.add(node.id);
    for (const list of node.transitions.values()) list.forEach((t, i) => transitions.add(key(t, i)));
    (node.always ?? []).forEach((t, i) => transitions.add(key(t, i)));
    for (const child of Object.values(node.states)) walk(child);
  };
  walk(machine.root as unknown as NodeLike);
  return { states, transitions };
}

export interface Coverage {
  states: { covered: number; total: number; missing: string[] };
  transitions: { covered: number; total: number; missing: string[] };
}

export class CoverageTracker {
  readonly #inventory: { states: Set<string>; transitions: Set<string> };
  readonly #states = new Set<string>();
  readonly #transitions = new Set<string>();
  readonly #remove: () => void;

  constructor(
    readonly machine: AnyStateMachine,
  ) {
    this.#inventory = machineInventory(machine);
    this.#remove = addInspector((event: InspectionEvent) => this.#observe(event));
  }

  #observe(event: InspectionEvent): void {
    const logic = (event.actorRef as { logic?: { id?: string } }).logic;
    if (logic?.id !== this.machine.id) return;
    if (event.type === '@xstate.microstep') {
      for (const t of (event as unknown as { _transitions: Parameters<typeof key>[0][] })._transitions) {
        const candidates = (t.source as unknown as NodeLike).transitions.get(t.eventType) ?? (t.source as unknown as NodeLike).always ?? [];
        const index = candidates.indexOf(t as never);
        this.#transitions.add(key(t, Math.max(index, 0)));
      }
    }
    if (event.type === '@xstate.snapshot' || event.type === '@xstate.microstep') {
      const nodes = (event.snapshot as unknown as { _nodes?: Array<{ id: string }> })._nodes ?? [];
      for (const node of nodes) this.#states.add(node.id);
    }
  }

  stop(): void {
    this.#remove();
  }

  coverage(): Coverage {
    const part = (all: Set<string>, seen: Set<string>) => {
      const missing = [...all].filter((item) => !seen.has(item));
      return { covered: all.size - missing.length, total: all.size, missing };
    };
    return { states: part(this.#inventory.states, this.#states), transitions: part(this.#inventory.transitions, this.#transitions) };
  }

  /** One line for the test log, plus what is missing. */
  report(): string {
    const { states, transitions } = this.coverage();
    const lines = [
      `${this.machine.id} machine coverage: states ${states.covered}/${states.total}, transitions ${transitions.covered}/${transitions.total}`,
    ];
    if (states.missing.length) lines.push(`  states not reached: ${states.missing.join('; ')}`);
    if (transitions.missing.length) lines.push(`  transitions not taken: ${transitions.missing.join('; ')}`);
    return lines.join('\n');
  }
}
