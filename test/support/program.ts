/**
 * A program run as a child process that a test talks to: wait for a line of its output, type into
 * it, wait for its exit. Every program started here is killed when the test ends, also when it fails.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { onTestFinished } from 'vitest';

export interface Program {
  child: ChildProcessWithoutNullStreams;
  /** Resolves once standard output (or `stream`) contains `needle` (or matches it); rejects if the program exits first. */
  until(needle: string | RegExp, stream?: 'out' | 'err'): Promise<void>;
  /** The exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  out(): string;
  err(): string;
}

export function startProgram(command: string, args: string[], options: { cwd: string | URL; env: NodeJS.ProcessEnv }): Program {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters: Array<() => void> = [];
  const wake = () => {
    for (const waiter of waiters.splice(0)) waiter();
  };
  child.stdout.on('data', (chunk) => {
    out += String(chunk);
    wake();
  });
  child.stderr.on('data', (chunk) => {
    err += String(chunk);
    wake();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      resolve(code);
      wake();
    }),
  );
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return {
    child,
    exited,
    async until(needle, stream = 'out') {
      const found = (text: string) => (typeof needle === 'string' ? text.includes(needle) : needle.test(text));
      while (!found(stream === 'out' ? out : err)) {
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`exited (${child.exitCode ?? child.signalCode}) before printing "${String(needle)}":\n--- stdout\n${out}\n--- stderr\n${err}`);
        }
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
    out: () => out,
    err: () => err,
  };
}

/**
 * The environment for a program a test starts that runs npm or vitest itself: without the `npm_*`
 * variables of the `npm test` that runs us, which a child npm would read as its own configuration
 * (its prefix among them: it would install into voxstate's checkout), nor vitest's own. npm's
 * cache stays the one in use.
 */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(name) && name !== 'INIT_CWD' && name !== 'NODE_OPTIONS' && !name.startsWith('VITEST')) env[name] = value;
  }
  if (process.env.npm_config_cache) env.npm_config_cache = process.env.npm_config_cache;
  return { ...env, ...extra };
}
