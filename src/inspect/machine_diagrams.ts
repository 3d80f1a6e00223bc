/**
 * The statechart diagrams the inspector page draws: every machine of machines/index.ts, plus any
 * other machine an actor runs (a test's, an app's own, a session's conversation flow with its
 * agents and tools), drawn from the actor's machine the first time a page needs it.
 * States carry their xstate id (`data-state-id`), so the page highlights the active ones.
 */
import type { AnyStateMachine, StateValue } from 'xstate';
import { exportedMachines, machineGraph, toSvg } from '../viz/index.js';

export interface MachineDiagram {
  /** Stable key of the machine on the page: the machine's file name (`session`), or `<id>~<n>` for others. */
  key: string;
  /** The machine id. */
  id: string;
  /** SVG with one `<g class="state" data-state-id>` per state node. */
  svg: string;
}

/**
 * Machines are recognised by their config: `machine.provide(...)` (as src/ does once per class)
 * makes a new machine object around the same config.
 */
const known = new WeakMap<object, { key: string; machine: AnyStateMachine; svg?: string }>();
let exported: { key: string; machine: AnyStateMachine }[] | undefined;
let others = 0;

function exportedList(): { key: string; machine: AnyStateMachine }[] {
  if (exported === undefined) {
    exported = exportedMachines().map(({ name, machine }) => ({ key: name, machine }));
    for (const entry of exported) known.set(entry.machine.config, entry);
  }
  return exported;
}

/** The page key of a machine, registering it if it is not one of machines/index.ts. */
export function machineKey(machine: AnyStateMachine): string {
  exportedList();
  let entry = known.get(machine.config);
  if (entry === undefined) {
    others += 1;
    entry = { key: `${machine.id}~${others}`, machine };
    known.set(machine.config, entry);
  }
  return entry.key;
}

/** Whether the key names one of machines/index.ts (already in the page's HTML). */
export function isExportedKey(key: string): boolean {
  return exportedList().some((entry) => entry.key === key);
}

/** The diagram of a machine; laid out once, then cached. */
export function machineDiagram(machine: AnyStateMachine): MachineDiagram {
  const key = machineKey(machine);
  const entry = known.get(machine.config)!;
  entry.svg ??= toSvg(machineGraph(entry.machine), { stateIds: true });
  return { key, id: entry.machine.id, svg: entry.svg };
}

let allExported: Promise<MachineDiagram[]> | undefined;

/** The page lists machines from the outside in: a worker runs processes, which run jobs, which run sessions… */
const PAGE_ORDER = ['worker', 'assignedJob', 'supervisedProcess', 'job', 'session', 'agent', 'speech', 'userTurn', 'listener'];
const pageRank = (key: string) => (PAGE_ORDER.includes(key) ? PAGE_ORDER.indexOf(key) : PAGE_ORDER.length);

/**
 * Diagrams of every machine of machines/index.ts, outermost first (others after, by name). Laying them all out takes
 * a second or more of CPU, so it is done once per process, one machine per turn of the event loop:
 * the agent keeps running meanwhile.
 */
export function exportedDiagrams(): Promise<MachineDiagram[]> {
  allExported ??= (async () => {
    const out: MachineDiagram[] = [];
    const ordered = [...exportedList()].sort((a, b) => pageRank(a.key) - pageRank(b.key) || a.key.localeCompare(b.key));
    for (const { machine } of ordered) {
      await new Promise((resolve) => setImmediate(resolve));
      out.push(machineDiagram(machine));
    }
    return out;
  })();
  return allExported;
}

/**
 * The ids of the state nodes a state value is in, root first (`session`, `session.running`,
 * `session.running.agent`, `session.running.agent.listening`, …): what the page highlights.
 */
export function activeStateIds(machine: AnyStateMachine, value: StateValue): string[] {
  const ids: string[] = [];
  const visit = (node: AnyStateMachine['root'], inner: StateValue | undefined): void => {
    ids.push(node.id);
    if (inner === undefined) return;
    if (typeof inner === 'string') {
      const child = node.states[inner];
      if (child) visit(child, undefined);
      return;
    }
    for (const [key, sub] of Object.entries(inner)) {
      const child = node.states[key];
      if (child) visit(child, sub as StateValue);
    }
  };
  visit(machine.root, value);
  return ids;
}
