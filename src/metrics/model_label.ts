/** A model's label is "provider/model", e.g. "openai/gpt-4.1-mini"; a label without a slash is its own provider. */

/** "openai/gpt-4.1-mini" → "openai". */
export function providerOf(label: string): string {
  const slash = label.indexOf('/');
  return slash < 0 ? label : label.slice(0, slash);
}

/** "openai/gpt-4.1-mini" → "gpt-4.1-mini". */
export function modelOf(label: string): string {
  const slash = label.indexOf('/');
  return slash < 0 ? label : label.slice(slash + 1);
}
