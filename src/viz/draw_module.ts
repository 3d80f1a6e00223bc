/**
 * `voxstate viz <file>` and `npm run viz -- --flow <file>`: the diagrams of every flow and machine
 * a user's module exports, written as `<id>.mmd` and `<id>.svg` into a folder (by default
 * `visualizations/` beside the file).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { renderMachineDiagrams } from './index.js';
import { diagramBaseName, moduleMachines } from './module_machines.js';

export interface DrawModuleOptions {
  /** The folder to write into; default `visualizations/` beside the file. */
  out?: string;
}

/** Writes the diagrams; resolves with the paths written, Mermaid then SVG per machine. */
export async function drawModule(path: string, options: DrawModuleOptions = {}): Promise<string[]> {
  const { file, machines } = await moduleMachines(path);
  const out = resolve(options.out ?? join(dirname(file), 'visualizations'));
  await mkdir(out, { recursive: true });
  const written: string[] = [];
  const taken = new Set<string>();
  for (const entry of machines) {
    let name = diagramBaseName(entry, file);
    // Two machines with one id: the later ones are told apart by their export's name.
    if (taken.has(name)) name = `${name}-${entry.exportName}`;
    taken.add(name);
    const { mermaid, svg } = renderMachineDiagrams(entry.machine, { generatedBy: '`voxstate viz`' });
    for (const [extension, content] of [['mmd', mermaid], ['svg', svg]] as const) {
      const target = join(out, `${name}.${extension}`);
      await writeFile(target, content);
      written.push(target);
    }
  }
  return written;
}
