/**
 * Function tools: what an agent lets the LLM call. The description and the parameters are what the
 * LLM sees; `execute` receives the checked, typed arguments.
 *
 *   end_session: functionTool({
 *     description: 'When the user wants to stop talking to you, use this function to close the session.',
 *     execute: async (_args, { session }) => { await session.drain(); await session.aclose(); },
 *   })
 */
import type { Param } from './tool_parameters.js';
import { noParameters } from './tool_parameters.js';

/** What a tool's code can reach while it runs. */
export interface ToolContext<S = unknown> {
  /** The session the call belongs to. */
  session: S;
  /** The id the LLM gave this call. */
  callId: string;
  /** Fires when the call is cancelled (the reply was interrupted or the session closed). */
  signal: AbortSignal;
}

export interface FunctionTool<Args = unknown, Result = unknown> {
  readonly description: string;
  readonly parameters: Param<Args>;
  execute(args: Args, context: ToolContext): Result | Promise<Result>;
}

export interface FunctionToolDefinition<Args, Result> {
  description: string;
  /** Defaults to no parameters. Build it with `p.object({...})`. */
  parameters?: Param<Args>;
  execute(args: Args, context: ToolContext): Result | Promise<Result>;
}

/** Declares a function tool. */
export function functionTool<Args = Record<string, never>, Result = unknown>(
  definition: FunctionToolDefinition<Args, Result>,
): FunctionTool<Args, Result> {
  if (typeof definition.description !== 'string' || definition.description.trim() === '') {
    throw new TypeError('functionTool needs a description: it is what the LLM reads to decide when to call it');
  }
  if (typeof definition.execute !== 'function') throw new TypeError('functionTool needs an execute function');
  return {
    description: definition.description,
    parameters: definition.parameters ?? (noParameters as unknown as Param<Args>),
    execute: definition.execute,
  };
}

/** A tool registry as agents hold it: tool name → tool (each with its own argument type). */
// biome-ignore lint: the argument types differ per tool; each tool checks its own at run time
export type ToolSet = Record<string, FunctionTool<any, unknown>>;
