/** Participant attributes as voxstate writes them. */

/**
 * `current` with `update` applied, as LocalParticipant.setAttributes applies it: the keys given are
 * set, an empty value removes its key, the others are kept. TypeError for a value that is not a string.
 */
export function mergeAttributes(current: Readonly<Record<string, string>>, update: Readonly<Record<string, string>>): Record<string, string> {
  if (typeof update !== 'object' || update === null) throw new TypeError('setAttributes() takes an object of string values');
  const merged = { ...current };
  for (const [key, value] of Object.entries(update)) {
    if (typeof value !== 'string') throw new TypeError(`setAttributes(): the value of ${JSON.stringify(key)} is not a string`);
    if (value === '') delete merged[key];
    else merged[key] = value;
  }
  return merged;
}
