/**
 * A session report: what happened in one conversation, as JSON, for after the call. Made by
 * `ctx.makeSessionReport()` (or `sessionReport(session)`), given to `onSessionEnd`, written beside
 * a recording, and opened by the inspector page's replay.
 *
 * Versioned: `version` changes when a field changes meaning or goes; new fields may appear within
 * a version. Secrets are redacted by the one rule of src/log/redact.ts (credential-named fields,
 * credential-shaped text, the keys the process was given). Times are ms since the epoch.
 */
import type { ChatItem } from '../llm/chat_context.js';
import type { AgentMetrics } from '../metrics/agent_metrics.js';
import type { AgentSessionUsage } from '../metrics/usage.js';

/** The version of SessionReport's shape this voxstate writes and reads. */
export const SESSION_REPORT_VERSION = 1;

export interface SessionReport {
  version: typeof SESSION_REPORT_VERSION;
  /** When the report was made. */
  createdAt: number;
  /** The job the session ran in, when it ran in one. */
  job?: {
    id: string;
    agentName: string;
    /** The job's log context fields (ctx.logContextFields). */
    contextFields: Record<string, unknown>;
  };
  room?: { name: string };
  session: {
    startedAt: number | undefined;
    closedAt: number | undefined;
    closeReason: string | undefined;
    /** The error the session closed with, as a message. */
    closeError: string | undefined;
  };
  /** The session's settings: models by label, turn-taking and timeouts. */
  options: Record<string, unknown>;
  /** The chat history, in order. */
  history: ChatItem[];
  /** Every event the session emitted, in order, with its time (`at`); objects (speeches, errors) as plain data. */
  events: ReportEvent[];
  usage: AgentSessionUsage;
  /** Every measurement, in order (also in `events` as metrics_collected). */
  metrics: AgentMetrics[];
  /** Every transition of the job's, the session's, its agents', speeches' and flow's actors, in order. */
  timeline: TimelineEntry[];
  /** The statecharts of the actors in `timeline`, by machine id, as XState's machine.toJSON() gives them. */
  machines: Record<string, unknown>;
}

export interface ReportEvent {
  type: string;
  at: number;
  [field: string]: unknown;
}

export interface TimelineEntry {
  at: number;
  /** The actor, by its role: "session", "job", "agent receptionist", "speech speech_3", "flow clinic". */
  actor: string;
  /** The machine's id (a key of SessionReport.machines). */
  machine: string;
  /** The state value after the transition (XState's snapshot.value). */
  state: unknown;
  /** The event that caused it ("xstate.init" for the actor's first state). */
  event: string;
  /** The actor's status after it: active, done, error or stopped. */
  status: string;
}
