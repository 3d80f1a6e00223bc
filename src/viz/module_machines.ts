/**
 * The statecharts a user's module exports, for `voxstate viz <file>`: every flow (defineFlow) and
 * every XState state machine, found by looking at the exports. TypeScript is loaded with tsx, as
 * job processes load a TypeScript agent module (src/ipc/typescript_loader.ts); JavaScript as it is.
 */
import { statSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AnyStateMachine } from 'xstate';
import { describe } from '../errors.js';
import { Flow, isStateMachine } from '../flow/flow.js';
import { isTypeScriptModule, RUNS_FROM_SOURCE, TSX_REGISTER } from '../ipc/typescript_loader.js';
import { FlowFileError } from './flow_file_error.js';

/** A statechart found in a module: its machine, and the export it came from. */
export interface ExportedMachine {
  /** The export's name (`default` for the default export). */
  exportName: string;
  machine: AnyStateMachine;
}

/** The flows and machines exported by the module at `path`, each machine once, in export order. */
export async function moduleMachines(path: string): Promise<{ file: string; machines: ExportedMachine[] }> {
  const file = existingFile(path);
  const module = await importFile(file);
  const found: ExportedMachine[] = [];
  const seen = new Set<unknown>();
  const add = (exportName: string, value: unknown) => {
    const machine = flowMachine(value) ?? (isStateMachine(value) ? value : undefined);
    // A flow and its machine are often both exported; `provide()` copies keep the config.
    if (machine === undefined || seen.has(machine.config)) return;
    seen.add(machine.config);
    found.push({ exportName, machine });
  };
  for (const [name, value] of Object.entries(module)) add(name, value);
  // A CommonJS module's exports arrive as its default export.
  const cjs = module.default;
  if (cjs !== null && typeof cjs === 'object' && flowMachine(cjs) === undefined && !isStateMachine(cjs)) {
    for (const [name, value] of Object.entries(cjs)) add(name, value);
  }
  if (found.length === 0) {
    throw new FlowFileError(
      'flow_file_empty',
      `${file} exports no flow and no state machine: export them, e.g. \`export const flow = defineFlow({ machine, agents })\``,
    );
  }
  return { file, machines: found };
}

/** The machine of a flow: a Flow, or (made by another copy of voxstate) anything with a machine. */
function flowMachine(value: unknown): AnyStateMachine | undefined {
  if (value instanceof Flow) return value.machine;
  const machine = value !== null && typeof value === 'object' ? (value as { machine?: unknown }).machine : undefined;
  return isStateMachine(machine) ? machine : undefined;
}

function existingFile(path: string): string {
  const file = resolve(path);
  let isFile = false;
  try {
    isFile = statSync(file).isFile();
  } catch {
    throw new FlowFileError('flow_file_not_found', `${file} does not exist`);
  }
  if (!isFile) throw new FlowFileError('flow_file_not_found', `${file} is not a file`);
  return file;
}

async function importFile(file: string): Promise<Record<string, unknown>> {
  // Run from voxstate's sources, a TypeScript loader is in place already; compiled, tsx is registered once.
  if (isTypeScriptModule(file) && !RUNS_FROM_SOURCE) {
    if (TSX_REGISTER === undefined) throw new FlowFileError('flow_file_import_failed', `${file} is TypeScript: install tsx to draw it`);
    ((await import(TSX_REGISTER)) as { register(): void }).register();
  }
  try {
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    throw new FlowFileError('flow_file_import_failed', `${file} could not be loaded: ${firstLine(describe(error))}`, { cause: error });
  }
}

/**
 * One line of an error's message: a code frame would bury what went wrong. A heading that ends in
 * a colon (esbuild's "Transform failed with 1 error:") keeps the line it announces.
 */
function firstLine(message: string): string {
  const [first = 'unknown error', second] = message.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  return first.endsWith(':') && second !== undefined ? `${first} ${second}` : first;
}

/** The file name (no extension) for a machine's diagrams: its id, else the export's name, else the file's. */
export function diagramBaseName(entry: ExportedMachine, file: string): string {
  // XState's id for a machine given none.
  const named = entry.machine.id !== '(machine)' ? entry.machine.id : entry.exportName !== 'default' ? entry.exportName : basename(file, extname(file));
  return named.replace(/[^\w.-]/g, '_');
}
