/**
 * Parameters of function tools: each builder gives the JSON Schema the LLM sees, the TypeScript
 * type the tool's code receives, and a check of the arguments the LLM actually sent.
 *
 *   const args = p.object({ city: p.string({ description: 'city name' }), days: p.optional(p.integer()) });
 *   // Infer<typeof args> is { city: string; days?: number }
 */

/** A checked value, or a message saying what is wrong with it. */
export type CheckResult<T> = { ok: true; value: T } | { ok: false; problem: string };

/** One parameter: its schema, its type (phantom), and how to check a value. */
export interface Param<T> {
  readonly schema: Record<string, unknown>;
  readonly optional: boolean;
  /** Returns the value if it fits, or a message saying what is wrong at `path`. */
  check(value: unknown, path: string): CheckResult<T>;
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

function param<T>(schema: Record<string, unknown>, check: (value: unknown, path: string) => CheckResult<T>): Param<T> & { optional: false } {
  return { schema, optional: false, check };
}

const fail = (path: string, expected: string, value: unknown) => ({
  ok: false as const,
  problem: `${path || 'arguments'} should be ${expected}, got ${preview(value)}`,
});

/**
 * Parses and checks the arguments an LLM sent for a tool (JSON text; empty means none). Whatever
 * the text — invalid, huge, nested thousands of levels deep — the answer is a result, never a
 * throw: the problem goes back to the LLM as the tool's error output.
 */
export function parseToolArguments<T>(parameters: Param<T>, text: string): CheckResult<T> {
  let value: unknown = {};
  if (text.trim() !== '') {
    try {
      value = JSON.parse(text);
    } catch (error) {
      return { ok: false, problem: `arguments are not valid JSON (${error instanceof Error ? error.message : String(error)})` };
    }
  }
  // The check descends only as deep as the tool's schema, and describes what it refuses with a
  // bounded preview: a value of any depth or size cannot overflow the stack or flood the message.
  return parameters.check(value, '');
}

// What a refusal shows of the value it got: enough for the LLM to see its mistake.
const PREVIEW_DEPTH = 3;
const PREVIEW_ITEMS = 10;
const PREVIEW_STRING = 80;
const PREVIEW_CHARS = 200;

/** JSON of `value`, cut at PREVIEW_DEPTH levels, PREVIEW_ITEMS items and PREVIEW_CHARS characters. */
function preview(value: unknown): string {
  const text = render(value, PREVIEW_DEPTH);
  return text.length <= PREVIEW_CHARS ? text : `${text.slice(0, PREVIEW_CHARS - 1)}…`;
}

const clip = (text: string) => (text.length <= PREVIEW_STRING ? text : `${text.slice(0, PREVIEW_STRING)}…`);

function render(value: unknown, depth: number): string {
  if (typeof value === 'string') return JSON.stringify(clip(value));
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? String(value);
  const array = Array.isArray(value);
  const [open, close] = array ? ['[', ']'] : ['{', '}'];
  const keys = array ? [] : Object.keys(value);
  const size = array ? value.length : keys.length;
  if (size === 0) return `${open}${close}`;
  if (depth === 0) return `${open}…${close}`;
  const parts: string[] = [];
  for (let i = 0; i < Math.min(size, PREVIEW_ITEMS); i++) {
    const item = array ? value[i] : (value as Record<string, unknown>)[keys[i]!];
    const shown = render(item, depth - 1);
    parts.push(array ? shown : `${render(keys[i], 0)}:${shown}`);
  }
  if (size > PREVIEW_ITEMS) parts.push('…');
  return `${open}${parts.join(',')}${close}`;
}

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
          // Own properties only: `{"constructor": 1}` must not reach Object.prototype.
          const given = Object.hasOwn(record, key) ? record[key] : undefined;
          if (given === undefined) {
            if (item.optional) continue;
            return { ok: false, problem: `${at} is required` };
          }
          const r = item.check(given, at);
          if (!r.ok) return r;
          out[key] = r.value;
        }
        const extra = Object.keys(record).filter((key) => !Object.hasOwn(shape, key));
        if (extra.length > 0) {
          const shown = extra.slice(0, PREVIEW_ITEMS).map(clip).join(', ');
          return { ok: false, problem: `unexpected argument${extra.length > 1 ? 's' : ''} ${shown}${extra.length > PREVIEW_ITEMS ? `, … (${extra.length} in all)` : ''}` };
        }
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
