/**
 * Translating between LiveKit's agent protocol messages (@livekit/protocol, livekit_agent.proto)
 * and the worker's plain data.
 */
import type * as Protocol from '@livekit/protocol';
import type { Job, JobType, ParticipantPermission } from '@livekit/protocol';
import { onDemand } from '../plugins/on_demand.js';
import type { WorkerPermissions } from '../server/agent_server.js';
import type { AssignedJob } from './running_job.js';

/**
 * @livekit/protocol, loaded on demand (~5 MB of a process that imports voxstate): only a worker
 * that connects to LiveKit needs it, never a job process, which imports the same voxstate.
 */
const protocol = onDemand<typeof Protocol>(() => import('@livekit/protocol'));

/** Loads @livekit/protocol; the worker's connection does, first. */
export async function loadLiveKitProtocol(): Promise<void> {
  await protocol.load();
}

/** @livekit/protocol, once loadLiveKitProtocol() has loaded it. */
export function liveKitProtocol(): typeof Protocol {
  const loaded = protocol.loaded();
  if (loaded === undefined) throw new Error('voxstate: @livekit/protocol is used before the worker loaded it');
  return loaded;
}

/** The job type a worker registers for (AgentServerOptions.workerType). */
export function jobTypeOf(workerType: 'room' | 'publisher' | undefined): JobType {
  const { JobType } = liveKitProtocol();
  return workerType === 'publisher' ? JobType.JT_PUBLISHER : JobType.JT_ROOM;
}

function jobTypeName(type: JobType): AssignedJob['type'] {
  const { JobType } = liveKitProtocol();
  return type === JobType.JT_PUBLISHER ? 'publisher' : type === JobType.JT_PARTICIPANT ? 'participant' : 'room';
}

/** The plain job from LiveKit's Job message. */
export function assignedJob(job: Job): AssignedJob {
  return {
    id: job.id,
    dispatchId: job.dispatchId,
    type: jobTypeName(job.type),
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
  return new (liveKitProtocol().ParticipantPermission)({
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
