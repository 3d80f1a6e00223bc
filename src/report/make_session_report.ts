/** The report of a session that runs outside a job (in a job, `ctx.makeSessionReport()` adds the job's part). */
import { buildSessionReport, type SessionReportParts } from './build_session_report.js';
import type { SessionReport } from './session_report.js';

/** The report of `session` so far (see SessionReport). */
export function makeSessionReport(session: { _reportParts(): SessionReportParts }): SessionReport {
  return buildSessionReport(session._reportParts());
}
