/**
 * Publishes a job's room on a runtime: `room:joined` / `room:left` as the room connects and
 * disconnects, `entity:joined` / `entity:left` / `entity:updated` for its participants, and the
 * job's primary session (attached when it starts, detached with the job).
 */
import type { JobContext } from '../job/job_context.js';
import type { Participant, RemoteParticipant, RoomEvents } from '../room/room.js';
import type { AgentSession } from '../session/agent_session.js';
import type { AgentRuntime } from './runtime.js';

/** @internal used by AgentRuntime.attachJob; returns the function that stops publishing. */
export function attachJob(runtime: AgentRuntime, ctx: JobContext): () => void {
  const room = ctx.room;
  const jobId = ctx.job.id;
  const entity = (participant: Participant) => ({ entityId: participant.identity, participant, roomName: room.name });
  const listeners: { [E in keyof RoomEvents]?: RoomEvents[E] } = {
    connected: () => {
      void runtime.emit('room:joined', { roomName: room.name, room, jobId });
      for (const participant of room.remoteParticipants.values()) void runtime.emit('entity:joined', entity(participant));
    },
    disconnected: (reason) => void runtime.emit('room:left', { roomName: room.name, room, jobId, reason }),
    participantConnected: (participant: RemoteParticipant) => void runtime.emit('entity:joined', entity(participant)),
    participantDisconnected: (participant: RemoteParticipant) => void runtime.emit('entity:left', entity(participant)),
    participantAttributesChanged: (changed, participant) => void runtime.emit('entity:updated', { ...entity(participant), changed }),
  };
  for (const [event, listener] of Object.entries(listeners)) room.on(event as 'connected', listener as RoomEvents['connected']);
  let detachSession: (() => void) | undefined;
  const sessionStarted = (session: AgentSession) => {
    detachSession = runtime.attach(session);
  };
  ctx.on('session_started', sessionStarted);
  // Attached late: what already happened is announced now.
  if (room.isConnected) listeners.connected!();
  if (ctx.primarySession) sessionStarted(ctx.primarySession);
  return () => {
    for (const [event, listener] of Object.entries(listeners)) room.off(event as 'connected', listener as RoomEvents['connected']);
    ctx.off('session_started', sessionStarted);
    detachSession?.();
  };
}
