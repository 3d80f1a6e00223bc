/**
 * A LiveKit frontend on a LocalRoom member, reading exactly what components-js reads:
 * - the agent: the remote participant of kind 'agent'; its state: its `lk.agent.state` attribute
 *   (useVoiceAssistant / useAgent; no attribute yet is 'connecting');
 * - transcriptions: a text stream handler on `lk.transcription` (setupTextStream): each stream's
 *   chunks are accumulated as they arrive, one entry per stream id or `lk.segment_id`, the latest
 *   stream's text and attributes replacing the entry's; an entry attributed to this participant is
 *   the user's transcript, else the agent's (useSessionMessages); it is final when
 *   `lk.transcription_final` is "true".
 * Every change is recorded with the time and how much of the agent's voice had been heard then.
 */
import { frameDurationMs } from '../../src/audio/audio_frame.js';
import type { TextStreamInfo } from '../../src/index.js';
import type { LocalRoomMember, MemberView } from '../../src/room/local_room.js';

export interface Transcription {
  /** The stream's sender: the agent, or this user for their own transcripts. */
  from: string;
  text: string;
  info: TextStreamInfo;
}

export interface Shown {
  kind: 'userTranscript' | 'agentTranscript';
  segmentId: string;
  text: string;
  final: boolean;
  trackSid: string | undefined;
  /** ms since the epoch (fake time). */
  at: number;
  /** ms of the agent's voice this participant had received at that moment. */
  heardMs: number;
}

export class FrontendClient {
  /** The agent states shown, in order (a repeated value once). */
  readonly states: string[] = [];
  /** components-js's textStreams array. */
  readonly streams: Transcription[] = [];
  /** Every transcription update as it was shown. */
  readonly shown: Shown[] = [];
  /** ms of the agent's voice received so far. */
  heardMs = 0;

  constructor(private readonly member: LocalRoomMember) {
    member.onAudio((frame) => (this.heardMs += frameDurationMs(frame)));
    member.onAttributesChanged((_changed, participant) => {
      if (participant.kind === 'agent') this.#showState();
    });
    member.registerTextStreamHandler('lk.transcription', (reader, participantInfo) => {
      void (async () => {
        let text = '';
        for await (const chunk of reader) {
          text += chunk;
          this.#update({ from: participantInfo.identity, text, info: reader.info });
        }
      })();
    });
    this.#showState();
  }

  /** The agent participant, as useVoiceAssistant finds it. */
  get agent(): MemberView | undefined {
    return [...this.member.remoteParticipants.values()].find((participant) => participant.kind === 'agent');
  }

  get state(): string {
    return this.agent?.attributes['lk.agent.state'] ?? 'connecting';
  }

  /** What the frontend shows now: one message per segment. */
  messages(): Array<Omit<Shown, 'at' | 'heardMs'>> {
    return this.streams.map((stream) => this.#message(stream));
  }

  /** The updates of one kind of transcript, in order. */
  updates(kind: Shown['kind']): Shown[] {
    return this.shown.filter((update) => update.kind === kind);
  }

  #showState(): void {
    const state = this.state;
    if (this.states.at(-1) !== state) this.states.push(state);
  }

  #update(stream: Transcription): void {
    const segment = stream.info.attributes['lk.segment_id'];
    const index = this.streams.findIndex(
      (entry) => entry.info.streamId === stream.info.streamId || (segment !== undefined && entry.info.attributes['lk.segment_id'] === segment),
    );
    if (index >= 0) this.streams[index] = { ...this.streams[index]!, text: stream.text, info: stream.info };
    else this.streams.push(stream);
    this.shown.push({ ...this.#message(stream), at: Date.now(), heardMs: this.heardMs });
  }

  #message(stream: Transcription): Omit<Shown, 'at' | 'heardMs'> {
    const attributes = stream.info.attributes;
    return {
      kind: stream.from === this.member.participant.identity ? 'userTranscript' : 'agentTranscript',
      segmentId: attributes['lk.segment_id'] ?? stream.info.streamId,
      text: stream.text,
      final: attributes['lk.transcription_final'] === 'true',
      trackSid: attributes['lk.transcribed_track_id'],
    };
  }
}
