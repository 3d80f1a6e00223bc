/**
 * The `llm` namespace, as agents-js has it, for what voxstate has: function tools and handoffs,
 * the conversation history and its items, and what an LLM provider implements.
 *
 *   import { llm } from 'voxstate';
 *   const lookup = llm.tool({ description: '…', parameters: z.object({ … }), execute: async (args, { ctx }) => … });
 */
export { tool, functionTool, type FunctionTool, type NamedFunctionTool, type ToolDefinition, type ToolOptions } from './function_tool.js';
export { handoff, AgentHandoff } from './handoff.js';
export { RunContext } from './run_context.js';
export { ToolError, ToolDeclarationError } from './tool_errors.js';
export { toJsonSchema, type JSONSchema, type ToolArgs, type ToolParameters } from './tool_parameters.js';
export type { AgentTools, NamedTool, ToolSet } from './tool_set.js';
export {
  ChatContext,
  type AgentHandoffItem,
  type ChatItem,
  type ChatMessage,
  type ChatRole,
  type FunctionCall,
  type FunctionCallOutput,
} from './chat_context.js';
export type { ChatChunk, ChatRequest, LLM, ToolChoice } from './llm.js';
