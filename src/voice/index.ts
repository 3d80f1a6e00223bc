/**
 * The `voice` namespace, as agents-js's: `voice.Agent`, `voice.AgentSession`,
 * `voice.AgentSessionEventTypes`, the session's event payloads, `voice.testing`, … — the same
 * classes voxstate exports at its top level, under the names an agents-js agent uses.
 */
export { Agent, AgentTask, StopResponse, type AgentOptions } from '../agent/agent.js';
export {
  AgentSession,
  type AgentSessionOptions,
  type GenerateReplyOptions,
  type SayOptions,
  type SessionState,
  type UserInput,
} from '../session/agent_session.js';
export { AgentSessionEventTypes, CloseReason } from '../session/events.js';
export type {
  AgentEvent,
  AgentFalseInterruptionEvent,
  AgentSessionEvents,
  AgentState,
  AgentStateChangedEvent,
  CloseEvent,
  ConversationItemAddedEvent,
  ErrorEvent,
  FunctionToolCompletedEvent,
  FunctionToolStartedEvent,
  FunctionToolsExecutedEvent,
  MetricsCollectedEvent,
  OverlappingSpeechEvent,
  SessionUsageUpdatedEvent,
  SpeechCreatedEvent,
  UserInputTranscribedEvent,
  UserState,
  UserStateChangedEvent,
} from '../session/events.js';
export type { AgentSessionUsage } from '../metrics/usage.js';
export type { EndpointingOptions, InterruptionOptions, PreemptiveGenerationOptions, TurnHandlingOptions } from '../turn/turn_handling.js';
export { SpeechHandle, type SpeechSource } from '../speech/speech_handle.js';
export type { RoomInputOptions, RoomOutputOptions } from '../session/room_options.js';
export * as testing from '../testing/index.js';
