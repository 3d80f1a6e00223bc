/**
 * An agent's tools, in either of agents-js's two forms: an array of named tools
 * (`[tool({ name: 'getWeather', … })]`) or a map of anonymous tools named by their keys
 * (`{ getWeather: tool({ … }) }`, the seeds' form). Both become one list of named tools, with
 * every name once.
 */
import type { FunctionTool, NamedFunctionTool } from './function_tool.js';
import { ToolDeclarationError } from './tool_errors.js';

/** Tools by name: the map form. */
// biome-ignore lint: the argument types differ per tool; each tool checks its own at run time
export type ToolSet<UserData = unknown> = Record<string, FunctionTool<any, UserData, unknown>>;

/** What an agent's `tools` may be: an array of named tools, or a map name → tool. */
// biome-ignore lint: as ToolSet
export type AgentTools<UserData = unknown> = ToolSet<UserData> | readonly NamedFunctionTool<any, UserData, unknown>[];

/** One tool under the name the LLM calls it by. */
export interface NamedTool<UserData = unknown> {
  readonly name: string;
  // biome-ignore lint: as ToolSet
  readonly tool: FunctionTool<any, UserData, unknown>;
}

/**
 * The tools of `tools` under their names, in declaration order. Throws ToolDeclarationError for a
 * name given twice, a tool without a name in the array form, a tool whose own name differs from
 * its key in the map form, or anything that is not a tool. `owner` names whose tools they are.
 */
export function toolEntries<UserData>(tools: AgentTools<UserData>, owner: string): NamedTool<UserData>[] {
  if (tools === null || typeof tools !== 'object') {
    throw new ToolDeclarationError(`${owner}'s tools`, 'must be an array of named tools or a map name → tool');
  }
  const entries: NamedTool<UserData>[] = [];
  const seen = new Set<string>();
  const add = (name: unknown, tool: unknown, where: string) => {
    if (!isFunctionTool(tool)) throw new ToolDeclarationError(`${owner}'s tools`, `${where} is not a tool: declare it with tool({ … })`);
    if (typeof name !== 'string' || name === '') {
      throw new ToolDeclarationError(`${owner}'s tools`, `${where} has no name: give it one (tool({ name, … })), or put it in a map under its name`);
    }
    if (seen.has(name)) throw new ToolDeclarationError(`${owner}'s tools`, `two tools are named ${name}: every name must be given once`);
    seen.add(name);
    entries.push({ name, tool: tool as FunctionTool<unknown, UserData> });
  };
  if (Array.isArray(tools)) {
    tools.forEach((tool, i) => add(isFunctionTool(tool) ? tool.name : undefined, tool, `the tool at index ${i}`));
    return entries;
  }
  for (const [key, tool] of Object.entries(tools)) {
    if (isFunctionTool(tool) && tool.name !== undefined && tool.name !== key) {
      throw new ToolDeclarationError(`${owner}'s tools`, `the tool under key ${key} is named ${tool.name}: leave its name out, or use it as the key`);
    }
    add(key, tool, `the tool under key ${key}`);
  }
  return entries;
}

function isFunctionTool(value: unknown): value is FunctionTool {
  return typeof value === 'object' && value !== null && (value as FunctionTool).type === 'function' && typeof (value as FunctionTool).execute === 'function';
}
