/**
 * Every test file runs with this (vitest setupFiles): a warning XState prints is a bug (work
 * started inside a custom action, an event sent to a stopped actor, an unknown actor type…), so
 * the test during which it is printed fails, naming it. Recognised by where it comes from, XState's
 * own code, so a warning added in a later XState version is caught too.
 */
import { afterAll, afterEach } from 'vitest';

const printed: string[] = [];
const FROM_XSTATE = /[\\/]node_modules[\\/]xstate[\\/]/;

for (const level of ['warn', 'error'] as const) {
  const original = console[level].bind(console);
  console[level] = (...args: unknown[]) => {
    const stack = new Error().stack ?? '';
    // The frame after this wrapper is the caller of console.warn/error.
    const caller = stack.split('\n')[2] ?? '';
    if (FROM_XSTATE.test(caller)) printed.push(args.map(String).join(' '));
    original(...args);
  };
}

function check(): void {
  if (printed.length === 0) return;
  const warnings = printed.splice(0);
  throw new Error(`XState printed ${warnings.length} warning(s):\n${warnings.join('\n')}`);
}

afterEach(check);
afterAll(check);
