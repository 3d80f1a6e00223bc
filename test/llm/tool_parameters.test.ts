import { describe, expect, expectTypeOf, it } from 'vitest';
import { functionTool, p, type Infer } from '../../src/index.js';

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

  it('functionTool needs a description and an execute function', () => {
    expect(() => functionTool({ description: ' ', execute: () => {} })).toThrow('needs a description');
    expect(() => functionTool({ description: 'x' } as never)).toThrow('needs an execute function');
    expect(functionTool({ description: 'x', execute: () => 1 }).parameters.schema).toMatchObject({ type: 'object', properties: {} });
  });
});
