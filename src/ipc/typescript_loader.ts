/**
 * How a job process (or thread) runs TypeScript: with tsx's loader, resolved from voxstate's own
 * location (not from the working directory), so it is found whether the parent runs under tsx,
 * under vitest or from compiled JavaScript. Without tsx installed, only JavaScript modules run.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { VoxstateError } from '../errors.js';

const require = createRequire(import.meta.url);

function resolved(specifier: string): string | undefined {
  try {
    return pathToFileURL(require.resolve(specifier)).href;
  } catch {
    return undefined;
  }
}

/** `--import` for a child process: tsx's loader (ESM and CommonJS), if installed. */
export const TSX_LOADER = resolved('tsx');
/**
 * For a worker thread, whose execArgv cannot carry loaders: the ESM build of tsx's register API
 * (require.resolve would give its CommonJS build, which cannot register from a thread).
 */
export const TSX_REGISTER = ((): string | undefined => {
  try {
    const manifest = require.resolve('tsx/package.json');
    const exports = (JSON.parse(readFileSync(manifest, 'utf8')) as { exports?: Record<string, { import?: { default?: string } }> }).exports;
    const entry = exports?.['./esm/api']?.import?.default;
    return entry === undefined ? undefined : pathToFileURL(join(dirname(manifest), entry)).href;
  } catch {
    return undefined;
  }
})();

/** Whether this code itself runs from TypeScript sources (tsx, vitest): then children need tsx too. */
export const RUNS_FROM_SOURCE = extname(fileURLToPath(import.meta.url)) === '.ts';

/** The file next to this one named `name` (without extension), in the extension this code runs from. */
export function siblingModule(name: string): URL {
  return new URL(`./${name}${RUNS_FROM_SOURCE ? '.ts' : '.js'}`, import.meta.url);
}

/** Whether `module` is a TypeScript file (.ts, .mts, .cts, .tsx). */
export function isTypeScriptModule(module: string): boolean {
  return /\.[cm]?tsx?$/.test(module);
}

/**
 * Whether a child that runs `module` needs tsx: the module is TypeScript, or voxstate runs from its
 * sources. Otherwise a child does without it (tsx's loader costs every process memory and start-up).
 */
export function needsTypeScript(module: string): boolean {
  return isTypeScriptModule(module) || RUNS_FROM_SOURCE;
}

/** Checks that `module` can run in a child; a TypeScript module needs tsx. */
export function checkRunnable(module: string): void {
  if (needsTypeScript(module) && TSX_LOADER === undefined) {
    throw new VoxstateError('tsx_missing', `the agent module ${module} is TypeScript: install tsx to run it in a job process`);
  }
}
