/**
 * The diagrams of a session report's machines, for the replaying page: drawn as the live page's
 * are (machineDiagram), from the report's definitions. A definition that is exactly one of
 * machines/index.ts's (the report comes from this voxstate) gets that machine's own diagram,
 * already laid out, and with what JSON cannot carry (eventless transitions, inline guards);
 * any other (a flow, a machine of another version) is rebuilt from its definition.
 */
import type { AnyStateMachine } from 'xstate';
import { describe } from '../errors.js';
import { exportedMachines } from '../viz/index.js';
import { InvalidReportError } from './invalid_report_error.js';
import { machineFromDefinition } from './machine_definition.js';
import { machineDiagram } from './machine_diagrams.js';

/** One machine of a report, drawn: `svg` has a `<g class="state" data-state-id>` per state. */
export interface ReplayDiagram {
  /** The key of the report's `machines` (the machine id). */
  id: string;
  svg: string;
}

/** Machines per report, at most: a session's own are five or six. */
export const MAX_REPORT_MACHINES = 64;

let exportedJson: Map<string, { json: string; machine: AnyStateMachine }> | undefined;

/** The exported machine whose definition `definition` is, byte for byte as JSON; else undefined. */
function exportedMachineOf(definition: unknown): AnyStateMachine | undefined {
  exportedJson ??= new Map(exportedMachines().map(({ machine }) => [machine.id, { json: JSON.stringify(machine.toJSON()), machine }]));
  const id = (definition as { id?: unknown }).id;
  const known = typeof id === 'string' ? exportedJson.get(id) : undefined;
  return known !== undefined && JSON.stringify(definition) === known.json ? known.machine : undefined;
}

/**
 * Lays out every machine of `machines`, one per turn of the event loop (a big one takes a tenth
 * of a second of CPU, and the process may be running an agent). Throws InvalidReportError naming
 * the machine that cannot be drawn.
 */
export async function replayDiagrams(machines: Record<string, unknown>): Promise<ReplayDiagram[]> {
  const entries = Object.entries(machines);
  if (entries.length > MAX_REPORT_MACHINES) {
    throw new InvalidReportError(`the report has ${entries.length} machines; the page draws ${MAX_REPORT_MACHINES} at most`);
  }
  const diagrams: ReplayDiagram[] = [];
  for (const [id, definition] of entries) {
    await new Promise((resolve) => setImmediate(resolve));
    const machine = exportedMachineOf(definition) ?? machineFromDefinition(definition, `machines.${id}`);
    try {
      diagrams.push({ id, svg: machineDiagram(machine).svg });
    } catch (cause) {
      // A target that names no state is only found when the transitions are read, here.
      throw new InvalidReportError(`machines.${id} cannot be drawn: ${describe(cause)}`);
    }
  }
  return diagrams;
}
