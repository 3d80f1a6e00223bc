/**
 * How a session uses its room, in agents-js's shape (`session.start({ agent, room, inputOptions,
 * outputOptions })`, its RoomInputOptions and RoomOutputOptions) with LiveKit's defaults. What
 * voxstate cannot honour — an unknown key, a value of the wrong kind — is one InvalidOptionsError
 * naming every problem, never ignored.
 */
import { InvalidOptionsError } from '../errors.js';
import { flag, only, readObject, show, type Check } from '../options/option_checks.js';
import { participantKindOf } from '../room/livekit_mapping.js';
import { DEFAULT_PARTICIPANT_KINDS, type ParticipantKind } from '../room/room.js';

/** What the session takes from the room (agents-js's RoomInputOptions, as voxstate honours them). */
export interface RoomInputOptions {
  /** The user's chat text (topic lk.chat) becomes user turns (default true). */
  textEnabled?: boolean;
  /** The linked participant's audio is listened to, when the session has a VAD or an STT (default true). */
  audioEnabled?: boolean;
  /** Only false (the default): voxstate does not take video. */
  videoEnabled?: boolean;
  /** The participant to talk with; by default the first one of `participantKinds` to join. */
  participantIdentity?: string;
  /**
   * The kinds of participant the session links to (default standard, SIP and connector, as
   * LiveKit's). voxstate's names or @livekit/rtc-node's ParticipantKind values.
   */
  participantKinds?: ReadonlyArray<ParticipantKind | number>;
  /** Close the session (reason participant_disconnected) when the linked participant leaves (default true). */
  closeOnDisconnect?: boolean;
  /** Delete the room (LiveKit's RoomService; an in-process room is closed) once the session has closed (default false). */
  deleteRoomOnClose?: boolean;
}

/** What the session sends to the room (agents-js's RoomOutputOptions, as voxstate honours them). */
export interface RoomOutputOptions {
  /**
   * Transcriptions on lk.transcription text streams: the agent's as it is heard, the user's as
   * the STT gives them (default true).
   */
  transcriptionEnabled?: boolean;
  /** The agent's voice on an audio track, when the session has a TTS (default true); false: a text-only session. */
  audioEnabled?: boolean;
  /** Only true (the default): the agent's transcription always follows the audio played. */
  syncTranscription?: boolean;
}

/** The room options resolved, with defaults. */
export interface RoomOptions {
  textInput: boolean;
  audioInput: boolean;
  participantIdentity: string | undefined;
  participantKinds: readonly ParticipantKind[];
  closeOnDisconnect: boolean;
  deleteRoomOnClose: boolean;
  transcriptionOutput: boolean;
  audioOutput: boolean;
}

const identity: Check = (value) => (typeof value === 'string' && value !== '' ? undefined : `must be a participant's identity, a non-empty string (got ${show(value)})`);

const kinds: Check = (value) => {
  if (!Array.isArray(value) || value.length === 0) return `must be a non-empty array of participant kinds (got ${show(value)})`;
  const unknown = value.filter((kind) => kindOf(kind) === undefined);
  return unknown.length === 0 ? undefined : `${unknown.map(show).join(', ')} ${unknown.length === 1 ? 'is not a participant kind' : 'are not participant kinds'}; accepted: ${KINDS.join(', ')} (or @livekit/rtc-node's ParticipantKind values)`;
};

const KINDS: readonly ParticipantKind[] = ['standard', 'sip', 'connector', 'agent', 'ingress', 'egress', 'bridge'];

function kindOf(kind: unknown): ParticipantKind | undefined {
  if (typeof kind === 'number') return participantKindOf(kind);
  return KINDS.find((known) => known === kind);
}

const INPUT = {
  textEnabled: flag,
  audioEnabled: flag,
  videoEnabled: only(false, 'voxstate does not take video'),
  participantIdentity: identity,
  participantKinds: kinds,
  closeOnDisconnect: flag,
  deleteRoomOnClose: flag,
} satisfies Record<keyof RoomInputOptions, Check>;

const OUTPUT = {
  transcriptionEnabled: flag,
  audioEnabled: flag,
  syncTranscription: only(true, "voxstate's transcription always follows the audio played"),
} satisfies Record<keyof RoomOutputOptions, Check>;

/** The options resolved with LiveKit's defaults; InvalidOptionsError (owner "AgentSession.start") naming every problem. */
export function resolveRoomOptions(inputOptions: unknown, outputOptions: unknown): RoomOptions {
  const problems: string[] = [];
  const input = read('inputOptions', inputOptions, INPUT, problems) as RoomInputOptions;
  const output = read('outputOptions', outputOptions, OUTPUT, problems) as RoomOutputOptions;
  if (problems.length > 0) throw new InvalidOptionsError('AgentSession.start', problems);
  return {
    textInput: input.textEnabled ?? true,
    audioInput: input.audioEnabled ?? true,
    participantIdentity: input.participantIdentity,
    participantKinds: input.participantKinds?.map((kind) => kindOf(kind)!) ?? DEFAULT_PARTICIPANT_KINDS,
    closeOnDisconnect: input.closeOnDisconnect ?? true,
    deleteRoomOnClose: input.deleteRoomOnClose ?? false,
    transcriptionOutput: output.transcriptionEnabled ?? true,
    audioOutput: output.audioEnabled ?? true,
  };
}

/** One of the two objects, checked key by key (problems collected); undefined reads as {}. */
function read(path: string, value: unknown, checks: Record<string, Check>, problems: string[]): Record<string, unknown> {
  if (value === undefined) return {};
  const fields = readObject(path, value, Object.keys(checks), problems, 'an object');
  for (const [key, field] of Object.entries(fields)) {
    const problem = field === undefined ? undefined : checks[key]!(field);
    if (problem) problems.push(`${path}.${key}: ${problem}`);
  }
  return fields;
}
