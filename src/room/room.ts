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

/** A text stream as LiveKit describes it (rtc-node's TextStreamInfo, as far as voxstate uses it). */
export interface TextStreamInfo {
  readonly streamId: string;
  readonly topic: string;
  /** When the stream was opened, in ms since the epoch. */
  readonly timestamp: number;
  readonly attributes: Readonly<Record<string, string>>;
}

/** Options of a text stream the agent sends (LiveKit's streamText / sendText options). */
export interface TextStreamOptions {
  topic?: string;
  attributes?: Record<string, string>;
  /**
   * Whom the stream is attributed to, when not the agent: LiveKit's agents send a user's
   * transcripts attributed to that user (streamText only).
   */
  senderIdentity?: string;
}

/** A text stream being written: chunks reach the receivers as they are written, in order. */
export interface TextStreamWriter {
  readonly info: TextStreamInfo;
  write(text: string): Promise<void>;
  /** Ends the stream: receivers have the whole text. */
  close(): Promise<void>;
}

/** The agent's own participant. */
export interface LocalParticipant extends Participant {
  /** Sends `text` as one text stream (topic lk.chat unless told otherwise). */
  sendText(text: string, options?: Omit<TextStreamOptions, 'senderIdentity'>): Promise<TextStreamInfo>;
  /** Opens a text stream to write in chunks (topic lk.chat unless told otherwise). */
  streamText(options?: TextStreamOptions): Promise<TextStreamWriter>;
  publishData(data: Uint8Array, options?: { topic?: string }): Promise<void>;
  /**
   * Sets the given attributes and keeps the others (an empty value removes a key). The room gets
   * the whole set each time: a LiveKit write replaces the keys it does not name, and the agent's
   * own `lk.agent.state` must survive the application's attributes.
   */
  setAttributes(attributes: Record<string, string>): Promise<void>;
  /** Publishes an audio track for the agent's voice (once; later calls return the same output). */
  publishAudio(): AudioOutput;
  /** The sid of the agent's audio track, once published (the `lk.transcribed_track_id` of its transcriptions). */
  readonly audioTrackSid: string | undefined;
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
/** Topic of transcriptions, the agent's and the user's (text streams, as LiveKit's agents send them). */
export const TRANSCRIPTION_TOPIC = 'lk.transcription';
/** The agent participant's attribute that LiveKit frontends read its state from. */
export const ATTRIBUTE_AGENT_STATE = 'lk.agent.state';
/** A transcription stream's segment: streams of one segment show as one message, the latest text winning. */
export const ATTRIBUTE_TRANSCRIPTION_SEGMENT_ID = 'lk.segment_id';
/** The sid of the audio track a transcription stream transcribes. */
export const ATTRIBUTE_TRANSCRIPTION_TRACK_ID = 'lk.transcribed_track_id';
/** "true" on the stream that ends a transcription segment, "false" before. */
export const ATTRIBUTE_TRANSCRIPTION_FINAL = 'lk.transcription_final';
