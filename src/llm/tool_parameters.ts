/**
 * Parameters of function tools: a zod object schema (as agents-js and the openai SDK take them) or
 * a raw JSON Schema. This module turns them into the JSON Schema the LLM sees — zod's own
 * converter, at declaration, so a schema that cannot be sent fails where it is written — and
 * checks the arguments the LLM actually sent against them.
 *
 *   const args = z.object({ city: z.string().describe('city name'), days: z.int().optional() });
 *   // ToolArgs<typeof args> is { city: string; days?: number | undefined }
 */
import { z } from 'zod';
import { ToolDeclarationError } from './tool_errors.js';

/** A JSON Schema, as an LLM receives it. */
export type JSONSchema = z.core.JSONSchema.BaseSchema;

/**
 * What a tool's `parameters` may be: a zod schema of an object (its arguments are then checked
 * by zod and typed by it), or a raw JSON Schema of an object (its arguments are then only parsed
 * as JSON: nothing checks them, and the tool receives them untyped).
 */
// biome-ignore lint: any object schema, whatever its shape
export type ToolParameters = z.core.$ZodType<Record<string, any>> | JSONSchema;

/**
 * The arguments a tool receives for its `parameters`: zod's output type for a zod schema, `any`
 * for a raw JSON Schema (nothing infers a type from it), `{}` for a tool without parameters.
 */
export type ToolArgs<P> = [P] extends [undefined]
  ? Record<string, never>
  : P extends z.core.$ZodType
    ? z.output<P>
    : // biome-ignore lint: a raw JSON Schema gives no type to infer
      any;

/** A checked value, or a message saying what is wrong with it. */
export type CheckResult<T> = { ok: true; value: T } | { ok: false; problem: string };

/** The parameters of a tool that takes none. */
export const noParameters = z.object({});

const isZodSchema = (value: object): value is z.core.$ZodType => '_zod' in value;
const isZod3Schema = (value: object) => '_def' in value && typeof (value as { _def: { typeName?: unknown } })._def?.typeName === 'string';

const converted = new WeakMap<object, JSONSchema>();

/**
 * The JSON Schema the LLM is sent for `parameters`: zod's converter for a zod schema, the object
 * itself for a raw JSON Schema. Throws ToolDeclarationError (naming `tool` and the part at fault)
 * when `parameters` is not the schema of an object or has a part JSON Schema cannot express
 * (z.date(), z.bigint(), z.custom(), a transform, …).
 */
export function toJsonSchema(parameters: ToolParameters, tool = 'a tool'): JSONSchema {
  const known = converted.get(parameters);
  if (known) return known;
  if (parameters === null || typeof parameters !== 'object' || Array.isArray(parameters)) {
    throw new ToolDeclarationError(tool, 'parameters must be a zod object schema (z.object({...})) or a JSON Schema of an object');
  }
  if (isZod3Schema(parameters) && !isZodSchema(parameters)) {
    throw new ToolDeclarationError(tool, 'parameters is a zod 3 schema; voxstate takes zod 4 schemas (import { z } from "zod" with zod ≥ 4)');
  }
  const schema = isZodSchema(parameters) ? fromZod(parameters, tool) : parameters;
  if (schema.type !== 'object') {
    throw new ToolDeclarationError(tool, `parameters must describe an object (z.object({...}) or { type: 'object', … }), not ${JSON.stringify(schema.type ?? 'any value')}`);
  }
  converted.set(parameters, schema);
  return schema;
}

function fromZod(parameters: z.core.$ZodType, tool: string): JSONSchema {
  // The LLM produces what the tool receives, so the schema is zod's output side: a transform or
  // a type JSON cannot carry has no schema the LLM could meet.
  const { $schema: _dialect, ...schema } = z.toJSONSchema(parameters, {
    io: 'output',
    unrepresentable: ({ path, message }) => {
      throw new ToolDeclarationError(tool, `parameters${schemaPath(path)} cannot be sent to an LLM: ${message}`);
    },
  });
  return schema;
}

/** `.city.tags[]` for the JSON Schema path ['properties', 'city', 'properties', 'tags', 'items']. */
function schemaPath(path: readonly (string | number)[]): string {
  let text = '';
  for (let i = 0; i < path.length; i++) {
    const step = path[i];
    if (step === 'properties' && i + 1 < path.length) text += `.${path[++i]}`;
    else if (step === 'items') text += '[]';
    else if (typeof step === 'number') text += `[${step}]`;
    else text += ` (${step})`;
  }
  return text;
}

/**
 * Parses and checks the arguments an LLM sent for a tool (JSON text; empty means none): by zod
 * for a zod schema, by JSON.parse alone for a raw JSON Schema. Whatever the text — invalid, huge,
 * nested a million levels deep — the answer is a result, never a throw: the problem goes back to
 * the LLM as the tool's error output, in a few lines however many problems there were.
 */
export async function parseToolArguments(parameters: ToolParameters, text: string): Promise<CheckResult<unknown>> {
  let value: unknown = {};
  if (text.trim() !== '') {
    try {
      value = JSON.parse(text);
    } catch (error) {
      return { ok: false, problem: `arguments are not valid JSON (${clip(error instanceof Error ? error.message : String(error))})` };
    }
  }
  if (!isZodSchema(parameters)) return { ok: true, value };
  // zod looks arguments up by name: while it checks them they have no prototype, so a missing
  // `toString` or `constructor` is missing rather than found on Object.prototype.
  const detached = detachPrototypes(value);
  try {
    const result = await z.safeParseAsync(parameters, value);
    return result.success ? { ok: true, value: result.data } : { ok: false, problem: describeIssues(result.error.issues) };
  } catch (error) {
    // A recursive schema descends as deep as the value goes, which may be deeper than the stack.
    if (error instanceof RangeError) return { ok: false, problem: 'arguments are nested too deeply' };
    return { ok: false, problem: `arguments could not be checked (${clip(error instanceof Error ? error.message : String(error))})` };
  } finally {
    for (const object of detached) Object.setPrototypeOf(object, Object.prototype);
  }
}

/** Takes the prototype off every plain object in `value` (JSON: objects and arrays), depth-first without recursion. */
function detachPrototypes(value: unknown): object[] {
  const detached: object[] = [];
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (next === null || typeof next !== 'object') continue;
    if (Array.isArray(next)) {
      for (const item of next) pending.push(item);
      continue;
    }
    Object.setPrototypeOf(next, null);
    detached.push(next);
    for (const key in next) pending.push((next as Record<string, unknown>)[key]);
  }
  return detached;
}

// What a refusal shows: enough for the LLM to see its mistake, bounded whatever it sent.
const SHOWN_ISSUES = 5;
const ISSUE_CHARS = 200;

const clip = (text: string) => (text.length <= ISSUE_CHARS ? text : `${text.slice(0, ISSUE_CHARS - 1)}…`);

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const lines = issues.slice(0, SHOWN_ISSUES).map((issue) => clip(issue.path.length > 0 ? `${valuePath(issue.path)}: ${issue.message}` : issue.message));
  if (issues.length > SHOWN_ISSUES) lines.push(`… (${issues.length} problems in all)`);
  return lines.join('; ');
}

/** `tags[1].name` for the path ['tags', 1, 'name']. */
function valuePath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const step of path) {
    if (text.length > ISSUE_CHARS) break;
    text += typeof step === 'number' ? `[${step}]` : `${text ? '.' : ''}${String(step)}`;
  }
  return text;
}
