/**
 * `console --replay report.json`: instead of running the agent, serve the inspector page on a
 * session report (a finished conversation, played back on the diagrams with a time slider, the
 * events and the transcript), until Ctrl+C or the end of input. A report that cannot be replayed
 * is said on the terminal and on the page, which stays open for another file dropped on it.
 */
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

export interface ReplayConsoleOptions {
  /** Port of the inspector page; 0 picks a free one. Default 8080, as `--inspect`. */
  port?: number;
  input?: Readable;
  output?: Writable;
  /** Handle SIGINT (default true when input is the process's stdin). */
  handleSignals?: boolean;
}

/** Serves the replay until input ends (or SIGINT); resolves with the exit code, 0. */
export async function replayInConsole(file: string, options: ReplayConsoleOptions = {}): Promise<number> {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const print = (line: string) => output.write(`${line}\n`);
  // Loaded on demand, as `--inspect` does: the console's other uses never pay for the page.
  const { startInspection } = await import('../inspect/inspection.js');
  const inspection = await startInspection({ port: options.port ?? 8080, replay: file, print });
  print('open the page in a browser; Ctrl+C or Ctrl+D to end.');

  const lines = createInterface({ input, terminal: false });
  const ended = new Promise<void>((resolve) => lines.once('close', resolve));
  const handleSignals = options.handleSignals ?? input === process.stdin;
  const onSigint = () => lines.close();
  if (handleSignals) process.on('SIGINT', onSigint);
  try {
    await ended;
  } finally {
    if (handleSignals) process.off('SIGINT', onSigint);
    await inspection.close();
  }
  return 0;
}
