/**
 * The file of the module that called into voxstate, read from the stack. AgentServer records where
 * its entrypoint was registered, so `cli.runApp(server)` can act only when that file is the program
 * being run (Python's `if __name__ == "__main__"`), and a worker can re-import it in a job process.
 */
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

const here = dirname(dirname(fileURLToPath(import.meta.url)));

export function callerModule(): string | undefined {
  const stack = new Error().stack?.split('\n').slice(1) ?? [];
  for (const frame of stack) {
    const match = /(file:\/\/[^\s)]+|\/[^\s):]+):\d+:\d+\)?\s*$/.exec(frame);
    if (!match) continue;
    const location = match[1]!;
    const file = location.startsWith('file://') ? fileURLToPath(location) : location;
    if (file.startsWith(here) || file.includes('/node_modules/') || file.startsWith('node:')) continue;
    return resolve(file);
  }
  return undefined;
}
