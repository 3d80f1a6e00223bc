/**
 * voxstate and the bench's scripted agent as compiled JavaScript (each .ts file transpiled alone,
 * by TypeScript, into bench/out/compiled/), so a job process runs what a production agent runs:
 * JavaScript, without tsx's loader and its in-memory sources and maps.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
export const COMPILED = join(root, 'bench/out/compiled');

type TypeScript = typeof import('typescript');

function transpileTree(ts: TypeScript, dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) transpileTree(ts, path);
    else if (path.endsWith('.ts') && !path.endsWith('.d.ts')) {
      const { outputText } = ts.transpileModule(readFileSync(path, 'utf8'), {
        fileName: path,
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
      });
      const out = join(COMPILED, relative(root, path).replace(/\.ts$/, '.js'));
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, outputText);
    }
  }
}

/** Transpiles src/, machines/ and the test agents; returns the compiled scripted agent's path. */
export async function compileScriptedAgent(): Promise<string> {
  // Loaded on use: TypeScript's 9 MB of code in the bench's process would slow its GCs, and with
  // them the start latencies measured before.
  const ts = ((await import('typescript')) as { default: TypeScript }).default;
  for (const dir of ['src', 'machines', 'test/fixtures/agents']) transpileTree(ts, join(root, dir));
  return join(COMPILED, 'test/fixtures/agents/scripted_agent.js');
}
