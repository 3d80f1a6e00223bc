/**
 * Checking options key by key, so that what cannot be honoured is named rather than ignored: each
 * check says what is wrong with a value (or nothing), and readObject collects unknown keys. The
 * owner of the options throws one InvalidOptionsError with every problem found.
 */

/** A value's problem, or undefined when it is fine. */
export type Check = (value: unknown) => string | undefined;

/** A value as a problem message shows it. */
export function show(value: unknown): string {
  if (typeof value === 'string' || Array.isArray(value)) return JSON.stringify(value);
  return typeof value === 'object' && value !== null ? 'an object' : String(value);
}

export const ms: Check = (value) =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? undefined : `must be a number of ms, 0 or more (got ${show(value)})`;

export const flag: Check = (value) => (typeof value === 'boolean' ? undefined : `must be true or false (got ${show(value)})`);

/** Only `accepted` can be honoured; `lacking` says why not another value. */
export const only =
  (accepted: unknown, lacking: string): Check =>
  (value) =>
    value === accepted ? undefined : `${show(value)} is not supported: ${lacking}; accepted: ${show(accepted)}`;

/** A plain object's known keys (unknown ones are problems); anything else is a problem and reads as {}. */
export function readObject(path: string, value: unknown, accepted: string[], problems: string[], expected: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push(`${path}: must be ${expected} (got ${show(value)})`);
    return {};
  }
  const known: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (accepted.includes(key)) known[key] = field;
    else problems.push(`${path}.${key}: not an option voxstate has; accepted: ${accepted.join(', ')}`);
  }
  return known;
}
