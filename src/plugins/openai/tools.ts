/**
 * Function tools as OpenAI's `tools`, each with the JSON Schema of its parameters (zod's converter,
 * or the raw JSON Schema as declared). A tool is sent with `strict: true` when its schema already
 * meets the rules of OpenAI's strict mode (every object closed with `additionalProperties: false`
 * and all its properties required, only the keywords strict mode supports), so the model's
 * arguments are guaranteed to match it. A tool with optional parameters is sent non-strict, as it
 * is: strict mode would force the model to send every parameter, and the tool's own check would
 * then refuse them.
 */
import type { ChatCompletionFunctionTool } from 'openai/resources/chat/completions';
import type { ChatRequest } from '../../llm/llm.js';
import { toJsonSchema, type JSONSchema } from '../../llm/tool_parameters.js';

export function toOpenAITools(tools: ChatRequest['tools']): ChatCompletionFunctionTool[] {
  return tools.map(({ name, tool }) => {
    const schema = toJsonSchema(tool.parameters, `tool ${name}`);
    const strict = strictSchema(schema);
    return {
      type: 'function',
      function: { name, description: tool.description, parameters: strict ?? schema, strict: strict !== undefined },
    };
  });
}

// What strict mode supports (OpenAI's structured outputs guide): structure, annotations, and the
// numeric and array bounds zod writes for z.int() or .min() on an array.
const KEYWORDS = new Set([
  ...['type', 'description', 'title', 'properties', 'required', 'additionalProperties', 'items', 'enum', 'const', 'anyOf'],
  ...['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'minItems', 'maxItems'],
]);
const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']);

/**
 * `schema` (a tool's parameters) as strict mode takes it — each object's `required` spelled out,
 * also when it is empty (zod leaves it out) — or undefined when it must be sent non-strict.
 */
export function strictSchema(schema: JSONSchema): JSONSchema | undefined {
  return schema.type === 'object' ? strictNode(schema) : undefined;
}

function strictNode(schema: unknown): JSONSchema | undefined {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return undefined;
  const node = schema as JSONSchema;
  if (Object.keys(node).some((key) => !KEYWORDS.has(key))) return undefined;
  const types = node.type === undefined ? [] : Array.isArray(node.type) ? node.type : [node.type];
  if (!types.every((type) => typeof type === 'string' && TYPES.has(type))) return undefined;
  const strict: JSONSchema = { ...node };
  if (node.anyOf !== undefined) {
    const anyOf = Array.isArray(node.anyOf) ? node.anyOf.map(strictNode) : [undefined];
    if (anyOf.includes(undefined)) return undefined;
    strict.anyOf = anyOf as JSONSchema[];
  }
  if (types.includes('object')) {
    const properties = node.properties ?? {};
    if (typeof properties !== 'object' || Array.isArray(properties) || node.additionalProperties !== false) return undefined;
    const required = new Set(Array.isArray(node.required) ? node.required : []);
    const keys = Object.keys(properties);
    if (!keys.every((key) => required.has(key))) return undefined;
    const strictProperties: Record<string, JSONSchema> = {};
    for (const key of keys) {
      const property = strictNode(properties[key]);
      if (property === undefined) return undefined;
      strictProperties[key] = property;
    }
    Object.assign(strict, { properties: strictProperties, required: keys });
  }
  if (types.includes('array')) {
    const items = strictNode(node.items);
    if (items === undefined) return undefined;
    strict.items = items;
  }
  return strict;
}
