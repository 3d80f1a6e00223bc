/**
 * Realtime (speech-to-speech) models, as agents-js shapes them: a RealtimeModel makes sessions; a
 * RealtimeSession takes the user's audio and answers with generations, each a stream of messages
 * (their text and their audio) and of function calls. Audio and text flow on streams; only the
 * session's edges (speech started and stopped, a generation, a transcript) are events.
 */
import type { AudioFrame } from '../audio/audio_frame.js';
import type { EventEmitter } from '../events/emitter.js';
import type { RealtimeModelMetrics } from '../provider/metrics.js';
import type { ProviderError } from '../provider/provider_error.js';
import type { ChatContext, FunctionCall } from './chat_context.js';

export type { RealtimeModelMetrics } from '../provider/metrics.js';

/** What a realtime model can do; the session adapts to it. */
export interface RealtimeCapabilities {
  /** An answer the user interrupted can be cut where they stopped hearing it. */
  messageTruncation: boolean;
  /** The server decides when the user starts and stops speaking (its own VAD). */
  turnDetection: boolean;
  /** The server transcribes what the user said. */
  userTranscription: boolean;
  /** The model answers with audio (not only text). */
  audioOutput: boolean;
  /**
   * The model cancels its own answer when it hears the user (OpenAI's server VAD by default): the
   * session cannot hold the answer and resume it after a false interruption.
   */
  interruptsItself: boolean;
}

/** A function the model may call: its name, what it does, and the JSON Schema of its arguments. */
export interface RealtimeToolDefinition {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

/** One message of a generation: its transcript and its audio, as they come. */
export interface MessageGeneration {
  messageId: string;
  textStream: AsyncIterable<string>;
  audioStream: AsyncIterable<AudioFrame>;
}

/** A response of the model: its messages and its function calls, each a stream that ends with it. */
export interface GenerationCreatedEvent {
  responseId: string;
  messageStream: AsyncIterable<MessageGeneration>;
  functionStream: AsyncIterable<FunctionCall>;
  /** Asked for by generateReply (not started by the server's turn detection). */
  userInitiated: boolean;
}

export interface InputTranscriptionCompleted {
  itemId: string;
  transcript: string;
  isFinal: boolean;
}


export type RealtimeSessionEvents = {
  /** The server heard the user start speaking (server-side turn detection). */
  input_speech_started: () => void;
  /** … and stop. */
  input_speech_stopped: (event: { userTranscriptionEnabled: boolean }) => void;
  input_audio_transcription_completed: (event: InputTranscriptionCompleted) => void;
  generation_created: (event: GenerationCreatedEvent) => void;
  metrics_collected: (metrics: RealtimeModelMetrics) => void;
  /** A failure; `error.recoverable` says whether the session goes on. */
  error: (error: ProviderError) => void;
  /** The connection dropped and is back: the session's instructions and tools were sent again. */
  reconnected: () => void;
};

/** One conversation with a realtime model, over one connection. */
export interface RealtimeSession extends EventEmitter<RealtimeSessionEvents> {
  readonly capabilities: RealtimeCapabilities;
  /** Resolves once connected, with the session's configuration sent. */
  readonly ready: Promise<void>;
  updateInstructions(instructions: string): void;
  /** The functions the model may call (sent again on every connection). */
  updateTools(tools: RealtimeToolDefinition[]): void;
  /** A called function's output, into the model's conversation (no response by itself). */
  sendFunctionOutput(callId: string, output: string): void;
  /** Adds a user message the user typed to the model's conversation (no response by itself). */
  sendUserMessage(text: string): void;
  /** Puts `chatCtx`'s messages, calls and outputs into the model's conversation (a new server session: after a reconnection). */
  updateChatCtx(chatCtx: ChatContext): void;
  /** The user's audio, any rate and channel count (hot path: no actor involved). */
  pushAudio(frame: AudioFrame): void;
  /** Ends the user's input turn (client-side turn detection). */
  commitAudio(): void;
  clearAudio(): void;
  /** Asks for a response; resolves when it has started. */
  generateReply(instructions?: string): Promise<GenerationCreatedEvent>;
  /** Cancels the response in progress, if any. */
  interrupt(): void;
  /** Cuts the message `messageId` where the user stopped hearing it. */
  truncate(options: { messageId: string; audioEndMs: number }): void;
  close(): Promise<void>;
}

/** A realtime model: `session()` opens a conversation with it. */
export interface RealtimeModel {
  readonly label: string;
  readonly capabilities: RealtimeCapabilities;
  session(options?: { instructions?: string }): RealtimeSession;
}
