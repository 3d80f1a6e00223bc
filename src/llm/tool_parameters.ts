/**
 * Parameters of function tools: each builder gives the JSON Schema the LLM sees, the TypeScript
 * type the tool's code receives, and a check of the arguments the LLM actually sent.
 *
 *   const args = p.object({ city: p.string({ description: 'city name' }), days: p.optional(p.integer()) });
 *   // Infer<typeof args> is { city: string; days?: number }
 */

/** One parameter: its schema, its type (phantom), and how to check a value. */
export interface Param<T> {
  readonly schema: Record<string, unknown>;
  readonly optional: boolean;
  /** Returns the value if it fits, or a message saying what is wrong at `path`. */
  check(value: unknown, path: string): { ok: true; value: T } | { ok: false; problem: string };
  /** Type-level only. */
  readonly __type?: T;
}

export type Infer<P> = P extends Param<infer T> ? T : never;

type Shape = Record<string, Param<unknown>>;
type RequiredKeys<S extends Shape> = { [K in keyof S]: S[K]['optional'] extends true ? never : K }[keyof S];
type OptionalKeys<S extends Shape> = Exclude<keyof S, RequiredKeys<S>>;
export type InferShape<S extends Shape> = { [K in RequiredKeys<S>]: Infer<S[K]> } & {
  [K in OptionalKeys<S>]?: Infer<S[K]>;
};

interface Described {
  description?: string;
}

function param<T>(
  schema: Record<string, unknown>,
  check: (value: unknown, path: string) => { ok: true; value: T } | { ok: false; problem: string },
): Param<T> & { optional: false } {
  return { schema, optional: false, check };
}

const fail = (path: string, expected: string, value: unknown) => ({
  ok: false as const,
  problem: `${path || 'arguments'} should be ${expected}, got ${JSON.stringify(value) ?? String(value)}`,
});

export const p = {
  string(options: Described = {}) {
    return param<string>({ type: 'string', ...options }, (v, path) =>
      typeof v === 'string' ? { ok: true, value: v } : fail(path, 'a string', v),
    );
  },
  number(options: Described = {}) {
    return param<number>({ type: 'number', ...options }, (v, path) =>
      typeof v === 'number' && Number.isFinite(v) ? { ok: true, value: v } : fail(path, 'a number', v),
    );
  },
  integer(options: Described = {}) {
    return param<number>({ type: 'integer', ...options }, (v, path) =>
      Number.isInteger(v) ? { ok: true, value: v as number } : fail(path, 'an integer', v),
    );
  },
  boolean(options: Described = {}) {
    return param<boolean>({ type: 'boolean', ...options }, (v, path) =>
      typeof v === 'boolean' ? { ok: true, value: v } : fail(path, 'true or false', v),
    );
  },
  enum<const V extends readonly [string, ...string[]]>(values: V, options: Described = {}) {
    return param<V[number]>({ type: 'string', enum: [...values], ...options }, (v, path) =>
      typeof v === 'string' && values.includes(v) ? { ok: true, value: v } : fail(path, `one of ${values.join(', ')}`, v),
    );
  },
  array<T>(items: Param<T>, options: Described = {}) {
    return param<T[]>({ type: 'array', items: items.schema, ...options }, (v, path) => {
      if (!Array.isArray(v)) return fail(path, 'an array', v);
      const out: T[] = [];
      for (let i = 0; i < v.length; i++) {
        const r = items.check(v[i], `${path}[${i}]`);
        if (!r.ok) return r;
        out.push(r.value);
      }
      return { ok: true, value: out };
    });
  },
  object<S extends Shape>(shape: S, options: Described = {}) {
    const required = Object.keys(shape).filter((key) => !shape[key]!.optional);
    const properties = Object.fromEntries(Object.entries(shape).map(([key, value]) => [key, value.schema]));
    return param<InferShape<S>>(
      { type: 'object', properties, required, additionalProperties: false, ...options },
      (v, path) => {
        if (v === null || typeof v !== 'object' || Array.isArray(v)) return fail(path, 'an object', v);
        const record = v as Record<string, unknown>;
        const out: Record<string, unknown> = {};
        for (const [key, item] of Object.entries(shape)) {
          const at = path ? `${path}.${key}` : key;
          if (record[key] === undefined) {
            if (item.optional) continue;
            return { ok: false, problem: `${at} is required` };
          }
          const r = item.check(record[key], at);
          if (!r.ok) return r;
          out[key] = r.value;
        }
        const extra = Object.keys(record).filter((key) => !(key in shape));
        if (extra.length > 0) return { ok: false, problem: `unexpected argument${extra.length > 1 ? 's' : ''} ${extra.join(', ')}` };
        return { ok: true, value: out as InferShape<S> };
      },
    );
  },
  /** Marks a parameter as optional inside `p.object`. */
  optional<T>(inner: Param<T>): Param<T | undefined> & { optional: true } {
    return { schema: inner.schema, optional: true, check: inner.check as Param<T | undefined>['check'] };
  },
};

/** The parameters of a tool that takes none. */
export const noParameters = p.object({});
