/**
 * The command line of drawing a user's module, shared by `voxstate viz <file> [--out DIR]` and
 * `npm run viz -- --flow <file> [--out DIR]`: prints each path written, one a line; what went wrong
 * as one line on stderr (never a stack), exit 1 for a bad file, 2 for a bad command line.
 */
import { isAbsolute, relative } from 'node:path';
import { describe } from '../errors.js';
import { drawModule } from './draw_module.js';
import { FlowFileError } from './flow_file_error.js';

/** Runs the command; resolves with its exit code. `rest` holds the options after the file. */
export async function runDrawModule(file: string | undefined, rest: string[], usage: string): Promise<number> {
  const outAt = rest.indexOf('--out');
  const out = outAt >= 0 ? rest[outAt + 1] : undefined;
  const unknown = rest.filter((arg, index) => index !== outAt && index !== outAt + 1);
  if (file === undefined || file.startsWith('--') || (outAt >= 0 && (out === undefined || out.startsWith('--'))) || unknown.length > 0) {
    process.stderr.write(`usage: ${usage}\n`);
    return 2;
  }
  try {
    const written = await drawModule(file, out === undefined ? {} : { out });
    for (const path of written) process.stdout.write(`${shown(path)}\n`);
    return 0;
  } catch (error) {
    // Anything else (a machine the layout cannot draw) is reported the same way: one line.
    const message = error instanceof FlowFileError ? error.message : `could not draw ${file}: ${describe(error).split('\n')[0]}`;
    process.stderr.write(`${message}\n`);
    return 1;
  }
}

/** A path as the user reads it: relative to where they are, when it lies below. */
function shown(path: string): string {
  const near = relative(process.cwd(), path);
  return near.startsWith('..') || isAbsolute(near) ? path : near;
}
