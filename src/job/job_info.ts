/** What the dispatcher tells a job about itself, as LiveKit's Job message. */
import { JobMetadataError } from '../errors.js';

export interface JobInfo {
  readonly id: string;
  /** Free-form text from the dispatch request; JSON by convention. */
  readonly metadata: string;
  readonly room: { readonly name: string };
  readonly agentName: string;
}

/** Checks what the dispatcher sent; a missing or non-text field is reported, never a crash later. */
export function jobInfo(raw: { id: string; metadata?: unknown; roomName: string; agentName?: string }): JobInfo {
  if (typeof raw.id !== 'string' || raw.id === '') throw new TypeError('a job needs an id');
  if (raw.metadata !== undefined && typeof raw.metadata !== 'string') {
    throw new JobMetadataError(raw.id, `must be text (got ${typeof raw.metadata}); send JSON as a string`);
  }
  return { id: raw.id, metadata: raw.metadata ?? '', room: { name: raw.roomName }, agentName: raw.agentName ?? '' };
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
