/**
 * Shows the live states of the job, session and agent actors in the terminal, from the actors'
 * own inspection events: one line whenever one of them changes.
 */
import type { InspectionEvent } from 'xstate';

const WATCHED = new Set(['job', 'session', 'agent']);

type StateValue = string | { [key: string]: StateValue };

/**
 * "running (agent: speaking, user: listening)" from a nested state value: a machine of parallel
 * regions shows its first one (the session's lifecycle) as its state, the others beside it.
 */
export function describeState(value: StateValue): string {
  if (typeof value === 'string') return value;
  const entries = Object.entries(value);
  if (entries.length === 1) {
    // A compound state: its path (`started.running.attended`), down to a parallel state's regions.
    const [key, inner] = entries[0]!;
    return typeof inner === 'string' || Object.keys(inner).length === 1 ? `${key}.${describeState(inner)}` : `${key} (${describeRegions(inner)})`;
  }
  const [[, first], ...others] = entries as [[string, StateValue], ...Array<[string, StateValue]>];
  return `${describeState(first)} (${describeRegions(Object.fromEntries(others))})`;
}

function describeRegions(value: { [key: string]: StateValue }): string {
  return Object.entries(value)
    .map(([region, inner]) => `${region}: ${describeState(inner)}`)
    .join(', ');
}

/** An inspector that calls `show(line)` with the combined states whenever a watched actor changes. */
export function stateDisplay(show: (line: string) => void): (event: InspectionEvent) => void {
  const states = new Map<string, string>();
  let last = '';
  return (event) => {
    if (event.type !== '@xstate.snapshot') return;
    const snapshot = event.snapshot as { value?: StateValue; status?: string; context?: { agentId?: string } };
    const id = (event.actorRef as { logic?: { id?: string } }).logic?.id;
    if (!id || !WATCHED.has(id) || snapshot.value === undefined) return;
    const label = id === 'agent' && snapshot.context?.agentId ? `agent ${snapshot.context.agentId}` : id;
    if (id === 'agent') for (const key of states.keys()) if (key.startsWith('agent')) states.delete(key);
    states.set(label, describeState(snapshot.value));
    const line = [...states].map(([name, state]) => `${name}: ${state}`).join(' │ ');
    if (line === last) return;
    last = line;
    show(line);
  };
}
