/** A terminal for console-mode tests: what the user types (`input`), and what the console writes, awaited by content. */
import { PassThrough } from 'node:stream';

export function terminal() {
  const input = new PassThrough();
  const output = new PassThrough();
  let text = '';
  const waiters: Array<() => void> = [];
  output.on('data', (chunk) => {
    text += String(chunk);
    for (const wake of waiters.splice(0)) wake();
  });
  const written = () => new Promise<void>((resolve) => waiters.push(resolve));
  /** Resolves once the output contains `needle`. */
  const until = async (needle: string) => {
    while (!text.includes(needle)) await written();
  };
  /** Resolves with the first match of `needle` in the output, once there is one. */
  const line = async (needle: RegExp): Promise<RegExpExecArray> => {
    for (let found = needle.exec(text); ; found = needle.exec(text)) {
      if (found) return found;
      await written();
    }
  };
  return { input, output, until, line, text: () => text };
}
