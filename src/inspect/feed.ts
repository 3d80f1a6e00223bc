/**
 * The inspector page's live feed: the messages a page receives over its WebSocket, made from what
 * LiveActors keeps. Contexts, outputs, errors and event payloads go through previewPayload
 * (redacted, bounded); state values are state names and pass as they are.
 */
import type { StateValue } from 'xstate';
import type { ActorChange, ActorStatus, LiveActor, LiveActors, LoggedEvent } from './live_actors.js';
import { actorName } from './actor_names.js';
import { activeStateIds, isExportedKey, machineDiagram, machineKey } from './machine_diagrams.js';
import { previewPayload } from './payload_preview.js';

export type FeedMessage =
  /** Forget everything: what follows is the whole current picture. */
  | { t: 'reset' }
  /** The diagram of a machine that is not in the page's HTML (not one of machines/index.ts). */
  | { t: 'machine'; key: string; id: string; svg: string }
  | {
      t: 'actor';
      id: string;
      /** The actor's id (invoke id, or its sessionId). */
      name: string;
      /** Key of its machine's diagram. */
      machine: string;
      machineId: string;
      parent?: string;
      systemId?: string;
      createdAt: number;
      /** What the page calls it: its role (see actorName). */
      label: string;
    }
  | {
      t: 'state';
      id: string;
      status: ActorStatus;
      value: StateValue | null;
      /** State node ids the actor is in, root first. */
      active: string[];
      /** Its role now: a session's changes with its agent. */
      label: string;
      context: string;
      output?: string;
      error?: string;
    }
  | { t: 'event'; seq: number; at: number; to: string; from?: string; type: string; payload: string };

interface MachineSnapshot {
  value?: StateValue;
  status?: ActorStatus;
  context?: unknown;
  output?: unknown;
  error?: unknown;
}

function actorMessage(actor: LiveActor): FeedMessage {
  const { systemId } = actor.ref as { systemId?: string };
  return {
    t: 'actor',
    id: actor.id,
    name: actor.ref.id,
    machine: machineKey(actor.machine),
    machineId: actor.machine.id,
    ...(actor.parent === undefined ? {} : { parent: actor.parent }),
    ...(systemId === undefined ? {} : { systemId }),
    createdAt: actor.createdAt,
    label: actorName(actor.ref),
  };
}

function stateMessage(actor: LiveActor, raw: unknown): FeedMessage {
  const snapshot = (raw ?? {}) as MachineSnapshot;
  const value = snapshot.value ?? null;
  return {
    t: 'state',
    id: actor.id,
    status: snapshot.status ?? 'active',
    value,
    active: value === null ? [] : activeStateIds(actor.machine, value),
    label: actorName(actor.ref, raw),
    context: previewPayload(snapshot.context),
    ...(snapshot.output === undefined ? {} : { output: previewPayload(snapshot.output) }),
    ...(snapshot.error === undefined ? {} : { error: previewPayload(snapshot.error) }),
  };
}

function eventMessage(entry: LoggedEvent): FeedMessage {
  const { type, ...payload } = entry.event;
  return {
    t: 'event',
    seq: entry.seq,
    at: entry.at,
    to: entry.target.id,
    ...(entry.source === undefined ? {} : { from: entry.source }),
    type: String(type),
    payload: previewPayload(payload, { maxChars: 1_000 }),
  };
}

function machineMessage(actor: LiveActor): FeedMessage {
  const { key, id, svg } = machineDiagram(actor.machine);
  return { t: 'machine', key, id, svg };
}

/** Turns changes into feed messages; remembers which extra diagrams went out already. */
export class FeedWriter {
  readonly #diagramsSent = new Set<string>();

  constructor(private readonly actors: LiveActors) {}

  /** The whole current picture, for a page that has just connected. */
  everything(): FeedMessage[] {
    const actors = [...this.actors.ended(), ...this.actors.live()];
    const out: FeedMessage[] = [{ t: 'reset' }];
    const diagrams = new Set<string>();
    for (const actor of actors) {
      const key = machineKey(actor.machine);
      if (isExportedKey(key) || diagrams.has(key)) continue;
      diagrams.add(key);
      this.#diagramsSent.add(key);
      out.push(machineMessage(actor));
    }
    for (const actor of actors) {
      out.push(actorMessage(actor));
      if (actor.snapshot !== undefined) out.push(stateMessage(actor, actor.snapshot));
    }
    for (const entry of this.actors.events()) out.push(eventMessage(entry));
    return out;
  }

  /** The messages for one change. */
  change(change: ActorChange): FeedMessage[] {
    switch (change.kind) {
      case 'actor': {
        const key = machineKey(change.actor.machine);
        const out: FeedMessage[] = [];
        if (!isExportedKey(key) && !this.#diagramsSent.has(key)) {
          this.#diagramsSent.add(key);
          out.push(machineMessage(change.actor));
        }
        out.push(actorMessage(change.actor));
        return out;
      }
      case 'snapshot':
        return [stateMessage(change.actor, change.snapshot)];
      case 'event':
        return [eventMessage(change.entry)];
    }
  }
}
