/** Captures the log lines of a test file (the root logger writes into an array). */
import { afterEach, beforeEach } from 'vitest';
import { createLogger, rootLogger, setRootLogger, type Logger } from '../../src/log/logger.js';

export interface LogLine {
  level: number;
  msg: string;
  event?: string;
  source?: string;
  err?: { type?: string; message?: string };
}

export function captureLogs(): { lines: LogLine[]; errors: () => LogLine[] } {
  const captured = { lines: [] as LogLine[], errors: () => captured.lines.filter((line) => line.level >= 50) };
  let previous: Logger;
  beforeEach(() => {
    captured.lines.length = 0;
    previous = rootLogger();
    setRootLogger(createLogger({ write: (line: string) => void captured.lines.push(JSON.parse(line) as LogLine) }, { level: 'debug' }));
  });
  afterEach(() => setRootLogger(previous));
  return captured;
}
