/**
 * The runtime's event types, named `domain:action`, and their payloads. The registry is an
 * interface so that plugins add their own events by module augmentation, and every `emit` and
 * every handler is typed from it:
 *
 *   declare module 'voxstate' {
 *     interface RuntimeEventRegistry {
 *       'weather:fetched': { city: string; celsius: number };
 *     }
 *   }
 *
 * Payloads carry no runtime (handlers receive it as their second argument) and are shared by all
 * the handlers of one emit: a handler that changes one changes it for the handlers after it.
 */
import type { VoxstateError } from '../errors.js';
import type { ChatMessage } from '../llm/chat_context.js';
import type { ModelMetrics } from '../provider/metrics.js';
import type { Participant, Room } from '../room/room.js';
import type { AgentSession } from '../session/agent_session.js';

/** A world: whatever groups rooms for an application (a server, a tenant). Published by user code. */
export interface WorldPayload {
  worldId: string;
  metadata?: Record<string, unknown>;
}

/** A participant of a room (LiveKit's participant; ElizaOS's entity). */
export interface EntityPayload {
  /** The participant's identity. */
  entityId: string;
  participant: Participant;
  roomName: string;
}

/** A participant's attributes changed; `changed` holds the new values of the changed keys. */
export interface EntityUpdatedPayload extends EntityPayload {
  changed: Readonly<Record<string, string>>;
}

/** The job's room was joined (connected) or left (disconnected). */
export interface RoomPayload {
  roomName: string;
  room: Room;
  /** The job, when the room is a job's room. */
  jobId?: string;
  /** Why the room was left (room:left only). */
  reason?: string;
}

/** A message of the conversation: the user's (received) or the agent's (sent). */
export interface MessagePayload {
  session: AgentSession;
  message: ChatMessage;
  /** The run (user turn) the message belongs to, when known. */
  runId?: string;
}

/** Someone started or stopped speaking: the user (VAD) or the agent (its audio or text). */
export interface VoicePayload {
  session: AgentSession;
  speaker: 'user' | 'agent';
  /** How long the voice lasted, in ms (voice:ended only). */
  durationMs?: number;
}

/** One user turn and everything the agent did about it (replies, tool calls, follow-ups). */
export interface RunPayload {
  runId: string;
  session: AgentSession;
  /** The user's message that started the run. */
  message: ChatMessage;
  startedAt: number;
}

export interface RunEndedPayload extends RunPayload {
  endedAt: number;
  durationMs: number;
  /** The speeches the run produced. */
  speechIds: string[];
  /** Whether the agent answered at all (false when, e.g., onUserTurnCompleted raised StopResponse). */
  replied: boolean;
  /** Whether a speech of the run was interrupted. */
  interrupted: boolean;
}

export interface RunFailedPayload extends RunEndedPayload {
  error: VoxstateError;
}

/** The run had not ended `timeoutMs` after it started (it goes on; run:completed may still follow). */
export interface RunTimeoutPayload extends RunPayload {
  timeoutMs: number;
}

/** One function tool call (an ElizaOS action). */
export interface ActionPayload {
  session: AgentSession;
  runId?: string;
  speechId: string;
  callId: string;
  name: string;
  /** The arguments as the LLM sent them (JSON text). */
  arguments: string;
}

export interface ActionCompletedPayload extends ActionPayload {
  output: string;
  durationMs: number;
}

export interface ActionFailedPayload extends ActionCompletedPayload {
  error: VoxstateError;
}

/** An evaluator of the application's own (voxstate has none built in). Published by user code. */
export interface EvaluatorPayload {
  evaluatorId: string;
  name: string;
  runId?: string;
  durationMs?: number;
  error?: VoxstateError;
}

export type ModelType = 'llm' | 'stt' | 'tts' | 'vad';

/** A model request finished, as measured by the model plugin (its `metrics_collected`). */
export interface ModelUsedPayload {
  session?: AgentSession;
  runId?: string;
  modelType: ModelType;
  /** e.g. "openai" (the label's part before the slash). */
  provider: string;
  /** The model's label, e.g. "openai/gpt-4.1-mini". */
  model: string;
  durationMs: number;
  /** LLM token counts. */
  tokens?: { prompt: number; completion: number; total: number };
  metrics: ModelMetrics;
}

/** A model request failed for good (the session's `error` from that model). */
export interface ModelFailedPayload {
  session?: AgentSession;
  runId?: string;
  modelType: ModelType;
  /** The session's model of that type, e.g. "openai/gpt-4.1-mini", when it has a label. */
  model?: string;
  /** The provider: the one the error names (ProviderError), else the label's. */
  provider?: string;
  error: VoxstateError;
}

/** Model usage summed over one period, per model (see ModelUsageAggregator). */
export interface ModelUsage {
  modelType: ModelType | string;
  provider: string;
  model: string;
  requests: number;
  failures: number;
  totalDurationMs: number;
  avgDurationMs: number;
  maxDurationMs: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

export interface ModelUsagePayload {
  /** The period summed up, in ms (from the previous flush). */
  periodMs: number;
  usage: ModelUsage[];
}

/** A plugin's service started, stopped, or failed to do either. */
export interface ServicePayload {
  plugin: string;
  service: string;
}

export interface ServiceErrorPayload extends ServicePayload {
  phase: 'start' | 'stop';
  error: VoxstateError;
}

/** A handler or middleware failed; the other handlers were not affected. */
export interface BusErrorPayload {
  /** The event being delivered. */
  eventType: string;
  error: VoxstateError;
  source: 'handler' | 'middleware';
}

/**
 * Every event the runtime knows, by name, with its payload. Extend it by module augmentation of
 * 'voxstate' (see the file's header); the names already here cannot be redeclared with another
 * payload.
 */
export interface RuntimeEventRegistry {
  'world:joined': WorldPayload;
  'world:connected': WorldPayload;
  'world:left': WorldPayload;
  'entity:joined': EntityPayload;
  'entity:left': EntityPayload;
  'entity:updated': EntityUpdatedPayload;
  'room:joined': RoomPayload;
  'room:left': RoomPayload;
  'message:received': MessagePayload;
  'message:sent': MessagePayload & { interrupted: boolean; speechId?: string };
  'voice:started': VoicePayload;
  'voice:ended': VoicePayload;
  'run:started': RunPayload;
  'run:completed': RunEndedPayload;
  'run:failed': RunFailedPayload;
  'run:timeout': RunTimeoutPayload;
  'action:started': ActionPayload;
  'action:completed': ActionCompletedPayload;
  'action:failed': ActionFailedPayload;
  'evaluator:started': EvaluatorPayload;
  'evaluator:completed': EvaluatorPayload;
  'evaluator:failed': EvaluatorPayload & { error: VoxstateError };
  'model:used': ModelUsedPayload;
  'model:failed': ModelFailedPayload;
  'model:usage': ModelUsagePayload;
  'service:started': ServicePayload;
  'service:stopped': ServicePayload;
  'service:error': ServiceErrorPayload;
  /** A handler or middleware failed (handlers of `error` that fail are only logged). */
  error: BusErrorPayload;
}

/** The name of a registered event. */
export type RuntimeEventType = keyof RuntimeEventRegistry & string;

/** The payload of event `K`. */
export type RuntimeEventPayload<K extends RuntimeEventType> = RuntimeEventRegistry[K];

/** An event as middleware sees it: its type and payload, typed together (a discriminated union). */
export type RuntimeEvent<K extends RuntimeEventType = RuntimeEventType> = {
  [T in K]: { readonly type: T; readonly payload: RuntimeEventRegistry[T] };
}[K];
