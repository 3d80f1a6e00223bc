/**
 * Function tools: what an agent lets the LLM call. The description and the parameters (a zod
 * object schema, or a raw JSON Schema) are what the LLM sees; `execute` receives the checked,
 * typed arguments and the call's options (`ctx`, `toolCallId`, `abortSignal`), as in agents-js.
 *
 *   end_session: tool({
 *     description: 'When the user wants to stop talking to you, use this function to close the session.',
 *     execute: async (_args, { ctx }) => { await ctx.session.drain(); await ctx.session.aclose(); },
 *   })
 */
import type { RunContext } from './run_context.js';
import { ToolDeclarationError } from './tool_errors.js';
import { noParameters, toJsonSchema, type ToolArgs, type ToolParameters } from './tool_parameters.js';

/** What a tool's `execute` receives beside its arguments. */
export interface ToolOptions<UserData = unknown> {
  /** The session (typed by its userData), the speech and the call. */
  ctx: RunContext<UserData>;
  /** The id the LLM gave this call. */
  toolCallId: string;
  /** Fires when the call is cancelled (the reply was interrupted or the session closed). */
  abortSignal: AbortSignal;
}

/**
 * A function tool. Named tools (`tool({ name, … })`) go in an agent's tools array; anonymous ones
 * are named by their key in a tools map.
 */
// biome-ignore lint: a tool's argument type is its own; sets of tools hold any
export interface FunctionTool<Args = any, UserData = unknown, Result = unknown> {
  readonly type: 'function';
  /** The name the LLM calls it by; absent for a tool named by its key in a tools map. */
  readonly name?: string;
  /** What the LLM reads to decide when to call it. */
  readonly description: string;
  /** The schema of its arguments, as declared (see ToolParameters). */
  readonly parameters: ToolParameters;
  execute(args: Args, opts: ToolOptions<UserData>): Result | Promise<Result>;
}

/** A tool with a name of its own, as agents' tools arrays hold them. */
// biome-ignore lint: as FunctionTool
export type NamedFunctionTool<Args = any, UserData = unknown, Result = unknown> = FunctionTool<Args, UserData, Result> & { readonly name: string };

/** What `tool()` takes. */
export interface ToolDefinition<Parameters extends ToolParameters | undefined, UserData, Result> {
  /** The name the LLM calls it by. Give one for the tools array form; leave it out in a tools map, whose key names it. */
  name?: string;
  /** What the LLM reads to decide when to call it. */
  description: string;
  /**
   * Its arguments: a zod object schema (checked by zod, typed by it), or a raw JSON Schema of an
   * object (then only parsed as JSON: unchecked and untyped). Left out, the tool takes none and
   * receives `{}`. A zod schema JSON Schema cannot express (z.date(), z.bigint(), z.custom(), a
   * transform) is refused here, with a ToolDeclarationError.
   */
  parameters?: Parameters;
  /**
   * Runs the call. What it returns is the output the LLM sees: text as it is, other values as
   * JSON, nothing as an empty output (and then no follow-up reply). Returning an Agent, or
   * `handoff({ agent, returns })`, hands the conversation over. Throwing ToolError sends its
   * message to the LLM as an error output.
   */
  execute: (args: ToolArgs<Parameters>, opts: ToolOptions<UserData>) => Result | Promise<Result>;
}

/**
 * Declares a function tool (agents-js's `llm.tool`). The arguments are typed by the schema, and
 * `opts.ctx.userData` by the session's userData (annotate `opts` as `ToolOptions<UserData>`, or
 * declare the tool where an `Agent<UserData>` expects it).
 *
 * @example
 * ```ts
 * const getWeather = tool({
 *   name: 'getWeather',
 *   description: 'The weather in a city',
 *   parameters: z.object({ city: z.string().describe('the city') }),
 *   execute: async ({ city }) => `sunny in ${city}`,
 * });
 * new Agent({ instructions: '…', tools: [getWeather] });
 * ```
 */
export function tool<UserData = unknown, Parameters extends ToolParameters | undefined = undefined, Result = unknown>(
  definition: ToolDefinition<Parameters, UserData, Result> & { name: string },
): NamedFunctionTool<ToolArgs<Parameters>, UserData, Result>;
export function tool<UserData = unknown, Parameters extends ToolParameters | undefined = undefined, Result = unknown>(
  definition: ToolDefinition<Parameters, UserData, Result>,
): FunctionTool<ToolArgs<Parameters>, UserData, Result>;
export function tool(definition: ToolDefinition<ToolParameters | undefined, unknown, unknown>): FunctionTool {
  if (definition === null || typeof definition !== 'object') throw new ToolDeclarationError('a tool', 'tool() needs { description, parameters?, execute }');
  const { name, description, execute } = definition;
  const label = typeof name === 'string' && name !== '' ? `tool ${name}` : typeof description === 'string' && description.trim() !== '' ? `tool described as ${JSON.stringify(description.slice(0, 60))}` : 'a tool';
  if (name !== undefined && (typeof name !== 'string' || name === '')) throw new ToolDeclarationError(label, 'a name must be a non-empty string');
  if (typeof description !== 'string' || description.trim() === '') {
    throw new ToolDeclarationError(label, 'needs a description: it is what the LLM reads to decide when to call it');
  }
  if (typeof execute !== 'function') throw new ToolDeclarationError(label, 'needs an execute function');
  const parameters = definition.parameters ?? noParameters;
  toJsonSchema(parameters, label);
  return { type: 'function', ...(name === undefined ? {} : { name }), description, parameters, execute };
}

/** The seeds' name for `tool` (Python's `function_tool`): the same function. */
export const functionTool: typeof tool = tool;
