import { describe, expect, expectTypeOf, it } from 'vitest';
import { functionTool, p, type Infer } from '../../src/index.js';
import { parseToolArguments } from '../../src/llm/tool_parameters.js';

describe('tool parameters', () => {
  const params = p.object({
    city: p.string({ description: 'City name' }),
    days: p.optional(p.integer()),
    units: p.enum(['metric', 'imperial']),
    tags: p.array(p.string()),
    exact: p.boolean(),
    ratio: p.optional(p.number()),
  });

  it('gives the LLM a JSON Schema', () => {
    expect(params.schema).toEqual({
      type: 'object',
      properties: {
        city: { type: 'string', description: 'City name' },
        days: { type: 'integer' },
        units: { type: 'string', enum: ['metric', 'imperial'] },
        tags: { type: 'array', items: { type: 'string' } },
        exact: { type: 'boolean' },
        ratio: { type: 'number' },
      },
      required: ['city', 'units', 'tags', 'exact'],
      additionalProperties: false,
    });
  });

  it('types the arguments', () => {
    expectTypeOf<Infer<typeof params>>().toEqualTypeOf<
      { city: string; units: 'metric' | 'imperial'; tags: string[]; exact: boolean } & { days?: number; ratio?: number }
    >();
  });

  it.each([
    [{ city: 'Paris', units: 'metric', tags: [], exact: true }, undefined],
    [{ city: 'Paris', units: 'kelvin', tags: [], exact: true }, 'units should be one of metric, imperial, got "kelvin"'],
    [{ city: 'Paris', units: 'metric', tags: ['a', 3], exact: true }, 'tags[1] should be a string, got 3'],
    [{ city: 'Paris', units: 'metric', tags: [], exact: 'yes' }, 'exact should be true or false, got "yes"'],
    [{ city: 'Paris', units: 'metric', tags: [], exact: true, days: 1.5 }, 'days should be an integer, got 1.5'],
    [{ units: 'metric', tags: [], exact: true }, 'city is required'],
    [[], 'arguments should be an object, got []'],
    [{ city: 'Paris', units: 'metric', tags: [], exact: true, ratio: Number.NaN }, 'ratio should be a number, got null'],
  ])('checks %j', (value, problem) => {
    const result = params.check(value, '');
    if (problem === undefined) expect(result).toEqual({ ok: true, value });
    else expect(result).toEqual({ ok: false, problem });
  });

  describe('arguments as the LLM sends them (JSON text): any text gives a result, never a throw', () => {
    const nested = (open: string, close: string, depth: number) => open.repeat(depth) + close.repeat(depth);
    const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    const weather = p.object({ city: p.string(), days: p.optional(p.integer()), tags: p.optional(p.array(p.string())) });

    it.each([
      ['arrays 5,000 deep where a string is due', `{"city": ${nested('[', ']', 5_000)}}`, 'city should be a string, got [[[[…]]]]'],
      ['arrays 1,000,000 deep where a string is due', `{"city": ${nested('[', ']', 1_000_000)}}`, 'city should be a string, got [[[[…]]]]'],
      ['objects 5,000 deep where an integer is due', `{"city": "Paris", "days": ${deepObject(5_000)}}`, 'days should be an integer, got {"a":{"a":{"a":{…}}}}'],
      ['arrays 5,000 deep as an item', `{"city": "Paris", "tags": ["a", ${nested('[', ']', 5_000)}]}`, 'tags[1] should be a string, got [[[[…]]]]'],
      ['arrays 5,000 deep as the whole arguments', nested('[', ']', 5_000), 'arguments should be an object, got [[[[…]]]]'],
      ['a megabyte string where an integer is due', `{"city": "Paris", "days": "${'9'.repeat(1_000_000)}"}`, `days should be an integer, got "${'9'.repeat(80)}…"`],
      ['a thousand items where a string is due', `{"city": [${Array(1_000).fill(1).join(',')}]}`, 'city should be a string, got [1,1,1,1,1,1,1,1,1,1,…]'],
      ['an argument named like a property of every object', '{"city": "Paris", "constructor": 1}', 'unexpected argument constructor'],
      ['two thousand unexpected arguments', `{"city": "Paris", ${Array.from({ length: 2_000 }, (_, i) => `"x${i}": 0`).join(',')}}`, 'unexpected arguments x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, … (2000 in all)'],
      ['not JSON', '{"city": ', 'arguments are not valid JSON'],
    ])('%s', (_label, text, problem) => {
      const result = parseToolArguments(weather, text);
      expect(result.ok).toBe(false);
      const message = (result as { problem: string }).problem;
      expect(message.startsWith(problem), message.slice(0, 300)).toBe(true);
      expect(message.length).toBeLessThan(400);
    });

    it('a required argument is not found on Object.prototype', () => {
      const named = p.object({ toString: p.string() });
      expect(parseToolArguments(named, '{}')).toEqual({ ok: false, problem: 'toString is required' });
      expect(parseToolArguments(named, '{"toString": "x"}')).toEqual({ ok: true, value: { toString: 'x' } });
    });

    it('no text means no arguments', () => {
      expect(parseToolArguments(p.object({}), '  ')).toEqual({ ok: true, value: {} });
      expect(parseToolArguments(weather, '{"city": "Paris", "days": 2}')).toEqual({ ok: true, value: { city: 'Paris', days: 2 } });
    });
  });

  it('functionTool needs a description and an execute function', () => {
    expect(() => functionTool({ description: ' ', execute: () => {} })).toThrow('needs a description');
    expect(() => functionTool({ description: 'x' } as never)).toThrow('needs an execute function');
    expect(functionTool({ description: 'x', execute: () => 1 }).parameters.schema).toMatchObject({ type: 'object', properties: {} });
  });
});
