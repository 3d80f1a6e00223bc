/**
 * `npm run viz`: writes visualizations/<machine>.mmd and .svg for every exported machine.
 * `npm run viz -- --check` writes nothing and exits 1 listing the files that are missing or stale
 * (for CI: a machine changed without its diagrams being regenerated).
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { diagramFiles } from './index.js';

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
  process.exitCode = await main(process.argv.slice(2));
}
