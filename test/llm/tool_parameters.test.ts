import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import * as z3 from 'zod/v3';
import { ToolDeclarationError, tool } from '../../src/llm/index.js';
import { parseToolArguments, toJsonSchema, type JSONSchema, type ToolArgs } from '../../src/llm/tool_parameters.js';

describe('tool parameters (zod)', () => {
  const params = z.object({
    city: z.string().describe('City name'),
    days: z.int().optional(),
    units: z.enum(['metric', 'imperial']),
    tags: z.array(z.string()),
    exact: z.boolean(),
    ratio: z.number().nullable(),
  });

  it("gives the LLM zod's own JSON Schema, without the dialect line", () => {
    expect(toJsonSchema(params)).toEqual({
      type: 'object',
      properties: {
        city: { type: 'string', description: 'City name' },
        days: { type: 'integer', minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER },
        units: { type: 'string', enum: ['metric', 'imperial'] },
        tags: { type: 'array', items: { type: 'string' } },
        exact: { type: 'boolean' },
        ratio: { type: ['number', 'null'] },
      },
      required: ['city', 'units', 'tags', 'exact', 'ratio'],
      additionalProperties: false,
    });
  });

  it('types the arguments from the schema', () => {
    expectTypeOf<ToolArgs<typeof params>>().toEqualTypeOf<{
      city: string;
      days?: number | undefined;
      units: 'metric' | 'imperial';
      tags: string[];
      exact: boolean;
      ratio: number | null;
    }>();
    expectTypeOf<ToolArgs<undefined>>().toEqualTypeOf<Record<string, never>>();
  });

  const valid = { city: 'Paris', units: 'metric', tags: [], exact: true, ratio: null };
  it.each([
    [valid, undefined],
    [{ ...valid, units: 'kelvin' }, 'units: Invalid option: expected one of "metric"|"imperial"'],
    [{ ...valid, tags: ['a', 3] }, 'tags[1]: Invalid input: expected string, received number'],
    [{ ...valid, exact: 'yes' }, 'exact: Invalid input: expected boolean, received string'],
    [{ ...valid, days: 1.5 }, 'days: Invalid input: expected int, received number'],
    [{ units: 'metric', tags: [], exact: true, ratio: 1 }, 'city: Invalid input: expected string, received undefined'],
    [[], 'Invalid input: expected object, received array'],
  ])('checks %j', async (value, problem) => {
    const result = await parseToolArguments(params, JSON.stringify(value));
    expect(result).toEqual(problem === undefined ? { ok: true, value } : { ok: false, problem });
  });

  describe('arguments as the LLM sends them (JSON text): any text gives a short result, never a throw', () => {
    const nested = (open: string, close: string, depth: number) => open.repeat(depth) + close.repeat(depth);
    const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    const weather = z.strictObject({ city: z.string(), days: z.int().optional(), tags: z.array(z.string()).optional() });
    const tree: z.ZodType<{ kids: unknown[] }> = z.object({ kids: z.array(z.lazy(() => tree)) });

    it.each([
      ['arrays 5,000 deep where a string is due', weather, `{"city": ${nested('[', ']', 5_000)}}`, 'city: Invalid input: expected string, received array'],
      ['arrays 1,000,000 deep where a string is due', weather, `{"city": ${nested('[', ']', 1_000_000)}}`, 'city: Invalid input: expected string, received array'],
      ['objects 5,000 deep where an integer is due', weather, `{"city": "Paris", "days": ${deepObject(5_000)}}`, 'days: Invalid input: expected number, received object'],
      ['arrays 5,000 deep as an item', weather, `{"city": "Paris", "tags": ["a", ${nested('[', ']', 5_000)}]}`, 'tags[1]: Invalid input: expected string, received array'],
      ['arrays 5,000 deep as the whole arguments', weather, nested('[', ']', 5_000), 'Invalid input: expected object, received array'],
      ['a megabyte string where an integer is due', weather, `{"city": "Paris", "days": "${'9'.repeat(1_000_000)}"}`, 'days: Invalid input: expected number, received string'],
      ['a thousand wrong items', weather, `{"city": "Paris", "tags": [${Array(1_000).fill(1).join(',')}]}`, 'tags[0]: Invalid input: expected string, received number; tags[1]: '],
      ['two thousand unexpected arguments', weather, `{"city": "Paris", ${Array.from({ length: 2_000 }, (_, i) => `"x${i}": 0`).join(',')}}`, 'Unrecognized keys: "x0", "x1", '],
      ['an unexpected argument named like a property of every object', weather, '{"city": "Paris", "constructor": 1}', 'Unrecognized key: "constructor"'],
      ['a recursive schema 200,000 levels deep', tree, deepTree(200_000), 'arguments are nested too deeply'],
      ['not JSON', weather, '{"city": ', 'arguments are not valid JSON'],
    ])('%s', async (_label, schema, text, problem) => {
      const result = await parseToolArguments(schema, text);
      expect(result.ok).toBe(false);
      const message = (result as { problem: string }).problem;
      expect(message.startsWith(problem), message.slice(0, 300)).toBe(true);
      expect(message.length).toBeLessThan(1_300);
    });

    it('a thousand problems are told as five, and how many there were', async () => {
      const result = await parseToolArguments(weather, `{"city": "Paris", "tags": [${Array(1_000).fill(1).join(',')}]}`);
      expect((result as { problem: string }).problem.endsWith('… (1000 problems in all)')).toBe(true);
      expect((result as { problem: string }).problem.split('; ')).toHaveLength(6);
    });

    it('an argument the LLM left out is not found on Object.prototype, and objects reach the tool as plain objects', async () => {
      const named = z.object({ toString: z.string().optional(), constructor: z.string(), meta: z.any().optional() });
      expect(await parseToolArguments(named, '{}')).toEqual({ ok: false, problem: 'constructor: Invalid input: expected string, received undefined' });
      const result = await parseToolArguments(named, '{"constructor": "x", "meta": {"a": {"b": 1}}}');
      expect(result).toEqual({ ok: true, value: { constructor: 'x', meta: { a: { b: 1 } } } });
      const meta = (result as { value: { meta: { a: object } } }).value.meta;
      expect(Object.getPrototypeOf(meta)).toBe(Object.prototype);
      expect(Object.getPrototypeOf(meta.a)).toBe(Object.prototype);
    });

    it('no text means no arguments', async () => {
      expect(await parseToolArguments(z.object({}), '  ')).toEqual({ ok: true, value: {} });
      expect(await parseToolArguments(weather, '{"city": "Paris", "days": 2}')).toEqual({ ok: true, value: { city: 'Paris', days: 2 } });
    });

    it('async refinements run', async () => {
      const checked = z.object({ code: z.string().refine(async (code) => code.length === 3, 'a code has three letters') });
      expect(await parseToolArguments(checked, '{"code": "ABCD"}')).toEqual({ ok: false, problem: 'code: a code has three letters' });
    });
  });

  describe('a raw JSON Schema', () => {
    const raw: JSONSchema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };

    it('is passed through to the LLM as declared', () => {
      expect(toJsonSchema(raw)).toBe(raw);
    });

    it('has its arguments only parsed as JSON: unchecked, and untyped', async () => {
      expect(await parseToolArguments(raw, '{"city": 7, "extra": true}')).toEqual({ ok: true, value: { city: 7, extra: true } });
      expect(await parseToolArguments(raw, '{"city": ')).toMatchObject({ ok: false, problem: expect.stringContaining('not valid JSON') });
      expectTypeOf<ToolArgs<typeof raw>>().toBeAny();
    });
  });

  describe('a schema JSON Schema cannot express is refused where the tool is declared, naming the tool and the part', () => {
    it.each([
      ['z.date()', z.object({ when: z.date() }), 'tool book: parameters.when cannot be sent to an LLM: Date cannot be represented in JSON Schema'],
      ['z.custom()', z.object({ shape: z.custom<string>() }), 'tool book: parameters.shape cannot be sent to an LLM: Custom types cannot be represented in JSON Schema'],
      ['a transform', z.object({ count: z.string().transform(Number) }), 'tool book: parameters.count cannot be sent to an LLM: Transforms cannot be represented in JSON Schema'],
      ['a bigint inside an array of objects', z.object({ rows: z.array(z.object({ id: z.bigint() })) }), 'tool book: parameters.rows[].id cannot be sent to an LLM: BigInt cannot be represented in JSON Schema'],
      ['a schema of a string', z.string(), 'tool book: parameters must describe an object (z.object({...}) or { type: \'object\', … }), not "string"'],
      ['a raw schema of an array', { type: 'array', items: {} }, 'tool book: parameters must describe an object (z.object({...}) or { type: \'object\', … }), not "array"'],
      ['a zod 3 schema', z3.object({ when: z3.string() }), 'tool book: parameters is a zod 3 schema; voxstate takes zod 4 schemas'],
    ])('%s', (_label, parameters, message) => {
      const declare = () => tool({ name: 'book', description: 'Books a table', parameters: parameters as z.ZodObject, execute: () => 'ok' });
      expect(declare).toThrow(ToolDeclarationError);
      expect(declare).toThrow(message);
    });

    it('an anonymous tool is named by its description', () => {
      expect(() => tool({ description: 'Books a table', parameters: z.object({ when: z.date() }), execute: () => 'ok' })).toThrow(
        'tool described as "Books a table": parameters.when cannot be sent to an LLM',
      );
    });
  });
});

/** `{"kids":[{"kids":[…]}]}`, `depth` levels deep. */
function deepTree(depth: number): string {
  return `${'{"kids":['.repeat(depth)}${']}'.repeat(depth)}`;
}
