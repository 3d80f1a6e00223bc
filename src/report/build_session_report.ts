/**
 * Builds a SessionReport from what a session recorded (and its job's timeline, when it ran in a
 * job): plain JSON, redacted by the project's one rule.
 */
import type { ChatItem } from '../llm/chat_context.js';
import { redactSecrets } from '../log/redact.js';
import type { AgentMetrics } from '../metrics/agent_metrics.js';
import type { AgentSessionUsage } from '../metrics/usage.js';
import type { SessionRecorder } from './session_recorder.js';
import { SESSION_REPORT_VERSION, type ReportEvent, type SessionReport } from './session_report.js';
import type { Timeline } from './timeline.js';

/** What a session gives its report. */
export interface SessionReportParts {
  recorder: SessionRecorder;
  history: readonly ChatItem[];
  usage: AgentSessionUsage;
  room: string | undefined;
  options: Record<string, unknown>;
}

/** What a job gives the report of its session. */
export interface JobReportParts {
  id: string;
  agentName: string;
  contextFields: Record<string, unknown>;
  timeline: Timeline;
}

/** Deep enough for a report's nesting (a parallel state's value, a tool's arguments): the redaction's own default is for log lines. */
const DEPTH = 64;

export function buildSessionReport(session: SessionReportParts, job?: JobReportParts): SessionReport {
  const { recorder } = session;
  const events = recorder.events.map(plainEvent);
  const started = recorder.timeline.entries.find((entry) => entry.actor === 'session' && isRunning(entry.state));
  const close = events.findLast((event) => event.type === 'close');
  const timeline = [...(job?.timeline.entries ?? []), ...recorder.timeline.entries].sort((a, b) => a.at - b.at);
  const report: SessionReport = {
    version: SESSION_REPORT_VERSION,
    createdAt: Date.now(),
    ...(job ? { job: { id: job.id, agentName: job.agentName, contextFields: job.contextFields } } : {}),
    ...(session.room !== undefined ? { room: { name: session.room } } : {}),
    session: {
      startedAt: started?.at,
      closedAt: close?.at,
      closeReason: close?.reason as string | undefined,
      closeError: (close?.error as { message?: string } | null | undefined)?.message,
    },
    options: session.options,
    history: [...session.history],
    events,
    usage: session.usage,
    metrics: recorder.events.filter((event) => event.type === 'metrics_collected').map((event) => event.metrics as AgentMetrics),
    timeline,
    machines: { ...job?.timeline.machines(), ...recorder.timeline.machines() },
  };
  // Plain JSON first (no object shared between two places, which the redaction would take for a cycle).
  const { machines, ...rest } = JSON.parse(JSON.stringify(report)) as SessionReport;
  // The statecharts are voxstate's and the user's code, not data: left as they are.
  return { ...(redactSecrets(rest, DEPTH) as Omit<SessionReport, 'machines'>), machines };
}

/** Whether a session's state value is running (machines/session.ts: open.lifecycle). */
function isRunning(state: unknown): boolean {
  return (state as { open?: { lifecycle?: unknown } } | null)?.open?.lifecycle === 'running';
}

/** An event as the report keeps it: its time as `at`, errors by name, code and message (speeches are by id already: see SessionRecorder). */
function plainEvent(event: { type: string; createdAt?: number } & Record<string, unknown>): ReportEvent {
  const { type, createdAt, ...fields } = event;
  const out: ReportEvent = { type, at: createdAt ?? 0 };
  for (const [key, value] of Object.entries(fields)) {
    if (value instanceof Error) {
      out[key] = { name: value.name, message: value.message, ...('code' in value ? { code: (value as { code: unknown }).code } : {}), ...('recoverable' in value ? { recoverable: (value as { recoverable: unknown }).recoverable } : {}) };
    } else out[key] = value;
  }
  return out;
}
