/**
 * Translating between LiveKit's agent protocol messages (@livekit/protocol, livekit_agent.proto)
 * and the worker's plain data.
 */
import { JobType, ParticipantPermission, type Job } from '@livekit/protocol';
import type { WorkerPermissions } from '../server/agent_server.js';
import type { AssignedJob } from './running_job.js';

const JOB_TYPES: Record<JobType, AssignedJob['type']> = {
  [JobType.JT_ROOM]: 'room',
  [JobType.JT_PUBLISHER]: 'publisher',
  [JobType.JT_PARTICIPANT]: 'participant',
};

/** The job type a worker registers for (AgentServerOptions.workerType). */
export function jobTypeOf(workerType: 'room' | 'publisher' | undefined): JobType {
  return workerType === 'publisher' ? JobType.JT_PUBLISHER : JobType.JT_ROOM;
}

/** The plain job from LiveKit's Job message. */
export function assignedJob(job: Job): AssignedJob {
  return {
    id: job.id,
    dispatchId: job.dispatchId,
    type: JOB_TYPES[job.type] ?? 'room',
    roomName: job.room?.name ?? '',
    roomSid: job.room?.sid ?? '',
    metadata: job.metadata,
    agentName: job.agentName,
    participantIdentity: job.participant?.identity || undefined,
    attributes: { ...job.attributes },
  };
}

/** The agent's permissions in its rooms, as RegisterWorkerRequest carries them (LiveKit's defaults: all but hidden). */
export function participantPermission(permissions: Partial<WorkerPermissions> = {}): ParticipantPermission {
  return new ParticipantPermission({
    canPublish: permissions.canPublish ?? true,
    canSubscribe: permissions.canSubscribe ?? true,
    canPublishData: permissions.canPublishData ?? true,
    canUpdateMetadata: permissions.canUpdateMetadata ?? true,
    canPublishSources: permissions.canPublishSources ?? [],
    hidden: permissions.hidden ?? false,
    agent: true,
  });
}

/** The attribute LiveKit's agents put on the agent participant: the worker's agent name. */
export const AGENT_NAME_ATTRIBUTE = 'lk.agent.name';
