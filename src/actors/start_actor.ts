/**
 * Starts a root actor the way every voxstate object needs it:
 * - its errors are observed (an unobserved actor error would crash the process) and reported;
 * - events it does not know, or malformed ones, sent from outside are reported as
 *   UnknownEventError instead of being silently dropped;
 * - it reports to the installed inspector, if any.
 */
import {
  createActor,
  type Actor,
  type ActorOptions,
  type AnyActorLogic,
  type ActorSystem,
  type AnyStateMachine,
  type InputFrom,
} from 'xstate';
import { UnknownEventError } from '../errors.js';
import { currentInspector } from '../inspect/registry.js';

export interface StartActorOptions<TMachine extends AnyStateMachine> {
  /** Name used in error messages, e.g. "AgentSession". */
  name: string;
  input: InputFrom<TMachine>;
  /** Called with any error the actor reports: its own failure or an unknown event. */
  onError: (error: unknown) => void;
  /** A clock for delayed transitions, e.g. XState's SimulatedClock in tests. */
  clock?: Clock;
  id?: string;
  /** A persisted snapshot (actor.getPersistedSnapshot()) to restore the actor from. */
  snapshot?: Record<string, unknown>;
  /**
   * The object whose methods implement the machine. Machines are provided once per class, not
   * per instance (a provided machine costs a whole state tree); their actors and actions find
   * their object with hostOf(system).
   */
  host?: object;
}

// biome-ignore lint: any actor system
type AnyActorSystem = ActorSystem<any>;

const hosts = new WeakMap<AnyActorSystem, object>();

/** The object an actor system's root was started for (see StartActorOptions.host). */
export function hostOf<T extends object>(system: AnyActorSystem): T {
  const host = hosts.get(system);
  if (host === undefined) throw new Error('this actor was not started with a host');
  return host as T;
}

/** Schedules delayed transitions; XState's SimulatedClock is one. */
export type Clock = NonNullable<ActorOptions<AnyActorLogic>['clock']>;

const alphabets = new WeakMap<AnyStateMachine, ReadonlySet<string>>();

function alphabetOf(machine: AnyStateMachine): ReadonlySet<string> {
  let alphabet = alphabets.get(machine);
  if (alphabet === undefined) {
    alphabet = new Set(machine.root.events);
    alphabets.set(machine, alphabet);
  }
  return alphabet;
}

export function startActor<TMachine extends AnyStateMachine>(
  machine: TMachine,
  options: StartActorOptions<TMachine>,
): Actor<TMachine> {
  const inspect = currentInspector();
  const actor = createActor(machine, {
    input: options.input,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.id ? { id: options.id } : {}),
    ...(options.snapshot ? { snapshot: options.snapshot } : {}),
    ...(inspect ? { inspect } : {}),
  } as never) as Actor<TMachine>;
  if (options.host) hosts.set(actor.system, options.host);
  actor.subscribe({ error: options.onError });
  const alphabet = alphabetOf(machine);
  const send = actor.send.bind(actor);
  actor.send = (event) => {
    const type = (event as { type?: unknown } | null | undefined)?.type;
    if (typeof type !== 'string' || !alphabet.has(type)) {
      options.onError(new UnknownEventError(options.name, event));
      return;
    }
    // A finished actor has nothing left to do with events (closing a closed session is a no-op).
    if ((actor.getSnapshot() as { status: string }).status !== 'active') return;
    send(event);
  };
  actor.start();
  return actor;
}
