/**
 * What an AgentSession needs from a language model: a stream of chunks for a chat context and a
 * set of tools. Providers (OpenAI and any compatible server) implement it; tokens flow on the
 * stream, never through an actor.
 */
import type { ChatContext } from './chat_context.js';
import type { NamedTool } from './tool_set.js';

/**
 * Whether the LLM may call tools: as it sees fit ('auto'), not at all ('none'), at least one
 * ('required'), or the one named (agents-js's and OpenAI's `{ type: 'function', function: { name } }`).
 */
export type ToolChoice = 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } };

export interface ChatRequest {
  /** The agent's instructions, sent as the system message. */
  instructions: string;
  chatCtx: ChatContext;
  /** The agent's tools under their names; `toJsonSchema(tool.parameters)` is the schema to send. */
  tools: readonly NamedTool[];
  toolChoice: ToolChoice;
  signal: AbortSignal;
}

export type ChatChunk =
  | { type: 'content'; text: string }
  | { type: 'tool_call'; callId: string; name: string; arguments: string }
  | { type: 'usage'; promptTokens: number; completionTokens: number };

export interface LLM {
  /** provider/model, e.g. "openai/gpt-4.1-mini". */
  readonly label: string;
  chat(request: ChatRequest): AsyncIterable<ChatChunk>;
}
