/**
 * Keeps secrets out of log lines, error messages and inspector snapshots. One rule for every place
 * data leaves the process, with three parts:
 * - a property whose name looks like a credential (`apiKey`, `token`, …) is replaced, at any depth,
 *   unless it holds a number or a flag (a count of tokens is no secret);
 * - text shaped like a credential (an `sk-…` key, a JSON Web Token) is masked inside any string;
 * - the credentials this process was given (environment variables named like credentials, and the
 *   keys passed to providers and the worker, see {@link addSecretValue}) are masked wherever they
 *   appear: a provider that echoes a key in its error message gives no other sign of it.
 */
const SECRET_KEY = /(api[-_]?key|secret|token|password|passwd|authorization|credential|private[-_]?key|jwt)/i;

export const REDACTED = '[redacted]';

/** Credentials recognisable by their form: OpenAI- and Cartesia-style keys (also as OpenAI quotes them, partly starred) and JSON Web Tokens. */
const SECRET_FORM = /\bsk[-_][A-Za-z0-9_*-]{6,}|\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;

/** Shorter values are not masked: they would mangle ordinary words, and no real credential is this short. */
const MIN_SECRET_LENGTH = 8;

const known = new Set<string>();
let knownPattern: RegExp | undefined;

/**
 * Marks `value` as a secret: from now on it is masked wherever it appears in a log line, an
 * error's message or stack, or an inspector frame. Providers and the worker call it with the
 * credentials they are given; environment variables named like credentials are known from the start.
 */
export function addSecretValue(value: string | undefined): void {
  if (value === undefined || value.length < MIN_SECRET_LENGTH || known.has(value)) return;
  known.add(value);
  // Longest first, so a key that contains another is masked whole.
  const alternatives = [...known].sort((a, b) => b.length - a.length).map((secret) => secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  knownPattern = new RegExp(alternatives.join('|'), 'g');
}

for (const [name, value] of Object.entries(process.env)) if (SECRET_KEY.test(name)) addSecretValue(value);

/**
 * `text` with every credential in it masked: known secrets and anything shaped like one. A key
 * pasted into a transcript has no secret-looking property name to give it away.
 */
export function maskSecretValues(text: string): string {
  const masked = knownPattern === undefined ? text : text.replace(knownPattern, REDACTED);
  return masked.replace(SECRET_FORM, (match) => (match.startsWith('sk') ? `${match.slice(0, 3)}${REDACTED}` : '[redacted jwt]'));
}

/**
 * Masks credentials in place inside an error that is about to become the cause of one of ours
 * (an SDK's error quoting the key it was sent): its message, stack and fields, its own cause, at
 * any depth. In place, so the error keeps its class and fields for the program that reads it.
 */
export function maskErrorChain(value: unknown, depth = 8, seen = new WeakSet<object>()): void {
  if (value === null || typeof value !== 'object' || seen.has(value) || depth <= 0) return;
  seen.add(value);
  const names = value instanceof Error ? ['message', 'stack', 'cause', ...Object.keys(value)] : Object.keys(value);
  for (const name of names) {
    const item: unknown = (value as Record<string, unknown>)[name];
    if (typeof item === 'string') {
      const masked = isSecretKey(name) ? REDACTED : maskSecretValues(item);
      const own = Reflect.getOwnPropertyDescriptor(value, name);
      // A getter, or a frozen object, keeps its value: there is nothing safe to do about it here.
      if (masked !== item && own !== undefined && 'value' in own) Reflect.defineProperty(value, name, { ...own, value: masked });
    } else {
      maskErrorChain(item, depth - 1, seen);
    }
  }
}

/** Whether a property of this name holds a secret. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/**
 * A copy of `value` with secret properties replaced and credentials inside strings masked, bounded
 * in depth and safe with cycles. An error becomes plain data (type, message, stack, its own fields
 * and its cause, each redacted the same way). Class instances other than plain data are summarised
 * by their `toJSON`.
 */
export function redactSecrets(value: unknown, depth = 8, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return maskSecretValues(value);
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
    return { type: value.name, message: maskSecretValues(value.message), stack: value.stack && maskSecretValues(value.stack), ...own, ...cause };
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null && !(Symbol.iterator in value)) {
    const plain = (value as { toJSON?: () => unknown }).toJSON;
    if (typeof plain === 'function') return redactSecrets(plain.call(value), depth - 1, seen);
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    // A number or a flag is no credential, whatever its name: token counts (`promptTokens`,
    // `tokensPerSecond`) stay readable.
    const plain = typeof item === 'number' || typeof item === 'boolean';
    out[key] = isSecretKey(key) && !plain ? REDACTED : redactSecrets(item, depth - 1, seen);
  }
  return out;
}
