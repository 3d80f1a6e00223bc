/**
 * An in-process room: no server, no network. The agent connects to it like to a LiveKit room;
 * members (a terminal user, a test, a frontend built on it) join, talk by text, publish audio,
 * change attributes and leave. What the agent sends reaches members as LiveKit delivers it: text
 * streams chunk by chunk (per topic, to a handler as livekit-client registers one), the agent's
 * attributes as the room holds them, and its voice as it is played.
 */
import { EventEmitter } from '../events/emitter.js';
import { ClosedError } from '../errors.js';
import {
  ATTRIBUTE_TRANSCRIPTION_FINAL,
  CHAT_TOPIC,
  type AudioFrame,
  type AudioTrack,
  type LocalParticipant,
  type Participant,
  type ParticipantKind,
  type RemoteParticipant,
  type Room,
  type RoomEvents,
  type TextStreamInfo,
  type TextStreamOptions,
  type TextStreamWriter,
} from './room.js';
import { mergeAttributes } from './attributes.js';
import { newId } from '../ids.js';
import { PacedAudioOutput, type AudioOutput } from '../audio/audio_output.js';
import { LocalTextStreamWriter, TextStreamReader, type TextStreamSink } from './local_text_stream.js';

export { TextStreamReader } from './local_text_stream.js';

export interface MemberInfo {
  identity: string;
  name?: string;
  kind?: ParticipantKind;
  attributes?: Record<string, string>;
}

/** Another participant as a member sees it: with the sid of its audio track, once it published one. */
export interface MemberView extends Participant {
  readonly audioTrackSid: string | undefined;
}

/**
 * A message a member received, whole: a text stream once it has ended, or data. An interim
 * transcription (`lk.transcription_final` "false") is not one: the final stream of its segment
 * is, as a chat view shows it.
 */
export interface ReceivedText {
  text: string;
  topic: string;
  /** The identity the stream was attributed to: the agent's, or a user's for their transcripts. */
  from: string;
  attributes: Readonly<Record<string, string>>;
}

/** livekit-client's text stream handler: called when a stream on its topic opens. */
export type TextStreamHandler = (reader: TextStreamReader, participantInfo: { identity: string }) => void;

export class LocalRoom extends EventEmitter<RoomEvents> implements Room {
  readonly name: string;
  #connected = false;
  #local: LocalAgentParticipant | undefined;
  readonly #members = new Map<string, LocalRoomMember>();
  readonly #tracks = new Map<string, AudioTrack>();
  readonly #streams = new Set<LocalTextStreamWriter>();
  readonly #agentIdentity: string;
  /** The agent's attributes as the room holds them: each write replaces the whole set, as LiveKit's does. */
  #agentAttributes: Readonly<Record<string, string>> = {};

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
      audioTrackSid: undefined,
    });
    this.#members.set(info.identity, member);
    if (this.#connected) this.emit('participantConnected', member.participant);
    return member;
  }

  /** @internal the participants `member` sees: the agent (once connected) and the other members. */
  _othersOf(member: LocalRoomMember): ReadonlyMap<string, MemberView> {
    const others = new Map<string, MemberView>();
    if (this.#local) others.set(this.#local.identity, this.#local);
    for (const [identity, other] of this.#members) if (other !== member) others.set(identity, other.participant);
    return others;
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

  /** @internal opens a text stream from the agent to every member in the room now. */
  _openTextStream(options: TextStreamOptions): LocalTextStreamWriter {
    if (!this.#connected) throw new ClosedError(`room ${this.name}`, 'streamText()', 'disconnected');
    const info: TextStreamInfo = {
      streamId: newId('TS'),
      topic: options.topic ?? CHAT_TOPIC,
      timestamp: Date.now(),
      attributes: { ...options.attributes },
    };
    const from = options.senderIdentity ?? this.#agentIdentity;
    const sinks = [...this.#members.values()].map((member) => member._openTextStream(info, from));
    const writer = new LocalTextStreamWriter(info, sinks, (done) => this.#streams.delete(done));
    this.#streams.add(writer);
    return writer;
  }

  /** @internal delivers the agent's data to every member. */
  _dataFromAgent(data: Uint8Array, topic: string): void {
    if (!this.#connected) throw new ClosedError(`room ${this.name}`, 'publishData()', 'disconnected');
    const text = Buffer.from(data).toString('base64');
    for (const member of this.#members.values()) member._receive({ text, topic, from: this.#agentIdentity, attributes: { encoding: 'base64' } });
  }

  /** @internal the agent's attributes as the room holds them */
  get _agentAttributes(): Readonly<Record<string, string>> {
    return this.#agentAttributes;
  }

  /** @internal the agent wrote its attributes: the set given replaces the room's; members see what changed. */
  _setAgentAttributes(attributes: Readonly<Record<string, string>>): void {
    if (!this.#connected || !this.#local) throw new ClosedError(`room ${this.name}`, 'setAttributes()', 'disconnected');
    const previous = this.#agentAttributes;
    this.#agentAttributes = { ...attributes };
    // As livekit-client reports it: the keys whose values differ, a removed key with "".
    const changed: Record<string, string> = {};
    for (const [key, value] of Object.entries(attributes)) if (previous[key] !== value) changed[key] = value;
    for (const key of Object.keys(previous)) if (!(key in attributes)) changed[key] = '';
    if (Object.keys(changed).length === 0) return;
    for (const member of this.#members.values()) member._attributesChanged(changed, this.#local);
  }

  /** @internal delivers the agent's audio, as it is played, to every member. */
  _audioFromAgent(frame: AudioFrame): void {
    for (const member of this.#members.values()) member._hear(frame);
  }

  #drop(reason: string): void {
    if (!this.#connected) return;
    this.#connected = false;
    this.#local = undefined;
    this.#agentAttributes = {};
    // Streams still open end with an error for their readers, as a LiveKit client's do when the sender leaves.
    for (const stream of [...this.#streams]) stream._fail(new ClosedError(`room ${this.name}`, 'reading a text stream', 'disconnected'));
    this.emit('disconnected', reason);
  }
}

/** A participant of a LocalRoom other than the agent: the handle a terminal, a test or a frontend holds. */
export class LocalRoomMember {
  #participant: { -readonly [K in keyof MemberView]: MemberView[K] };
  /** Every message received whole, in order (see ReceivedText). */
  readonly received: ReceivedText[] = [];
  readonly #textListeners = new Set<(text: ReceivedText) => void>();
  readonly #audioListeners = new Set<(frame: AudioFrame) => void>();
  readonly #attributeListeners = new Set<(changed: Readonly<Record<string, string>>, participant: MemberView) => void>();
  readonly #handlers = new Map<string, TextStreamHandler>();

  constructor(
    private readonly room: LocalRoom,
    participant: MemberView,
  ) {
    this.#participant = { ...participant, attributes: { ...participant.attributes } };
  }

  get participant(): RemoteParticipant & MemberView {
    return this.#participant;
  }

  /** The others in the room as this member sees them: the agent (kind 'agent', once connected) and the other members. */
  get remoteParticipants(): ReadonlyMap<string, MemberView> {
    return this.room._othersOf(this);
  }

  /** Sends text to the agent (topic lk.chat unless told otherwise). */
  sendText(text: string, options: { topic?: string; attributes?: Record<string, string> } = {}): void {
    if (!this.room.isConnected) return;
    this.room.emit('textReceived', text, {
      participant: this.#participant,
      topic: options.topic ?? CHAT_TOPIC,
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
    const track: AudioTrack = { sid: newId('TR'), kind: 'audio', participantIdentity: this.#participant.identity, frames: () => frames };
    this.#participant.audioTrackSid = track.sid;
    this.room._published(track);
    if (this.room.isConnected) this.room.emit('trackSubscribed', track, this.#participant);
    return track;
  }

  /**
   * Calls `handler` with each text stream on `topic` as it opens, as livekit-client's
   * `room.registerTextStreamHandler` does; one handler a topic (a second is an Error).
   */
  registerTextStreamHandler(topic: string, handler: TextStreamHandler): void {
    if (this.#handlers.has(topic)) throw new Error(`a text stream handler for topic "${topic}" is already set`);
    this.#handlers.set(topic, handler);
  }

  unregisterTextStreamHandler(topic: string): void {
    this.#handlers.delete(topic);
  }

  /** Calls `listener` with every frame of the agent's voice, as it is played. */
  onAudio(listener: (frame: AudioFrame) => void): () => void {
    this.#audioListeners.add(listener);
    return () => this.#audioListeners.delete(listener);
  }

  /** Calls `listener` for every message received whole (see ReceivedText). */
  onText(listener: (text: ReceivedText) => void): () => void {
    this.#textListeners.add(listener);
    return () => this.#textListeners.delete(listener);
  }

  /** Calls `listener` with what changed (a removed key as "") each time the agent's attributes change. */
  onAttributesChanged(listener: (changed: Readonly<Record<string, string>>, participant: MemberView) => void): () => void {
    this.#attributeListeners.add(listener);
    return () => this.#attributeListeners.delete(listener);
  }

  leave(): void {
    this.room._leave(this);
  }

  /** @internal a stream opens to this member: its handler reads it; once ended it is a received message. */
  _openTextStream(info: TextStreamInfo, from: string): TextStreamSink {
    const handler = this.#handlers.get(info.topic);
    const reader = handler ? new TextStreamReader(info) : undefined;
    if (reader) handler!(reader, { identity: from });
    let text = '';
    return {
      push: (chunk) => {
        text += chunk;
        reader?._push(chunk);
      },
      end: () => {
        reader?._end();
        if (info.attributes[ATTRIBUTE_TRANSCRIPTION_FINAL] !== 'false') this._receive({ text, topic: info.topic, from, attributes: info.attributes });
      },
      fail: (error) => reader?._fail(error),
    };
  }

  /** @internal */
  _receive(text: ReceivedText): void {
    this.received.push(text);
    for (const listener of this.#textListeners) listener(text);
  }

  /** @internal */
  _hear(frame: AudioFrame): void {
    for (const listener of this.#audioListeners) listener(frame);
  }

  /** @internal */
  _attributesChanged(changed: Readonly<Record<string, string>>, participant: MemberView): void {
    for (const listener of this.#attributeListeners) listener(changed, participant);
  }
}

class LocalAgentParticipant implements LocalParticipant, MemberView {
  readonly kind = 'agent' as const;
  readonly name: string;
  /** What the agent has set: the whole of it goes to the room at each write (see setAttributes). */
  #attributes: Record<string, string> = {};
  #audio: { output: AudioOutput; sid: string } | undefined;

  constructor(
    private readonly room: LocalRoom,
    readonly identity: string,
  ) {
    this.name = identity;
  }

  get attributes(): Readonly<Record<string, string>> {
    return this.room._agentAttributes;
  }

  get audioTrackSid(): string | undefined {
    return this.#audio?.sid;
  }

  async sendText(text: string, options: Omit<TextStreamOptions, 'senderIdentity'> = {}): Promise<TextStreamInfo> {
    const stream = this.room._openTextStream(options);
    // Both start now, in order: members have the whole text when this call returns its promise.
    await Promise.all([stream.write(text), stream.close()]);
    return stream.info;
  }

  async streamText(options: TextStreamOptions = {}): Promise<TextStreamWriter> {
    return this.room._openTextStream(options);
  }

  async publishData(data: Uint8Array, options: { topic?: string } = {}): Promise<void> {
    this.room._dataFromAgent(data, options.topic ?? 'lk.data');
  }

  async setAttributes(attributes: Record<string, string>): Promise<void> {
    const merged = mergeAttributes(this.#attributes, attributes);
    this.room._setAgentAttributes(merged);
    this.#attributes = merged;
  }

  publishAudio(): AudioOutput {
    // Played in real time (or fake time), then heard by every member.
    this.#audio ??= { output: new PacedAudioOutput((frame) => this.room._audioFromAgent(frame)), sid: newId('TR') };
    return this.#audio.output;
  }
}
