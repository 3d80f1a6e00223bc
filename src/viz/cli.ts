/**
 * `npm run viz`: writes visualizations/<machine>.mmd and .svg for every exported machine.
 * `npm run viz -- --check` writes nothing and exits 1 listing the files that are missing or stale
 * (for CI: a machine changed without its diagrams being regenerated).
 * `npm run viz -- --flow <file> [--out DIR]` draws a user's flows and machines instead, as
 * `voxstate viz <file>` does (see draw_module.ts).
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { diagramFiles } from './index.js';
import { runDrawModule } from './run_draw_module.js';

/** The repository's visualizations/ folder, wherever the command is run from. */
export const VISUALIZATIONS_DIR = fileURLToPath(new URL('../../visualizations/', import.meta.url));

/** Names of the generated files whose checked-in copy is missing or differs. */
export async function staleDiagrams(dir = VISUALIZATIONS_DIR): Promise<string[]> {
  const stale: string[] = [];
  for (const [name, content] of diagramFiles()) {
    const current = await readFile(`${dir}${name}`, 'utf8').catch(() => undefined);
    if (current !== content) stale.push(name);
  }
  return stale;
}

async function main(args: string[]): Promise<number> {
  const flowAt = args.indexOf('--flow');
  if (flowAt >= 0) return runDrawModule(args[flowAt + 1], args.slice(0, flowAt).concat(args.slice(flowAt + 2)), 'npm run viz -- --flow <file> [--out DIR]');
  if (args.includes('--check')) {
    const stale = await staleDiagrams();
    if (stale.length === 0) return 0;
    console.error(`stale diagrams in visualizations/ (run \`npm run viz\`):\n${stale.map((name) => `  ${name}`).join('\n')}`);
    return 1;
  }
  await mkdir(VISUALIZATIONS_DIR, { recursive: true });
  for (const [name, content] of diagramFiles()) {
    await writeFile(`${VISUALIZATIONS_DIR}${name}`, content);
    console.log(`visualizations/${name}`);
  }
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const code = await main(process.argv.slice(2));
  // A user's module may leave a timer or a socket open: the command is done all the same.
  process.exit(code);
}
