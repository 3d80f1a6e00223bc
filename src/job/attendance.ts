/**
 * Who a job runs for. LiveKit: "The job runs until all standard and SIP participants leave the
 * room". Agents, egress, ingress and the like come and go without keeping a job alive.
 */
import type { ParticipantKind, RemoteParticipant, Room } from '../room/room.js';

/** The kinds of participant whose presence keeps a job running. */
export const ATTENDING_KINDS: readonly ParticipantKind[] = ['standard', 'sip'];

/** Whether `participant` keeps a job running. */
export function attends(participant: RemoteParticipant): boolean {
  return ATTENDING_KINDS.includes(participant.kind);
}

/** Whether a standard or SIP participant is in `room` now. */
export function isAttended(room: Room): boolean {
  for (const participant of room.remoteParticipants.values()) if (attends(participant)) return true;
  return false;
}
