/**
 * Connects a session to a room as LiveKit's RoomIO does: the linked participant (the first of the
 * accepted kinds to join, or the one named) is the user, whose chat text and audio become user
 * turns; the agent's state is its participant's `lk.agent.state` attribute, from the first state
 * to the close; transcriptions go out on `lk.transcription` (the agent's through the speech
 * output, the user's from here); the session closes when the linked participant leaves, and the
 * room is deleted once it has closed, when the options say so.
 */
import type { AudioFrame } from '../audio/audio_frame.js';
import type { AudioOutput } from '../audio/audio_output.js';
import type { EventEmitter } from '../events/emitter.js';
import { ClosedError } from '../errors.js';
import { newId } from '../ids.js';
import { log } from '../log/logger.js';
import { deleteRoom } from '../room/delete_room.js';
import { ATTRIBUTE_AGENT_STATE, CHAT_TOPIC, type AudioTrack, type LocalParticipant, type RemoteParticipant, type Room, type RoomEvents, type TextInfo } from '../room/room.js';
import { agentTranscript, sendTranscript } from '../room/transcription.js';
import type { TranscriptOutput } from '../speech/speech_output.js';
import type { AgentSessionEvents, AgentState, AgentStateChangedEvent, UserInputTranscribedEvent } from './events.js';
import type { RoomOptions } from './room_options.js';

export interface RoomIOHost {
  /** The session's events: its agent state and the user's transcripts go to the room. */
  readonly events: Pick<EventEmitter<AgentSessionEvents>, 'on' | 'off'>;
  /** The agent's state now (the first one published). */
  agentState(): AgentState;
  userText(text: string): Promise<unknown>;
  /** The linked participant's audio; undefined when the session cannot listen (no VAD or STT). */
  userAudio?(frames: AsyncIterable<AudioFrame>): Promise<unknown>;
  /** The linked participant left; `close` when closeOnDisconnect is on (the session closes). */
  participantLeft(identity: string, close: boolean): void;
  report(error: unknown, source: string): void;
}

export class RoomIO {
  #linked: string | undefined;
  /** The linked participant's audio track, once subscribed: what their transcripts transcribe. */
  #linkedTrack: string | undefined;
  /** The user's transcript segment in progress (until its final transcript). */
  #userSegment: string | undefined;
  /** Writes to the room, each after the previous one: the agent's states, the user's transcripts. */
  #stateWrites: Promise<void> = Promise.resolve();
  #transcriptWrites: Promise<void> = Promise.resolve();
  /** Where the agent's speech text goes; undefined when transcription output is off. */
  readonly agentTranscript: TranscriptOutput | undefined;

  constructor(
    private readonly room: Room,
    private readonly host: RoomIOHost,
    private readonly options: RoomOptions,
  ) {
    this.agentTranscript = options.transcriptionOutput ? agentTranscript(room, (error) => this.#failed('sending the agent transcript', error)) : undefined;
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
    host.events.on('agent_state_changed', this.#onAgentState);
    host.events.on('user_input_transcribed', this.#onUserTranscript);
    host.events.on('close', this.#onSessionClosed);
  }

  /** The identity of the participant the session talks with. */
  get linkedParticipant(): string | undefined {
    return this.#linked;
  }

  /** The room is connected: the agent's first state goes to its participant. */
  connected(): void {
    this.#publishState(this.host.agentState());
  }

  /** The agent's voice in the room: its published track, unless audio output is off. */
  publishAudio(): AudioOutput | undefined {
    return this.options.audioOutput ? this.room.localParticipant?.publishAudio() : undefined;
  }

  /** The session is closing: the room's events are no longer the session's (its last state still goes out). */
  close(): void {
    this.room.off('participantConnected', this.#onJoin);
    this.room.off('participantDisconnected', this.#onLeave);
    this.room.off('textReceived', this.#onText);
    this.room.off('trackSubscribed', this.#onTrack);
  }

  readonly #onTrack: RoomEvents['trackSubscribed'] = (track: AudioTrack, participant: RemoteParticipant) => {
    this.#onJoin(participant);
    if (participant.identity !== this.#linked) return;
    this.#linkedTrack = track.sid;
    if (!this.options.audioInput || !this.host.userAudio) return;
    this.host.userAudio(track.frames()).catch((error: unknown) => this.host.report(error, 'input'));
  };

  readonly #onJoin: RoomEvents['participantConnected'] = (participant: RemoteParticipant) => {
    if (this.#linked !== undefined || !this.#accepts(participant)) return;
    this.#linked = participant.identity;
    this.#linkedTrack = [...this.room.audioTracks.values()].find((track) => track.participantIdentity === participant.identity)?.sid;
    log().debug({ participant: participant.identity }, 'session linked to participant');
  };

  #accepts(participant: RemoteParticipant): boolean {
    const wanted = this.options.participantIdentity;
    if (wanted !== undefined && participant.identity !== wanted) return false;
    return this.options.participantKinds.includes(participant.kind);
  }

  readonly #onLeave: RoomEvents['participantDisconnected'] = (participant: RemoteParticipant) => {
    if (participant.identity !== this.#linked) return;
    if (this.options.closeOnDisconnect) {
      log().info({ participant: participant.identity }, 'closing the session: its participant left (inputOptions.closeOnDisconnect: false keeps it open)');
      this.host.participantLeft(participant.identity, true);
      return;
    }
    this.host.participantLeft(participant.identity, false);
    // The session waits for the next participant it accepts.
    this.#linked = undefined;
    this.#linkedTrack = undefined;
    this.#userSegment = undefined;
  };

  readonly #onText: RoomEvents['textReceived'] = (text: string, info: TextInfo) => {
    if (info.topic !== CHAT_TOPIC || !this.options.textInput) return;
    this.#onJoin(info.participant);
    if (info.participant.identity !== this.#linked) return;
    this.host.userText(text).catch((error: unknown) => this.host.report(error, 'input'));
  };

  readonly #onAgentState = (event: AgentStateChangedEvent) => this.#publishState(event.newState);

  #publishState(state: AgentState): void {
    this.#stateWrites = this.#stateWrites.then(() => this.#write('publishing the agent state', (local) => local.setAttributes({ [ATTRIBUTE_AGENT_STATE]: state })));
  }

  readonly #onUserTranscript = (event: UserInputTranscribedEvent) => {
    const identity = this.#linked;
    if (!this.options.transcriptionOutput || identity === undefined) return;
    // A segment runs from the first interim transcript to the final one, each a stream of the whole text so far.
    const segment = (this.#userSegment ??= newId('SG'));
    if (event.isFinal) this.#userSegment = undefined;
    const speaker = { identity, trackSid: this.#linkedTrack };
    this.#transcriptWrites = this.#transcriptWrites.then(() =>
      this.#write('sending a user transcript', () => sendTranscript(this.room, speaker, segment, event.transcript, event.isFinal)),
    );
  };

  /** Runs a write to the room; a failure is reported (see #failed). */
  async #write(what: string, write: (local: LocalParticipant) => Promise<void>): Promise<void> {
    const local = this.room.localParticipant;
    try {
      if (!local || !this.room.isConnected) throw new ClosedError(`room ${this.room.name}`, what, 'disconnected');
      await write(local);
    } catch (error) {
      this.#failed(what, error);
    }
  }

  /**
   * A write to the room failed: reported as the session's error. Once the room has gone there is
   * nothing to write to any more (the session's last state, when the job left the room first): logged.
   */
  #failed(what: string, error: unknown): void {
    if (this.room.isConnected) this.host.report(error, 'output');
    else log().debug({ err: error, room: this.room.name }, `${what}: the room is gone`);
  }

  readonly #onSessionClosed = () => {
    this.host.events.off('agent_state_changed', this.#onAgentState);
    this.host.events.off('user_input_transcribed', this.#onUserTranscript);
    this.host.events.off('close', this.#onSessionClosed);
    if (!this.options.deleteRoomOnClose) return;
    log().info({ room: this.room.name }, 'deleting the room: the session has closed (inputOptions.deleteRoomOnClose)');
    // After the close event's other listeners: the job hears why the session closed before the room goes.
    void Promise.resolve()
      .then(() => deleteRoom(this.room))
      .catch((error: unknown) => this.host.report(error, 'room'));
  };
}
