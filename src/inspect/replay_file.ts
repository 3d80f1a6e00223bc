/**
 * A report file given to the inspector to replay (`--replay report.json`,
 * `startInspection({ replay })`): read once, checked by the same readReport the page runs on a
 * dropped file, its machines drawn. Whatever is wrong with it is kept as an InvalidReportError,
 * never thrown: the page shows it, the command prints it, and the page stays open for another file.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { describe } from '../errors.js';
import { SESSION_REPORT_VERSION, type SessionReport } from '../report/session_report.js';
import { InvalidReportError } from './invalid_report_error.js';
import { readReport } from './report_check.js';
import { replayDiagrams, type ReplayDiagram } from './replay_diagrams.js';

/** Reports bigger than this are refused, by the server and the page alike (a long call's is a few MB). */
export const MAX_REPORT_BYTES = 100 * 1024 * 1024;

export type ReplayFile =
  | { file: string; report: SessionReport; diagrams: ReplayDiagram[]; error?: undefined }
  | { file: string; error: InvalidReportError; report?: undefined; diagrams?: undefined };

/** Reads, checks and draws the report at `path`; resolves with it or with what is wrong. */
export async function loadReplayFile(path: string): Promise<ReplayFile> {
  const file = basename(path);
  try {
    const text = await readText(path);
    const reading = readReport(text, SESSION_REPORT_VERSION);
    if (reading.problem !== undefined) return { file, error: new InvalidReportError(reading.problem) };
    return { file, report: reading.report, diagrams: await replayDiagrams(reading.report.machines) };
  } catch (cause) {
    return { file, error: cause instanceof InvalidReportError ? cause : new InvalidReportError(`the report could not be read: ${describe(cause)}`) };
  }
}

async function readText(path: string): Promise<string> {
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new InvalidReportError(`${path} is not a file`);
    size = info.size;
  } catch (cause) {
    if ((cause as { code?: unknown }).code === 'ENOENT') throw new InvalidReportError(`there is no file at ${path}`);
    throw cause;
  }
  if (size > MAX_REPORT_BYTES) {
    throw new InvalidReportError(`the file is ${Math.ceil(size / 1024 / 1024)} MB; the inspector reads reports of up to ${MAX_REPORT_BYTES / 1024 / 1024} MB`);
  }
  return readFile(path, 'utf8');
}
