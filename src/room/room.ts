/**
 * The room an agent joins, as far as voxstate needs it. LocalRoom implements it in process (console
 * mode, tests); a LiveKit room implements it over the network.
 */
import type { AudioFrame } from '../audio/audio_frame.js';
import type { AudioOutput } from '../audio/audio_output.js';
import type { EventEmitter } from '../events/emitter.js';

export type { AudioFrame };

/** What a participant is, as LiveKit's ParticipantKind. */
export type ParticipantKind = 'standard' | 'sip' | 'connector' | 'agent' | 'ingress' | 'egress' | 'bridge';

/** The kinds participant entrypoints and waitForParticipant accept unless told otherwise. */
export const DEFAULT_PARTICIPANT_KINDS: readonly ParticipantKind[] = ['standard', 'sip', 'connector'];

export interface Participant {
  readonly identity: string;
  readonly name: string;
  readonly kind: ParticipantKind;
  readonly attributes: Readonly<Record<string, string>>;
}

/** Another participant of the room, seen from the agent. */
export type RemoteParticipant = Participant;


export interface AudioTrack {
  readonly sid: string;
  readonly kind: 'audio';
  /** The participant who publishes it. */
  readonly participantIdentity: string;
  /** The frames as they arrive; ends when the track is unpublished. */
  frames(): AsyncIterable<AudioFrame>;
}

export interface TextInfo {
  readonly participant: RemoteParticipant;
  readonly topic: string;
  readonly attributes: Readonly<Record<string, string>>;
}

/** The agent's own participant. */
export interface LocalParticipant extends Participant {
  sendText(text: string, options?: { topic?: string; attributes?: Record<string, string> }): Promise<void>;
  publishData(data: Uint8Array, options?: { topic?: string }): Promise<void>;
  setAttributes(attributes: Record<string, string>): Promise<void>;
  /** Publishes an audio track for the agent's voice; what is played on it reaches the room. */
  publishAudio(): AudioOutput;
}

export type RoomEvents = {
  connected: () => void;
  disconnected: (reason: string) => void;
  participantConnected: (participant: RemoteParticipant) => void;
  participantDisconnected: (participant: RemoteParticipant) => void;
  participantAttributesChanged: (changed: Readonly<Record<string, string>>, participant: Participant) => void;
  trackSubscribed: (track: AudioTrack, participant: RemoteParticipant) => void;
  textReceived: (text: string, info: TextInfo) => void;
  dataReceived: (data: Uint8Array, participant: RemoteParticipant, topic: string | undefined) => void;
};

export interface Room extends Pick<EventEmitter<RoomEvents>, 'on' | 'once' | 'off'> {
  readonly name: string;
  readonly isConnected: boolean;
  /** The agent's participant, once connected. */
  readonly localParticipant: LocalParticipant | undefined;
  readonly remoteParticipants: ReadonlyMap<string, RemoteParticipant>;
  /**
   * The remote audio tracks subscribed now, by sid: a session started after the room connected
   * listens to these, since their trackSubscribed events came before it did.
   */
  readonly audioTracks: ReadonlyMap<string, AudioTrack>;
  /** Connects; a second call while connected does nothing. */
  connect(): Promise<void>;
  /** Leaves the room; a second call does nothing. */
  disconnect(): Promise<void>;
}

/** Topic LiveKit clients use for chat text from the user. */
export const CHAT_TOPIC = 'lk.chat';
/** Topic LiveKit clients use for the agent's transcription. */
export const TRANSCRIPTION_TOPIC = 'lk.transcription';
