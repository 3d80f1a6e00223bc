/**
 * What the inspector page shows of a context or event payload: a bounded copy (depth, items, keys,
 * string length), with secrets removed by redactSecrets, as JSON of at most `maxChars`.
 *
 * The copy is bounded before redaction: redactSecrets walks every element, and an event can carry
 * an audio frame of thousands of samples. Strings that look like credentials themselves (an
 * `sk-…` key, a JWT) are masked too, wherever they sit: a key pasted into a transcript has no
 * secret-looking property name to give it away. An actor (a speech handle's `actor`) shows as
 * its role, "speech speech_3 (say)", not as XState's reference to it.
 */
import { Actor } from 'xstate';
import { maskSecretValues, redactSecrets } from '../log/redact.js';
import { actorName } from './actor_names.js';

export interface PreviewLimits {
  /** Longest JSON text returned (default 2,000 characters). */
  maxChars?: number;
  /** Levels of nesting kept (default 5). */
  depth?: number;
}

const MAX_ITEMS = 20;
const MAX_KEYS = 40;
const MAX_STRING = 400;

/** The JSON shown for `value`, redacted and bounded. */
export function previewPayload(value: unknown, limits: PreviewLimits = {}): string {
  const maxChars = limits.maxChars ?? 2_000;
  let text: string;
  try {
    text = JSON.stringify(redactSecrets(bounded(value, limits.depth ?? 5, new WeakSet())), null, 0) ?? 'undefined';
  } catch (error) {
    // A getter that throws, a toJSON that fails: say so instead of losing the whole message.
    text = JSON.stringify(`[unserializable: ${error instanceof Error ? error.message : String(error)}]`);
  }
  text = maskSecretValues(text);
  return text.length <= maxChars ? text : `${text.slice(0, maxChars - 1)}…`;
}

function bounded(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  switch (typeof value) {
    case 'string':
      return value.length <= MAX_STRING ? value : `${value.slice(0, MAX_STRING)}… (${value.length} chars)`;
    case 'bigint':
      return `${value}n`;
    case 'symbol':
      return value.toString();
    case 'function':
      return `[function ${value.name || 'anonymous'}]`;
    case 'object':
      break;
    default:
      return value;
  }
  if (value === null) return null;
  if (value instanceof Actor) return actorName(value);
  if (seen.has(value)) return '[circular]';
  if (ArrayBuffer.isView(value)) return `[${value.constructor.name} × ${(value as unknown as { length?: number }).length ?? value.byteLength}]`;
  if (value instanceof ArrayBuffer) return `[ArrayBuffer × ${value.byteLength}]`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (depth <= 0) return '[…]';
  seen.add(value);
  try {
    if (Array.isArray(value) || value instanceof Set) return items([...value], depth, seen);
    if (value instanceof Map) return keyed([...value].map(([key, item]) => [String(key), item]), depth, seen);
    if (value instanceof Error) {
      const own = Object.entries(value).filter(([key]) => key !== 'stack');
      const cause = value.cause === undefined ? [] : [['cause', value.cause] as [string, unknown]];
      return keyed([['type', value.name], ['message', value.message], ...own, ...cause], depth, seen);
    }
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      // Rooms, sessions: their toJSON says what they are; else their class and fields.
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') return bounded(toJSON.call(value), depth - 1, seen);
      const name = (proto as { constructor?: { name?: string } }).constructor?.name || 'object';
      return keyed([['$class', name], ...Object.entries(value)], depth, seen);
    }
    return keyed(Object.entries(value), depth, seen);
  } finally {
    seen.delete(value);
  }
}

function items(list: unknown[], depth: number, seen: WeakSet<object>): unknown[] {
  const out = list.slice(0, MAX_ITEMS).map((item) => bounded(item, depth - 1, seen));
  if (list.length > MAX_ITEMS) out.push(`… ${list.length - MAX_ITEMS} more`);
  return out;
}

function keyed(entries: [string, unknown][], depth: number, seen: WeakSet<object>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, item] of entries.slice(0, MAX_KEYS)) out[key] = bounded(item, depth - 1, seen);
  if (entries.length > MAX_KEYS) out['…'] = `${entries.length - MAX_KEYS} more keys`;
  return out;
}
