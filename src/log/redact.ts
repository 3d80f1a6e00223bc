/**
 * Keeps secrets out of log lines and inspector snapshots: any property whose name looks like a
 * credential is replaced, at any depth. One rule for every place data leaves the process.
 */
const SECRET_KEY = /(api[-_]?key|secret|token|password|passwd|authorization|credential|private[-_]?key|jwt)/i;

export const REDACTED = '[redacted]';

/** Credentials recognisable by their form: OpenAI-style keys and JSON Web Tokens. */
const SECRET_VALUE = /\bsk-[A-Za-z0-9_-]{6,}|\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;

/**
 * `text` with anything shaped like a credential replaced, wherever it sits: a key pasted into a
 * transcript has no secret-looking property name to give it away. Used on every frame an
 * inspector sends out.
 */
export function maskSecretValues(text: string): string {
  return text.replace(SECRET_VALUE, (match) => (match.startsWith('sk-') ? 'sk-[redacted]' : '[redacted jwt]'));
}

/** Whether a property of this name holds a secret. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/**
 * A copy of `value` with secret properties replaced, bounded in depth and safe with cycles.
 * Class instances other than plain data are summarised by their class name.
 */
export function redactSecrets(value: unknown, depth = 8, seen = new WeakSet<object>()): unknown {
  if (value === null || typeof value !== 'object') {
    return typeof value === 'function' ? `[function ${value.name || 'anonymous'}]` : value;
  }
  if (seen.has(value)) return '[circular]';
  if (depth <= 0) return '[…]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth - 1, seen));
  if (value instanceof Error) {
    const own = redactSecrets({ ...value }, depth - 1, seen) as Record<string, unknown>;
    const cause = value.cause === undefined ? {} : { cause: redactSecrets(value.cause, depth - 1, seen) };
    return { type: value.name, message: value.message, stack: value.stack, ...own, ...cause };
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null && !(Symbol.iterator in value)) {
    const plain = (value as { toJSON?: () => unknown }).toJSON;
    if (typeof plain === 'function') return redactSecrets(plain.call(value), depth - 1, seen);
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = isSecretKey(key) ? REDACTED : redactSecrets(item, depth - 1, seen);
  }
  return out;
}
