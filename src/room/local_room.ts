/**
 * An in-process room: no server, no network. The agent connects to it like to a LiveKit room;
 * members (a terminal user, a test) join, talk by text, publish audio, change attributes and leave.
 */
import { EventEmitter } from '../events/emitter.js';
import { ClosedError } from '../errors.js';
import type {
  AudioFrame,
  AudioTrack,
  LocalParticipant,
  Participant,
  ParticipantKind,
  RemoteParticipant,
  Room,
  RoomEvents,
} from './room.js';
import { newId } from '../ids.js';
import { PacedAudioOutput, type AudioOutput } from '../audio/audio_output.js';

export interface MemberInfo {
  identity: string;
  name?: string;
  kind?: ParticipantKind;
  attributes?: Record<string, string>;
}

/** Text the agent sent to the room, as a member receives it. */
export interface ReceivedText {
  text: string;
  topic: string;
  from: string;
  attributes: Readonly<Record<string, string>>;
}

export class LocalRoom extends EventEmitter<RoomEvents> implements Room {
  readonly name: string;
  #connected = false;
  #local: LocalParticipant | undefined;
  readonly #members = new Map<string, LocalRoomMember>();
  readonly #tracks = new Map<string, AudioTrack>();
  readonly #agentIdentity: string;

  constructor(options: { name?: string; agentIdentity?: string } = {}) {
    super();
    this.name = options.name ?? newId('room');
    this.#agentIdentity = options.agentIdentity ?? 'agent';
  }

  get isConnected(): boolean {
    return this.#connected;
  }

  get localParticipant(): LocalParticipant | undefined {
    return this.#local;
  }

  get remoteParticipants(): ReadonlyMap<string, RemoteParticipant> {
    return new Map([...this.#members].map(([identity, member]) => [identity, member.participant]));
  }

  get audioTracks(): ReadonlyMap<string, AudioTrack> {
    return this.#tracks;
  }

  async connect(): Promise<void> {
    if (this.#connected) return;
    this.#connected = true;
    this.#local = new LocalAgentParticipant(this, this.#agentIdentity);
    this.emit('connected');
  }

  async disconnect(): Promise<void> {
    this.#drop('client initiated');
  }

  /** The server side ends the room (as deleting it in LiveKit): the agent sees `disconnected`. */
  close(reason = 'room deleted'): void {
    this.#drop(reason);
  }

  /** A participant joins; the agent sees it if connected (and in remoteParticipants either way). */
  join(info: MemberInfo): LocalRoomMember {
    if (this.#members.has(info.identity)) throw new Error(`${info.identity} is already in room ${this.name}`);
    const member = new LocalRoomMember(this, {
      identity: info.identity,
      name: info.name ?? info.identity,
      kind: info.kind ?? 'standard',
      attributes: { ...info.attributes },
    });
    this.#members.set(info.identity, member);
    if (this.#connected) this.emit('participantConnected', member.participant);
    return member;
  }

  /** @internal */
  _leave(member: LocalRoomMember): void {
    if (this.#members.get(member.participant.identity) !== member) return;
    this.#members.delete(member.participant.identity);
    for (const [sid, track] of this.#tracks) if (track.participantIdentity === member.participant.identity) this.#tracks.delete(sid);
    if (this.#connected) this.emit('participantDisconnected', member.participant);
  }

  /** @internal a member published a track */
  _published(track: AudioTrack): void {
    this.#tracks.set(track.sid, track);
  }

  /** @internal delivers what the agent sends to every member. */
  _fromAgent(text: string, topic: string, attributes: Record<string, string>): void {
    if (!this.#connected) throw new ClosedError(`room ${this.name}`, 'sendText()', 'disconnected');
    for (const member of this.#members.values()) member._receive({ text, topic, from: this.#agentIdentity, attributes });
  }

  /** @internal delivers the agent's audio, as it is played, to every member. */
  _audioFromAgent(frame: AudioFrame): void {
    for (const member of this.#members.values()) member._hear(frame);
  }

  #drop(reason: string): void {
    if (!this.#connected) return;
    this.#connected = false;
    this.#local = undefined;
    this.emit('disconnected', reason);
  }
}

/** A participant of a LocalRoom other than the agent: the handle a terminal or a test holds. */
export class LocalRoomMember {
  #participant: { -readonly [K in keyof Participant]: Participant[K] };
  readonly received: ReceivedText[] = [];
  readonly #textListeners = new Set<(text: ReceivedText) => void>();
  readonly #audioListeners = new Set<(frame: AudioFrame) => void>();

  constructor(
    private readonly room: LocalRoom,
    participant: Participant,
  ) {
    this.#participant = { ...participant, attributes: { ...participant.attributes } };
  }

  get participant(): RemoteParticipant {
    return this.#participant;
  }

  /** Sends text to the agent (topic lk.chat unless told otherwise). */
  sendText(text: string, options: { topic?: string; attributes?: Record<string, string> } = {}): void {
    if (!this.room.isConnected) return;
    this.room.emit('textReceived', text, {
      participant: this.#participant,
      topic: options.topic ?? 'lk.chat',
      attributes: options.attributes ?? {},
    });
  }

  /** Sends bytes to the agent. */
  sendData(data: Uint8Array, topic?: string): void {
    if (this.room.isConnected) this.room.emit('dataReceived', data, this.#participant, topic);
  }

  /** Changes attributes; the agent sees participantAttributesChanged with what changed. */
  setAttributes(attributes: Record<string, string>): void {
    this.#participant.attributes = { ...this.#participant.attributes, ...attributes };
    if (this.room.isConnected) this.room.emit('participantAttributesChanged', attributes, this.#participant);
  }

  /** Publishes an audio track whose frames come from `frames`. */
  publishAudio(frames: AsyncIterable<AudioFrame>): AudioTrack {
    const track: AudioTrack = { sid: newId('track'), kind: 'audio', participantIdentity: this.#participant.identity, frames: () => frames };
    this.room._published(track);
    if (this.room.isConnected) this.room.emit('trackSubscribed', track, this.#participant);
    return track;
  }

  /** Calls `listener` with every frame of the agent's voice, as it is played. */
  onAudio(listener: (frame: AudioFrame) => void): () => void {
    this.#audioListeners.add(listener);
    return () => this.#audioListeners.delete(listener);
  }

  /** @internal */
  _hear(frame: AudioFrame): void {
    for (const listener of this.#audioListeners) listener(frame);
  }

  /** Calls `listener` for every text the agent sends. */
  onText(listener: (text: ReceivedText) => void): () => void {
    this.#textListeners.add(listener);
    return () => this.#textListeners.delete(listener);
  }

  leave(): void {
    this.room._leave(this);
  }

  /** @internal */
  _receive(text: ReceivedText): void {
    this.received.push(text);
    for (const listener of this.#textListeners) listener(text);
  }
}

class LocalAgentParticipant implements LocalParticipant {
  readonly kind = 'agent' as const;
  readonly name: string;
  #attributes: Record<string, string> = {};

  constructor(
    private readonly room: LocalRoom,
    readonly identity: string,
  ) {
    this.name = identity;
  }

  get attributes(): Readonly<Record<string, string>> {
    return this.#attributes;
  }

  async sendText(text: string, options: { topic?: string; attributes?: Record<string, string> } = {}): Promise<void> {
    this.room._fromAgent(text, options.topic ?? 'lk.chat', options.attributes ?? {});
  }

  async publishData(data: Uint8Array, options: { topic?: string } = {}): Promise<void> {
    this.room._fromAgent(Buffer.from(data).toString('base64'), options.topic ?? 'lk.data', { encoding: 'base64' });
  }

  async setAttributes(attributes: Record<string, string>): Promise<void> {
    this.#attributes = { ...this.#attributes, ...attributes };
  }

  publishAudio(): AudioOutput {
    // Played in real time (or fake time), then heard by every member.
    return new PacedAudioOutput((frame) => this.room._audioFromAgent(frame));
  }
}
