/**
 * A LiveKit room over @livekit/rtc-node: the agent joins with a URL and a token (autoSubscribe),
 * sees the participants and their attribute changes, hears their audio tracks, receives chat
 * text (lk.chat text streams) and data, publishes its voice and sends text.
 *
 *   const room = new LiveKitRoom({ url: info.url, token: info.token, name: info.job.roomName });
 *
 * rtc-node is loaded on connect() (it loads a native library). A room is used once: after
 * disconnect() every call is a ClosedError.
 */
import { ClosedError, TimeoutError, VoxstateError, describe } from '../errors.js';
import { EventEmitter } from '../events/emitter.js';
import { keepLogScope, log } from '../log/logger.js';
import { CHAT_TOPIC, type LocalParticipant, type RemoteParticipant, type Room, type RoomEvents } from './room.js';
import { LiveKitAudioTrack } from './livekit_audio_track.js';
import { disconnectReasonText } from './livekit_mapping.js';
import { LiveKitLocalParticipant, LiveKitParticipant } from './livekit_participant.js';
import { loadRtc, type Rtc } from './livekit_rtc.js';

export interface LiveKitRoomOptions {
  /** The LiveKit server, ws:// or wss:// (the job's assignment URL). */
  url: string;
  /** The agent's token for the room. A secret: never logged. */
  token: string;
  /** The room's name (the job's room), known before connecting. */
  name: string;
  /** Bound on connect(), in ms (default 10000; rtc-node's own is about 16 s). */
  connectTimeoutMs?: number;
  /** Rate the participants' audio is delivered at, mono (default 16000, what VAD and STT use). */
  inputSampleRate?: number;
  /** Rate of the agent's published track, mono (default 24000; other rates are resampled). */
  outputSampleRate?: number;
  /** Text stream topics delivered as textReceived (default ['lk.chat']). */
  textTopics?: readonly string[];
}

type RtcRoom = InstanceType<Rtc['Room']>;
type RtcRemoteParticipant = InstanceType<Rtc['RemoteParticipant']>;
type RtcParticipant = RtcRemoteParticipant | InstanceType<Rtc['LocalParticipant']>;

/** A participant that sent data without being in the room (a server API call). */
const SERVER: RemoteParticipant = Object.freeze({ identity: '', name: 'server', kind: 'standard', attributes: Object.freeze({}) });

export class LiveKitRoom extends EventEmitter<RoomEvents> implements Room {
  readonly name: string;
  readonly #options: LiveKitRoomOptions;
  #state: 'new' | 'connecting' | 'connected' | 'disconnected' = 'new';
  #connecting: Promise<void> | undefined;
  #disconnecting: Promise<void> | undefined;
  #room: RtcRoom | undefined;
  #local: LiveKitLocalParticipant | undefined;
  readonly #participants = new Map<string, LiveKitParticipant>();
  readonly #tracks = new Map<string, LiveKitAudioTrack>();
  /** Ends a connect() in progress (disconnect() called meanwhile). */
  #cancelConnect: ((error: Error) => void) | undefined;

  constructor(options: LiveKitRoomOptions) {
    super();
    for (const key of ['url', 'token', 'name'] as const) {
      if (typeof options?.[key] !== 'string' || options[key] === '') throw new TypeError(`LiveKitRoom needs a non-empty ${key}`);
    }
    this.#options = options;
    this.name = options.name;
  }

  get isConnected(): boolean {
    return this.#state === 'connected';
  }

  get localParticipant(): LocalParticipant | undefined {
    return this.#state === 'connected' ? this.#local : undefined;
  }

  get remoteParticipants(): ReadonlyMap<string, RemoteParticipant> {
    return this.#participants;
  }

  /** Audio tracks subscribed and not yet gone, by track sid. */
  get audioTracks(): ReadonlyMap<string, LiveKitAudioTrack> {
    return this.#tracks;
  }

  connect(): Promise<void> {
    if (this.#state === 'disconnected') return Promise.reject(new ClosedError(`room ${this.name}`, 'connect()', 'disconnected'));
    this.#connecting ??= this.#connect();
    return this.#connecting;
  }

  /** Leaves the room and releases its tracks and native resources; a second call does nothing. */
  disconnect(): Promise<void> {
    this.#disconnecting ??= this.#disconnect();
    return this.#disconnecting;
  }

  /** Same as disconnect(), for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.disconnect();
  }

  async #connect(): Promise<void> {
    this.#state = 'connecting';
    const rtc = await loadRtc();
    if (this.#state !== 'connecting') throw new ClosedError(`room ${this.name}`, 'connect()', 'disconnected');
    const room = new rtc.Room();
    this.#room = room;
    this.#listen(rtc, room);
    const timeoutMs = this.#options.connectTimeoutMs ?? 10_000;
    const attempt = room.connect(this.#options.url, this.#options.token, { autoSubscribe: true, dynacast: false });
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        attempt,
        new Promise<never>((_, reject) => {
          this.#cancelConnect = reject;
          timer = setTimeout(() => reject(new TimeoutError(`connecting to room ${this.name} at ${this.#options.url}`, timeoutMs)), timeoutMs);
        }),
      ]);
    } catch (error) {
      // A connection that completes after the timeout is left at once.
      attempt.then(() => room.disconnect()).catch(() => {});
      this.#state = 'disconnected';
      if (error instanceof VoxstateError) throw error;
      throw new VoxstateError('room_connect_failed', `could not connect to room ${this.name} at ${this.#options.url}: ${describe(error)}`, { cause: error });
    } finally {
      clearTimeout(timer);
      this.#cancelConnect = undefined;
    }
    if (this.#state !== 'connecting') {
      // disconnect() was called while connecting.
      await room.disconnect().catch(() => {});
      throw new ClosedError(`room ${this.name}`, 'connect()', 'disconnected');
    }
    this.#local = new LiveKitLocalParticipant(room.localParticipant!, {
      rtc,
      roomName: this.name,
      outputSampleRate: this.#options.outputSampleRate ?? 24_000,
      get isConnected() {
        return room.isConnected;
      },
    });
    for (const participant of room.remoteParticipants.values()) this.#view(participant);
    this.#state = 'connected';
    log().debug({ room: this.name, participants: this.#participants.size }, 'connected to LiveKit room');
    this.emit('connected');
  }

  async #disconnect(): Promise<void> {
    const previous = this.#state;
    this.#state = 'disconnected';
    if (previous === 'new') return;
    this.#cancelConnect?.(new ClosedError(`room ${this.name}`, 'connect()', 'disconnected'));
    await this.#connecting?.catch(() => {});
    await this.#release();
    // rtc-node announces its own Disconnected (client initiated) to #onDisconnected, which emits once.
    await this.#room?.disconnect().catch((error: unknown) => log().warn({ err: error, room: this.name }, 'leaving the LiveKit room failed'));
    if (previous === 'connected') this.#ended('client initiated');
  }

  /** Closes tracks and the agent's audio; idempotent. */
  async #release(): Promise<void> {
    for (const track of this.#tracks.values()) track.close();
    this.#tracks.clear();
    await this.#local?._close().catch((error: unknown) => log().warn({ err: error, room: this.name }, 'closing the agent audio failed'));
  }

  #emittedDisconnect = false;

  #ended(reason: string): void {
    if (this.#emittedDisconnect) return;
    this.#emittedDisconnect = true;
    this.#state = 'disconnected';
    this.#participants.clear();
    this.emit('disconnected', reason);
  }

  #view(participant: RtcParticipant): LiveKitParticipant {
    let view = this.#participants.get(participant.identity);
    if (!view) {
      view = new LiveKitParticipant(participant);
      if (participant !== this.#room?.localParticipant) this.#participants.set(participant.identity, view);
    }
    return view;
  }

  #listen(rtc: Rtc, room: RtcRoom): void {
    const E = rtc.RoomEvent;
    // rtc-node calls these from its native callbacks: they run in the async context of the connect
    // (a job's), so what they log, and the listeners they reach, belong to the job.
    const scope = keepLogScope();
    const inScope = <A extends unknown[]>(handler: (...args: A) => void) => (scope ? (...args: A) => scope(handler, ...args) : handler);
    room.on(E.ParticipantConnected, inScope((participant) => {
      const view = this.#view(participant);
      if (this.isConnected) this.emit('participantConnected', view);
    }));
    room.on(E.ParticipantDisconnected, inScope((participant) => {
      const view = this.#participants.get(participant.identity) ?? new LiveKitParticipant(participant);
      this.#participants.delete(participant.identity);
      for (const [sid, track] of this.#tracks) {
        if (track.participantIdentity === participant.identity) {
          track.close();
          this.#tracks.delete(sid);
        }
      }
      if (this.isConnected) this.emit('participantDisconnected', view);
    }));
    room.on(E.ParticipantAttributesChanged, inScope((changed, participant) => {
      const view = participant === room.localParticipant ? this.#local : this.#view(participant as RtcRemoteParticipant);
      if (view && this.isConnected) this.emit('participantAttributesChanged', { ...changed }, view);
    }));
    room.on(E.TrackSubscribed, inScope((track, _publication, participant) => {
      if (track.kind !== rtc.TrackKind.KIND_AUDIO) return;
      const audio = new LiveKitAudioTrack(rtc, track as InstanceType<Rtc['RemoteAudioTrack']>, this.#options.inputSampleRate ?? 16_000, participant.identity);
      this.#tracks.set(audio.sid, audio);
      if (this.isConnected) this.emit('trackSubscribed', audio, this.#view(participant));
    }));
    room.on(E.TrackUnsubscribed, inScope((track) => {
      const audio = this.#tracks.get(track.sid ?? '');
      audio?.close();
      this.#tracks.delete(track.sid ?? '');
    }));
    room.on(E.DataReceived, inScope((payload, participant, _kind, topic) => {
      if (!this.isConnected) return;
      this.emit('dataReceived', payload, participant ? this.#view(participant) : SERVER, topic || undefined);
    }));
    room.on(E.Disconnected, inScope((reason) => {
      void this.#release();
      this.#ended(disconnectReasonText(reason));
    }));
    for (const topic of this.#options.textTopics ?? [CHAT_TOPIC]) {
      room.registerTextStreamHandler(topic, inScope((reader, { identity }) => {
        reader.readAll().then(
          (text) => {
            if (!this.isConnected) return;
            const participant = this.#participants.get(identity) ?? { ...SERVER, identity, name: identity };
            this.emit('textReceived', text, { participant, topic: reader.info.topic, attributes: { ...reader.info.attributes } });
          },
          (error: unknown) => log().warn({ err: error, room: this.name, participant: identity, topic }, 'a text stream from the room failed'),
        );
      }));
    }
  }
}
