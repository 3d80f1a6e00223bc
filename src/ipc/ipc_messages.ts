/**
 * The messages a job process (or thread) and its parent exchange, and their checks. Whatever
 * crosses the channel is checked on arrival: a malformed message is an IpcMessageError for the
 * receiver to report, never a crash and never trusted.
 *
 * parent → child: initialize, startJob, shutdown, ping.
 * child → parent: initialized | initializeFailed, pong (with the memory report), jobStarted,
 * jobShuttingDown, jobClosing, jobEnded, uncaughtError.
 */
import { VoxstateError } from '../errors.js';
import type { ModuleEntry } from '../server/agent_module.js';
import type { RunningJobInfo } from '../worker/running_job.js';

/** Which room a job joins in the child: LiveKit's (a worker), or an in-process LocalRoom (tests). */
export type RoomKind = 'livekit' | 'local';

export type ParentMessage =
  | {
      type: 'initialize';
      /** The agent module to import (the file that called server.rtcSession, or ServerOptions' agent). */
      module: string;
      /** Where the module's entrypoint is. */
      entry: ModuleEntry;
      room: RoomKind;
      /** How long an orphaned child gives its job to shut down before it exits anyway (ms). */
      shutdownProcessTimeout: number;
    }
  | { type: 'startJob'; info: RunningJobInfo }
  | { type: 'shutdown'; reason: string }
  | { type: 'ping'; timestamp: number };

/** What a child measured of itself: rss is the process's, heapUsed the JS heap of its isolate (bytes). */
export interface MemoryReport {
  rss: number;
  heapUsed: number;
}

export type ChildMessage =
  | { type: 'initialized' }
  | { type: 'initializeFailed'; error: string }
  | { type: 'pong'; timestamp: number; memory: MemoryReport }
  | { type: 'jobStarted'; jobId: string }
  | { type: 'jobShuttingDown'; reason: string }
  | { type: 'jobClosing' }
  | { type: 'jobEnded'; status: 'success' | 'failed'; reason: string; error: string | undefined }
  | { type: 'uncaughtError'; error: string };

/** A message from the other side of a job channel that is not one of ours, or not well formed. */
export class IpcMessageError extends VoxstateError {
  constructor(from: 'parent' | 'child', problem: string) {
    super('ipc_message_invalid', `malformed message from the ${from} process: ${problem}; it was ignored`);
  }
}

type Check = (value: unknown) => string | undefined;

const text: Check = (value) => (typeof value === 'string' ? undefined : 'not text');
const number: Check = (value) => (typeof value === 'number' && Number.isFinite(value) ? undefined : 'not a finite number');
const oneOf =
  (...allowed: string[]): Check =>
  (value) =>
    typeof value === 'string' && allowed.includes(value) ? undefined : `not one of ${allowed.join(', ')}`;
const optional =
  (check: Check): Check =>
  (value) =>
    value === undefined || value === null ? undefined : check(value);
const record =
  (fields: Record<string, Check>): Check =>
  (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not an object';
    for (const [name, check] of Object.entries(fields)) {
      const problem = check((value as Record<string, unknown>)[name]);
      if (problem !== undefined) return `${name} is ${problem}`;
    }
    return undefined;
  };
/** One of several shapes, told apart by the text in its field `tag`. */
const variant =
  (tag: string, shapes: Record<string, Check>): Check =>
  (value) => {
    const kind = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[tag] : undefined;
    const check = typeof kind === 'string' && Object.hasOwn(shapes, kind) ? shapes[kind] : undefined;
    return check === undefined ? `not { ${tag}: ${Object.keys(shapes).join(' | ')} }` : check(value);
  };
const textMap: Check = (value) => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not an object';
  return Object.values(value).every((item) => typeof item === 'string') ? undefined : 'not a map of text';
};

const runningJobInfo = record({
  job: record({
    id: text,
    dispatchId: text,
    type: oneOf('room', 'publisher', 'participant'),
    roomName: text,
    roomSid: text,
    metadata: text,
    agentName: text,
    participantIdentity: optional(text),
    attributes: textMap,
  }),
  acceptArguments: record({ identity: text, name: text, metadata: text, attributes: textMap }),
  url: text,
  token: text,
  workerId: text,
});

const PARENT_MESSAGES: Record<ParentMessage['type'], Check> = {
  initialize: record({
    module: text,
    entry: variant('from', { rtcSession: record({}), defaultExport: record({ agentName: text, initializeProcessTimeout: number }) }),
    room: oneOf('livekit', 'local'),
    shutdownProcessTimeout: number,
  }),
  startJob: record({ info: runningJobInfo }),
  shutdown: record({ reason: text }),
  ping: record({ timestamp: number }),
};

const CHILD_MESSAGES: Record<ChildMessage['type'], Check> = {
  initialized: record({}),
  initializeFailed: record({ error: text }),
  pong: record({ timestamp: number, memory: record({ rss: number, heapUsed: number }) }),
  jobStarted: record({ jobId: text }),
  jobShuttingDown: record({ reason: text }),
  jobClosing: record({}),
  jobEnded: record({ status: oneOf('success', 'failed'), reason: text, error: optional(text) }),
  uncaughtError: record({ error: text }),
};

function parse<T>(from: 'parent' | 'child', checks: Record<string, Check>, raw: unknown): T {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new IpcMessageError(from, `expected an object, got ${kindOf(raw)}`);
  const type = (raw as { type?: unknown }).type;
  if (typeof type !== 'string') throw new IpcMessageError(from, 'it has no type');
  const check = Object.hasOwn(checks, type) ? checks[type] : undefined;
  // Only the type and the problem are told: a message may carry a token.
  if (check === undefined) throw new IpcMessageError(from, `unknown type ${JSON.stringify(type.slice(0, 40))}`);
  const problem = check(raw);
  if (problem !== undefined) throw new IpcMessageError(from, `${type}: ${problem}`);
  return raw as T;
}

/** Checks a message the child received. */
export function parseParentMessage(raw: unknown): ParentMessage {
  return parse<ParentMessage>('parent', PARENT_MESSAGES, raw);
}

/** Checks a message the parent received. */
export function parseChildMessage(raw: unknown): ChildMessage {
  return parse<ChildMessage>('child', CHILD_MESSAGES, raw);
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
