/** The events an AgentSession emits, with LiveKit's names and payloads (durations in ms). */
import type { AgentState, CloseReason as SessionCloseReason, UserState } from '../../machines/session.js';
import type { VoxstateError } from '../errors.js';
import type { AgentMetrics } from '../metrics/agent_metrics.js';
import type { AgentSessionUsage } from '../metrics/usage.js';
import type { AgentHandoffItem, ChatMessage, FunctionCall, FunctionCallOutput } from '../llm/chat_context.js';
import type { SpeechHandle, SpeechSource } from '../speech/speech_handle.js';

export type { AgentState, UserState };
export type { AgentMetrics, TurnMetrics } from '../metrics/agent_metrics.js';

/** Why a session closed. Also a value, as agents-js's enum: `CloseReason.USER_INITIATED`. */
export type CloseReason = SessionCloseReason;
export const CloseReason = {
  ERROR: 'error',
  JOB_SHUTDOWN: 'job_shutdown',
  PARTICIPANT_DISCONNECTED: 'participant_disconnected',
  USER_INITIATED: 'user_initiated',
} as const satisfies Record<string, SessionCloseReason>;

export interface AgentStateChangedEvent {
  type: 'agent_state_changed';
  oldState: AgentState;
  newState: AgentState;
  createdAt: number;
}

export interface UserStateChangedEvent {
  type: 'user_state_changed';
  oldState: UserState;
  newState: UserState;
  createdAt: number;
}

export interface SpeechCreatedEvent {
  type: 'speech_created';
  speechHandle: SpeechHandle;
  source: SpeechSource;
  /** True for say() and generateReply() called by the user's code. */
  userInitiated: boolean;
  createdAt: number;
}

export interface ConversationItemAddedEvent {
  type: 'conversation_item_added';
  item: ChatMessage | AgentHandoffItem;
  createdAt: number;
}

export interface UserInputTranscribedEvent {
  type: 'user_input_transcribed';
  transcript: string;
  isFinal: boolean;
  language: string | undefined;
  createdAt: number;
}

export interface FunctionToolsExecutedEvent {
  type: 'function_tools_executed';
  /** The calls of one LLM step and their outputs, in call order (parallel arrays). */
  functionCalls: FunctionCall[];
  functionCallOutputs: FunctionCallOutput[];
  createdAt: number;
}

/** One tool call of a step is about to run (emitted per call, before function_tools_executed). */
export interface FunctionToolStartedEvent {
  type: 'function_tool_started';
  speechId: string;
  callId: string;
  name: string;
  /** The arguments as the LLM sent them (JSON text). */
  arguments: string;
  createdAt: number;
}

/** One tool call has returned, thrown, or was refused (unknown tool, bad arguments). */
export interface FunctionToolCompletedEvent {
  type: 'function_tool_completed';
  speechId: string;
  callId: string;
  name: string;
  arguments: string;
  /** What the LLM is told: the tool's result, or the error's message when `isError`. */
  output: string;
  isError: boolean;
  error: VoxstateError | null;
  durationMs: number;
  createdAt: number;
}

export interface MetricsCollectedEvent {
  type: 'metrics_collected';
  metrics: AgentMetrics;
  createdAt: number;
}

/** `session.usage` changed: a model of the session reported what it used (see AgentSessionUsage). */
export interface SessionUsageUpdatedEvent {
  type: 'session_usage_updated';
  usage: AgentSessionUsage;
  createdAt: number;
}

/**
 * The user spoke over the agent's speech, and this is what it came to: an interruption (words, or
 * speech while the output could not pause), or not (no words before `falseInterruptionTimeout`, or
 * the user stopped before it could interrupt, or the speech did not allow interruptions).
 */
export interface OverlappingSpeechEvent {
  type: 'overlapping_speech';
  isInterruption: boolean;
  /** When the overlap began (ms since the epoch): the user's speech over the agent's. */
  overlapStartedAt: number;
  /** When the overlap was decided (ms since the epoch). */
  detectedAt: number;
  /** The speech the user spoke over. */
  speechId: string;
  createdAt: number;
}

/** The user spoke over the agent without words: the paused speech went on. */
export interface AgentFalseInterruptionEvent {
  type: 'agent_false_interruption';
  resumed: boolean;
  createdAt: number;
}

export interface ErrorEvent {
  type: 'error';
  error: VoxstateError;
  /** What failed: "listener", "agent", "llm", "tool", "session", … */
  source: string;
  createdAt: number;
}

export interface CloseEvent {
  type: 'close';
  reason: CloseReason;
  error: VoxstateError | null;
  createdAt: number;
}

export type AgentSessionEvents = {
  agent_state_changed: (event: AgentStateChangedEvent) => void;
  user_state_changed: (event: UserStateChangedEvent) => void;
  speech_created: (event: SpeechCreatedEvent) => void;
  conversation_item_added: (event: ConversationItemAddedEvent) => void;
  user_input_transcribed: (event: UserInputTranscribedEvent) => void;
  function_tools_executed: (event: FunctionToolsExecutedEvent) => void;
  function_tool_started: (event: FunctionToolStartedEvent) => void;
  function_tool_completed: (event: FunctionToolCompletedEvent) => void;
  metrics_collected: (event: MetricsCollectedEvent) => void;
  session_usage_updated: (event: SessionUsageUpdatedEvent) => void;
  agent_false_interruption: (event: AgentFalseInterruptionEvent) => void;
  overlapping_speech: (event: OverlappingSpeechEvent) => void;
  error: (event: ErrorEvent) => void;
  close: (event: CloseEvent) => void;
};

/**
 * agents-js's names for the session's events, e.g.
 * `session.on(AgentSessionEventTypes.MetricsCollected, (ev) => metrics.logMetrics(ev.metrics))`.
 * A plain object (not an enum), so each member is the event's own string and the listener is typed
 * by it. Only events voxstate emits are here.
 */
export const AgentSessionEventTypes = {
  UserInputTranscribed: 'user_input_transcribed',
  AgentStateChanged: 'agent_state_changed',
  UserStateChanged: 'user_state_changed',
  ConversationItemAdded: 'conversation_item_added',
  FunctionToolsExecuted: 'function_tools_executed',
  MetricsCollected: 'metrics_collected',
  SessionUsageUpdated: 'session_usage_updated',
  SpeechCreated: 'speech_created',
  AgentFalseInterruption: 'agent_false_interruption',
  OverlappingSpeech: 'overlapping_speech',
  Error: 'error',
  Close: 'close',
} as const satisfies Record<string, keyof AgentSessionEvents>;

/** One of the event names in AgentSessionEventTypes. */
export type AgentSessionEventTypes = (typeof AgentSessionEventTypes)[keyof typeof AgentSessionEventTypes];

/** Any event an AgentSession emits (agents-js's `AgentEvent`). */
export type AgentEvent = Parameters<AgentSessionEvents[keyof AgentSessionEvents]>[0];
