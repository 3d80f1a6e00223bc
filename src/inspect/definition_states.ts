/**
 * The states a state value is in, read from a machine's JSON definition (XState's
 * `machine.toJSON()`, as a session report keeps it): what the replaying page highlights, as
 * activeStateIds (machine_diagrams.ts) does for a live actor from its machine.
 *
 * Embedded into the page's script by its source (see page_html.ts): self-contained, plain ES2020.
 */

/**
 * The ids of the state nodes `value` is in, root first (`session`, `session.open`,
 * `session.open.agent`, `session.open.agent.listening`, …). Keys the definition lacks are skipped
 * (a report from another version of the machine); never throws.
 */
export function activeStateIdsIn(definition: unknown, value: unknown): string[] {
  const ids: string[] = [];
  const own = (object: unknown, key: string) => typeof object === 'object' && object !== null && Object.prototype.hasOwnProperty.call(object, key);
  const visit = (node: unknown, inner: unknown): void => {
    if (!own(node, 'id')) return;
    const { id, states } = node as { id: unknown; states?: unknown };
    if (typeof id !== 'string') return;
    ids.push(id);
    if (typeof inner === 'string') {
      if (own(states, inner)) visit((states as Record<string, unknown>)[inner], undefined);
      return;
    }
    if (typeof inner !== 'object' || inner === null) return;
    for (const [key, sub] of Object.entries(inner)) {
      if (own(states, key)) visit((states as Record<string, unknown>)[key], sub);
    }
  };
  visit(definition, value);
  return ids;
}
