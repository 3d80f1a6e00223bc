/** The events an AgentSession emits, with LiveKit's names and payloads (durations in ms). */
import type { AgentState, CloseReason, UserState } from '../../machines/session.js';
import type { VoxstateError } from '../errors.js';
import type { ModelMetrics } from '../plugins/metrics.js';
import type { AgentHandoffItem, ChatMessage, FunctionCall, FunctionCallOutput } from '../llm/chat_context.js';
import type { SpeechHandle, SpeechSource } from '../speech/speech_handle.js';

export type { AgentState, CloseReason, UserState };

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
  metrics: ModelMetrics | TurnMetrics;
  createdAt: number;
}

/** Latencies of one spoken turn, in ms, measured from the user's end of speech. */
export interface TurnMetrics {
  type: 'turn_metrics';
  /** End of speech → the final transcript. */
  transcriptionDelayMs: number;
  /** End of speech → the turn was committed. */
  endOfUtteranceDelayMs: number;
  /** End of speech → the agent's first audio (or text) of the reply. */
  e2eLatencyMs: number;
  speechId: string;
  timestamp: number;
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
  agent_false_interruption: (event: AgentFalseInterruptionEvent) => void;
  error: (event: ErrorEvent) => void;
  close: (event: CloseEvent) => void;
};
