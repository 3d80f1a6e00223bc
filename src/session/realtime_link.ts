/**
 * A session's conversation with a realtime (speech-to-speech) model: the user's audio goes to the
 * model's session, and what the model says and hears comes back as the session's own doings, through
 * a narrow scope (the user speaking, their transcript, a response the model started by itself,
 * failures). The session plays each generation as a speech (see AgentSession).
 */
import type { AudioFrame } from '../audio/audio_frame.js';
import type { ChatContext } from '../llm/chat_context.js';
import type { GenerationCreatedEvent, RealtimeModel, RealtimeModelMetrics, RealtimeSession, RealtimeToolDefinition } from '../llm/realtime.js';
import type { Agent } from '../agent/agent.js';
import { toJsonSchema } from '../llm/tool_parameters.js';
import type { NamedTool } from '../llm/tool_set.js';
import type { ProviderError } from '../provider/provider_error.js';

/** What the link needs from the session. */
export interface RealtimeScope {
  /** The model heard the user start (true) or stop (false) speaking. */
  userSpeaking(speaking: boolean): void;
  /** The model's transcript of what the user said. */
  userTranscribed(transcript: string): void;
  /** A response the model started by itself (its turn detection): a speech to play. */
  generated(generation: GenerationCreatedEvent): void;
  /** A failure: a recoverable one is logged, the session goes on; else it closes with it. */
  report(error: ProviderError): void;
  /** A response's measurements (its tokens count in the session's usage). */
  metrics(metrics: RealtimeModelMetrics): void;
  /** The model's connection is back, as a new server session: it needs the conversation so far. */
  reconnected(): void;
  /** The tools `agent` offers now (its own, and a flow's transitions). */
  toolsOf(agent: Agent): NamedTool[];
}

/** Whether `llm` is a realtime model rather than an LLM. */
export function isRealtimeModel(llm: unknown): llm is RealtimeModel {
  return typeof llm === 'object' && llm !== null && typeof (llm as RealtimeModel).session === 'function' && 'capabilities' in llm;
}

export class RealtimeLink {
  readonly #session: RealtimeSession;
  readonly #toolsOf: (agent: Agent) => NamedTool[];

  /** Opens a session of `model` speaking as `agent` (its instructions and tools). */
  constructor(model: RealtimeModel, agent: Agent | undefined, scope: RealtimeScope) {
    const session = model.session({ instructions: agent?.instructions ?? '' });
    this.#session = session;
    this.#toolsOf = scope.toolsOf;
    const tools = agent ? this.#definitions(agent) : [];
    if (tools.length > 0) session.updateTools(tools);
    session.on('input_speech_started', () => scope.userSpeaking(true));
    session.on('input_speech_stopped', () => scope.userSpeaking(false));
    session.on('input_audio_transcription_completed', ({ transcript, isFinal }) => {
      if (isFinal && transcript.trim() !== '') scope.userTranscribed(transcript);
    });
    // generateReply's own responses are returned to it; the others the model started by itself.
    session.on('generation_created', (generation) => {
      if (!generation.userInitiated) scope.generated(generation);
    });
    session.on('error', (error) => scope.report(error));
    session.on('metrics_collected', (metrics) => scope.metrics(metrics));
    session.on('reconnected', () => scope.reconnected());
  }

  get capabilities(): RealtimeSession['capabilities'] {
    return this.#session.capabilities;
  }

  /** Resolves once connected; rejects with the model's typed error when it could not connect. */
  get ready(): Promise<void> {
    return this.#session.ready;
  }

  pushAudio(frame: AudioFrame): void {
    this.#session.pushAudio(frame);
  }

  /** The user's turn is over (the session's own turn detection): the audio so far is their message. */
  commitAudio(): void {
    this.#session.commitAudio();
  }

  /** Asks the model for a response (its generation is returned here, not given to the scope). */
  generateReply(instructions?: string): Promise<GenerationCreatedEvent> {
    return this.#session.generateReply(instructions);
  }

  /** Something the user typed, as a user message of the model's conversation. */
  sendUserMessage(text: string): void {
    this.#session.sendUserMessage(text);
  }

  /** The conversation so far, into a model that lost it (a new server session). */
  restore(chatCtx: ChatContext): void {
    this.#session.updateChatCtx(chatCtx);
  }

  /** A called function's output, into the model's conversation. */
  sendFunctionOutput(callId: string, output: string): void {
    this.#session.sendFunctionOutput(callId, output);
  }

  /** Another agent is in charge: the model takes its instructions and tools, on the same connection. */
  updateAgent(agent: Agent): void {
    this.#session.updateInstructions(agent.instructions);
    this.#session.updateTools(this.#definitions(agent));
  }

  /** The response in progress stops; the message is cut where the user stopped hearing it. */
  interrupted(messageId: string | undefined, playedMs: number): void {
    this.#session.interrupt();
    if (messageId !== undefined && this.#session.capabilities.messageTruncation) this.#session.truncate({ messageId, audioEndMs: playedMs });
  }

  close(): Promise<void> {
    return this.#session.close();
  }

  /** `agent`'s tools as the model sees them (their parameters' JSON Schema, as an LLM gets it). */
  #definitions(agent: Agent): RealtimeToolDefinition[] {
    return this.#toolsOf(agent).map(({ name, tool }) => ({
      name,
      description: tool.description,
      parameters: toJsonSchema(tool.parameters, `tool ${name}`) as Record<string, unknown>,
    }));
  }
}
