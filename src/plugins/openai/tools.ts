/**
 * Function tools as OpenAI's `tools`. Each tool is sent with `strict: true` when its JSON Schema
 * already meets the rules of OpenAI's strict mode (every object closed with
 * `additionalProperties: false` and listing all its properties as required, only the keywords
 * strict mode supports), so the model's arguments are guaranteed to match it. A tool with optional
 * parameters is sent non-strict, as it is: strict mode would force the model to send every
 * parameter, and the tool's own check would then refuse them.
 */
import type { ChatCompletionFunctionTool } from 'openai/resources/chat/completions';
import type { ChatRequest } from '../../llm/llm.js';

export function toOpenAITools(tools: ChatRequest['tools']): ChatCompletionFunctionTool[] {
  return tools.map(({ name, tool }) => {
    const schema = tool.parameters.schema;
    return {
      type: 'function',
      function: { name, description: tool.description, parameters: schema, strict: isStrictSchema(schema) },
    };
  });
}

const KEYWORDS = new Set(['type', 'description', 'title', 'properties', 'required', 'additionalProperties', 'items', 'enum', 'const', 'anyOf']);
const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']);

/** Whether `schema` (a tool's parameters) can be sent with `strict: true` unchanged. */
export function isStrictSchema(schema: Record<string, unknown>): boolean {
  return schema.type === 'object' && fits(schema);
}

function fits(schema: unknown): boolean {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return false;
  const node = schema as Record<string, unknown>;
  if (Object.keys(node).some((key) => !KEYWORDS.has(key))) return false;
  const types = node.type === undefined ? [] : Array.isArray(node.type) ? node.type : [node.type];
  if (!types.every((type) => typeof type === 'string' && TYPES.has(type))) return false;
  if (node.anyOf !== undefined && !(Array.isArray(node.anyOf) && node.anyOf.every(fits))) return false;
  if (types.includes('object')) {
    const properties = (node.properties ?? {}) as Record<string, unknown>;
    if (typeof properties !== 'object' || Array.isArray(properties)) return false;
    const required = new Set(Array.isArray(node.required) ? node.required : []);
    if (node.additionalProperties !== false) return false;
    if (!Object.keys(properties).every((key) => required.has(key))) return false;
    if (!Object.values(properties).every(fits)) return false;
  }
  if (types.includes('array') && !fits(node.items)) return false;
  return true;
}
