/** Participants of a LiveKit room, as voxstate's room types see them. */
import { ClosedError } from '../errors.js';
import type { AudioOutput } from '../audio/audio_output.js';
import {
  CHAT_TOPIC,
  type LocalParticipant,
  type Participant,
  type ParticipantKind,
  type TextStreamInfo,
  type TextStreamOptions,
  type TextStreamWriter,
} from './room.js';
import { mergeAttributes } from './attributes.js';
import { participantKindFromRtc } from './livekit_mapping.js';
import { audioSourceSink, LiveKitAudioOutput } from './livekit_audio_output.js';
import type { Rtc } from './livekit_rtc.js';

type RtcParticipant = InstanceType<Rtc['RemoteParticipant']> | InstanceType<Rtc['LocalParticipant']>;
type RtcLocalParticipant = InstanceType<Rtc['LocalParticipant']>;

/** A live view of an rtc participant: name and attributes follow the room's updates. */
export class LiveKitParticipant implements Participant {
  constructor(protected readonly rtcParticipant: RtcParticipant) {}

  get identity(): string {
    return this.rtcParticipant.identity;
  }

  get name(): string {
    return this.rtcParticipant.name || this.rtcParticipant.identity;
  }

  get kind(): ParticipantKind {
    return participantKindFromRtc(this.rtcParticipant.kind);
  }

  get attributes(): Readonly<Record<string, string>> {
    return { ...this.rtcParticipant.attributes };
  }
}

/** What the local participant needs from its room. */
export interface LocalParticipantHost {
  readonly rtc: Rtc;
  readonly roomName: string;
  readonly isConnected: boolean;
  readonly outputSampleRate: number;
}

/** rtc-node's TextStreamInfo, as voxstate's. */
function streamInfo(info: { streamId: string; topic: string; timestamp: number; attributes?: Record<string, string> }): TextStreamInfo {
  return { streamId: info.streamId, topic: info.topic, timestamp: info.timestamp, attributes: { ...info.attributes } };
}

export class LiveKitLocalParticipant extends LiveKitParticipant implements LocalParticipant {
  #audio: { output: LiveKitAudioOutput; close: () => Promise<void> } | undefined;
  #audioTrackSid: string | undefined;
  /** What the agent has set (see setAttributes); starts from what it joined with (its token's). */
  #attributes: Record<string, string>;

  constructor(
    private readonly local: RtcLocalParticipant,
    private readonly host: LocalParticipantHost,
  ) {
    super(local);
    this.#attributes = { ...local.attributes };
  }

  get audioTrackSid(): string | undefined {
    return this.#audioTrackSid;
  }

  async sendText(text: string, options: Omit<TextStreamOptions, 'senderIdentity'> = {}): Promise<TextStreamInfo> {
    this.#check('sendText()');
    const info = await this.local.sendText(text, { topic: options.topic ?? CHAT_TOPIC, ...(options.attributes ? { attributes: options.attributes } : {}) });
    return streamInfo(info);
  }

  async streamText(options: TextStreamOptions = {}): Promise<TextStreamWriter> {
    this.#check('streamText()');
    const writer = await this.local.streamText({
      topic: options.topic ?? CHAT_TOPIC,
      ...(options.attributes ? { attributes: options.attributes } : {}),
      ...(options.senderIdentity ? { senderIdentity: options.senderIdentity } : {}),
    });
    return { info: streamInfo(writer.info), write: (text) => writer.write(text), close: () => writer.close() };
  }

  async publishData(data: Uint8Array, options: { topic?: string } = {}): Promise<void> {
    this.#check('publishData()');
    await this.local.publishData(data, { reliable: true, ...(options.topic ? { topic: options.topic } : {}) });
  }

  async setAttributes(attributes: Record<string, string>): Promise<void> {
    this.#check('setAttributes()');
    const merged = mergeAttributes(this.#attributes, attributes);
    this.#attributes = merged;
    await this.local.setAttributes(merged);
  }

  /**
   * Publishes the agent's audio track (once; later calls return the same output). Frames played
   * before the publication completes wait for it, so the first words are not lost.
   */
  publishAudio(): AudioOutput {
    this.#check('publishAudio()');
    if (this.#audio) return this.#audio.output;
    const { rtc, outputSampleRate } = this.host;
    // A 100 ms native queue: the pump stays that far ahead of what is heard.
    const source = new rtc.AudioSource(outputSampleRate, 1, 100);
    const track = rtc.LocalAudioTrack.createAudioTrack('agent_voice', source);
    const published = this.local.publishTrack(track, new rtc.TrackPublishOptions({ source: rtc.TrackSource.SOURCE_MICROPHONE }));
    published.then(
      (publication) => (this.#audioTrackSid = publication.sid),
      () => {}, // reported through the first capture, which awaits it
    );
    const output = new LiveKitAudioOutput(audioSourceSink(rtc, source, published));
    this.#audio = {
      output,
      close: async () => {
        output.close();
        await track.close(false);
        await source.close();
      },
    };
    return output;
  }

  /** @internal stops the agent's audio and releases its native source. Idempotent. */
  async _close(): Promise<void> {
    const audio = this.#audio;
    this.#audio = undefined;
    await audio?.close();
  }

  #check(call: string): void {
    if (!this.host.isConnected) throw new ClosedError(`room ${this.host.roomName}`, call, 'disconnected');
  }
}
