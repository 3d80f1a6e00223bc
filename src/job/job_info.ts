/** What the dispatcher tells a job about itself, as LiveKit's Job message. */
import { JobMetadataError } from '../errors.js';

export interface JobInfo {
  readonly id: string;
  /** Free-form text from the dispatch request; JSON by convention. */
  readonly metadata: string;
  readonly room: { readonly name: string; readonly sid: string };
  readonly agentName: string;
  /** The dispatch that created the job ('' outside LiveKit). */
  readonly dispatchId: string;
  /** For a participant or publisher job: the participant it is about. */
  readonly participantIdentity: string | undefined;
  /** Attributes the dispatch gave the job. */
  readonly attributes: Readonly<Record<string, string>>;
  /** The LiveKit worker that took the job ('' outside LiveKit). */
  readonly workerId: string;
}

/** What a dispatcher may say about a job; only id and roomName are required. */
export interface RawJobInfo {
  id: string;
  metadata?: unknown;
  roomName: string;
  roomSid?: string;
  agentName?: string;
  dispatchId?: string;
  participantIdentity?: string;
  attributes?: Record<string, string>;
  workerId?: string;
}

/** Checks what the dispatcher sent; a missing or non-text field is reported, never a crash later. */
export function jobInfo(raw: RawJobInfo): JobInfo {
  if (typeof raw.id !== 'string' || raw.id === '') throw new TypeError('a job needs an id');
  if (raw.metadata !== undefined && typeof raw.metadata !== 'string') {
    throw new JobMetadataError(raw.id, `must be text (got ${typeof raw.metadata}); send JSON as a string`);
  }
  return {
    id: raw.id,
    metadata: raw.metadata ?? '',
    room: { name: raw.roomName, sid: raw.roomSid ?? '' },
    agentName: raw.agentName ?? '',
    dispatchId: raw.dispatchId ?? '',
    participantIdentity: raw.participantIdentity,
    attributes: { ...raw.attributes },
    workerId: raw.workerId ?? '',
  };
}

/** Parses the job's metadata as JSON; JobMetadataError says where it is malformed. */
export function parseJobMetadata<T = unknown>(job: JobInfo, check?: (value: unknown) => value is T): T {
  let value: unknown;
  try {
    value = JSON.parse(job.metadata);
  } catch (error) {
    const shown = job.metadata.length > 80 ? `${job.metadata.slice(0, 80)}…` : job.metadata;
    throw new JobMetadataError(job.id, `is not valid JSON (${(error as Error).message}): ${JSON.stringify(shown)}`, error);
  }
  if (check && !check(value)) throw new JobMetadataError(job.id, 'does not have the expected shape');
  return value as T;
}
