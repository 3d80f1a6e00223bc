/**
 * A machine rebuilt from its JSON definition (XState's `machine.toJSON()`, as a session report
 * keeps it), so the inspector draws a report's statecharts the way it draws any machine
 * (machineDiagram: the same graph, the same SVG writer), with no second renderer.
 *
 * What the definition holds comes back: states with their ids, kinds, initial states, history
 * depth and meta (a flow's agents), transitions with their events, targets, named guards and meta
 * (a flow's tools), delays, and the invokes whose done/error transitions they are. What XState's
 * JSON leaves out cannot: eventless (`always`) transitions, and guards written inline (functions).
 *
 * The definition is a file's content: it is checked as it is read (kinds, ids, targets), bounded
 * (states, depth), and anything wrong is an InvalidReportError naming the machine and the state.
 */
import { createMachine, type AnyStateMachine } from 'xstate';
import { describe } from '../errors.js';
import { InvalidReportError } from './invalid_report_error.js';

/** States per machine, at most: voxstate's biggest has 27; a flow a few dozen. */
export const MAX_DEFINITION_STATES = 1_000;
/** Nesting, at most. */
const MAX_DEPTH = 32;
const KINDS = new Set(['atomic', 'compound', 'parallel', 'final', 'history']);

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The machine `definition` describes; `name` says where it is in the report ("machines.clinic"). */
export function machineFromDefinition(definition: unknown, name: string): AnyStateMachine {
  let count = 0;
  const fail = (where: string, what: string) => new InvalidReportError(`${name} cannot be drawn: ${where} ${what}`);

  const stateConfig = (def: unknown, path: string, depth: number): Json => {
    if (!isObject(def)) throw fail(path, 'is not a state');
    count += 1;
    if (count > MAX_DEFINITION_STATES) throw fail('the machine', `has more than ${MAX_DEFINITION_STATES} states`);
    if (depth > MAX_DEPTH) throw fail(path, `is nested deeper than ${MAX_DEPTH} states`);
    const { id, type } = def;
    if (typeof id !== 'string' || id === '') throw fail(path, 'has no id');
    if (typeof type !== 'string' || !KINDS.has(type)) throw fail(id, `has no kind XState knows (${JSON.stringify(type)})`);
    const states = def.states ?? {};
    if (!isObject(states)) throw fail(id, 'has "states" that are not an object');

    const config: Json = { id };
    if (type !== 'atomic' && type !== 'compound') config.type = type;
    if (type === 'history') config.history = def.history === 'deep' ? 'deep' : 'shallow';
    if (isObject(def.meta)) config.meta = def.meta;
    if (typeof def.description === 'string') config.description = def.description;
    // Object.fromEntries defines own properties: a state named "__proto__" stays a state.
    const children = Object.entries(states).map(([key, child]) => [key, stateConfig(child, `${id}.${key}`, depth + 1)] as const);
    if (children.length > 0) config.states = Object.fromEntries(children);
    if (type === 'compound') {
      if (children.length === 0) throw fail(id, 'is compound but has no states');
      const initial = isObject(def.initial) && Array.isArray(def.initial.target) ? def.initial.target[0] : undefined;
      config.initial = children.find(([, child]) => `#${String(child.id)}` === initial)?.[0] ?? children[0]![0];
    }
    Object.assign(config, transitionsConfig(def, id, fail));
    return config;
  };

  const root = stateConfig(definition, 'the root state', 0);
  try {
    return createMachine(root as Parameters<typeof createMachine>[0]);
  } catch (cause) {
    throw new InvalidReportError(`${name} cannot be drawn: ${describe(cause)}`);
  }
}

/**
 * `on`, `after`, `onDone` and `invoke` of one state from its definition's `transitions` (XState
 * lists every kind of transition there, by the event that takes it).
 */
function transitionsConfig(def: Json, id: string, fail: (where: string, what: string) => InvalidReportError): Json {
  const list = def.transitions ?? [];
  if (!Array.isArray(list)) throw fail(id, 'has "transitions" that are not a list');
  const invokes = new Map<string, Json>();
  for (const invoke of Array.isArray(def.invoke) ? def.invoke : []) {
    if (!isObject(invoke) || typeof invoke.id !== 'string') continue;
    invokes.set(invoke.id, { id: invoke.id, src: typeof invoke.src === 'string' ? invoke.src : invoke.id });
  }
  const on = new Map<string, Json[]>();
  const after = new Map<string, Json[]>();
  const onDone: Json[] = [];
  const add = (map: Map<string, Json[]>, key: string, transition: Json) => map.set(key, [...(map.get(key) ?? []), transition]);

  for (const [index, t] of list.entries()) {
    if (!isObject(t) || typeof t.eventType !== 'string') throw fail(id, `has a transition (#${index + 1}) without an event`);
    const transition: Json = {};
    if (t.target !== undefined) {
      if (!Array.isArray(t.target) || !t.target.every((target) => typeof target === 'string' && target.startsWith('#'))) {
        throw fail(id, `has a transition on ${t.eventType} whose target is not a list of "#state.id"`);
      }
      if (t.target.length > 0) transition.target = t.target;
    }
    // Named guards only: an inline guard was a function, which JSON leaves out.
    if (typeof t.guard === 'string' || (isObject(t.guard) && typeof t.guard.type === 'string')) transition.guard = t.guard;
    if (isObject(t.meta)) transition.meta = t.meta;
    if (typeof t.description === 'string') transition.description = t.description;
    if (t.reenter === true) transition.reenter = true;

    const event = t.eventType;
    const invokeOf = (prefix: string) => (event.startsWith(prefix) ? invokes.get(event.slice(prefix.length)) : undefined);
    const done = invokeOf('xstate.done.actor.');
    const error = invokeOf('xstate.error.actor.');
    if (event.startsWith('xstate.after.') && (typeof t.delay === 'number' || typeof t.delay === 'string')) add(after, String(t.delay), transition);
    else if (event === `xstate.done.state.${id}`) onDone.push(transition);
    else if (done) done.onDone = [...((done.onDone as Json[] | undefined) ?? []), transition];
    else if (error) error.onError = [...((error.onError as Json[] | undefined) ?? []), transition];
    else add(on, event, transition);
  }
  const config: Json = {};
  if (on.size > 0) config.on = Object.fromEntries(on);
  if (after.size > 0) config.after = Object.fromEntries(after);
  if (onDone.length > 0) config.onDone = onDone;
  if (invokes.size > 0) config.invoke = [...invokes.values()];
  return config;
}
