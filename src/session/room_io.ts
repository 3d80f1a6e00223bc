/**
 * Connects a session to a room: the linked participant's chat text becomes user turns, the agent's
 * speech goes to the room, and the session closes when the linked participant leaves.
 */
import { log } from '../log/logger.js';
import type { AudioFrame } from '../audio/audio_frame.js';
import {
  CHAT_TOPIC,
  DEFAULT_PARTICIPANT_KINDS,
  type AudioTrack,
  type RemoteParticipant,
  type Room,
  type RoomEvents,
  type TextInfo,
} from '../room/room.js';

export interface RoomIOHost {
  userText(text: string): Promise<unknown>;
  /** The linked participant's audio; undefined when the session cannot listen (no VAD or STT). */
  userAudio?(frames: AsyncIterable<AudioFrame>): Promise<unknown>;
  participantLeft(): void;
  report(error: unknown, source: string): void;
}

export class RoomIO {
  #linked: string | undefined;

  constructor(
    private readonly room: Room,
    private readonly host: RoomIOHost,
  ) {
    for (const participant of room.remoteParticipants.values()) this.#onJoin(participant);
    // Tracks subscribed before the session started (the entrypoint connected first) are heard too.
    for (const track of room.audioTracks.values()) {
      const participant = room.remoteParticipants.get(track.participantIdentity);
      if (participant) this.#onTrack(track, participant);
    }
    room.on('participantConnected', this.#onJoin);
    room.on('participantDisconnected', this.#onLeave);
    room.on('textReceived', this.#onText);
    room.on('trackSubscribed', this.#onTrack);
  }

  /** The identity of the participant the session talks with. */
  get linkedParticipant(): string | undefined {
    return this.#linked;
  }

  close(): void {
    this.room.off('participantConnected', this.#onJoin);
    this.room.off('participantDisconnected', this.#onLeave);
    this.room.off('textReceived', this.#onText);
    this.room.off('trackSubscribed', this.#onTrack);
  }

  readonly #onTrack: RoomEvents['trackSubscribed'] = (track: AudioTrack, participant: RemoteParticipant) => {
    this.#onJoin(participant);
    if (participant.identity !== this.#linked || !this.host.userAudio) return;
    this.host.userAudio(track.frames()).catch((error: unknown) => this.host.report(error, 'input'));
  };

  readonly #onJoin: RoomEvents['participantConnected'] = (participant: RemoteParticipant) => {
    if (this.#linked === undefined && DEFAULT_PARTICIPANT_KINDS.includes(participant.kind)) {
      this.#linked = participant.identity;
      log().debug({ participant: participant.identity }, 'session linked to participant');
    }
  };

  readonly #onLeave: RoomEvents['participantDisconnected'] = (participant: RemoteParticipant) => {
    if (participant.identity === this.#linked) this.host.participantLeft();
  };

  readonly #onText: RoomEvents['textReceived'] = (text: string, info: TextInfo) => {
    if (info.topic !== CHAT_TOPIC) return;
    this.#onJoin(info.participant);
    if (info.participant.identity !== this.#linked) return;
    this.host.userText(text).catch((error: unknown) => this.host.report(error, 'input'));
  };
}
