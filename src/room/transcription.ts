/**
 * Transcriptions on the wire, as LiveKit's agents send them and its frontends read them: text
 * streams on `lk.transcription`, each with `lk.segment_id`, `lk.transcription_final` and, when the
 * track is known, `lk.transcribed_track_id`. The streams of one segment show as one message:
 * components-js merges them by segment id, the latest stream's text and attributes winning.
 *
 * - The agent's speech, a segment per speech: one stream written in chunks as they are heard
 *   (final "false") and closed at the end, then the whole text heard in one more stream, final
 *   "true". (LiveKit's Python agents mark the end on the stream's trailer; rtc-node's writer
 *   cannot set attributes there, so agents-js never marks it; a last stream does, for both.)
 * - A user's transcripts: each interim result, then the final one, a stream of the whole text so
 *   far, attributed to that user (sent by the agent, as LiveKit's agents do).
 */
import { ClosedError } from '../errors.js';
import { newId } from '../ids.js';
import {
  ATTRIBUTE_TRANSCRIPTION_FINAL,
  ATTRIBUTE_TRANSCRIPTION_SEGMENT_ID,
  ATTRIBUTE_TRANSCRIPTION_TRACK_ID,
  TRANSCRIPTION_TOPIC,
  type Room,
  type TextStreamWriter,
} from './room.js';

/** Whose speech a transcription is: the stream is attributed to `identity`; `trackSid` is the audio track transcribed, when known. */
export interface Speaker {
  readonly identity: string;
  readonly trackSid: string | undefined;
}

/** The agent of `room` as the speaker of its transcriptions (its voice's track, once published). */
export function agentSpeaker(room: Room): Speaker {
  const local = room.localParticipant;
  if (!local) throw new ClosedError(`room ${room.name}`, 'sending a transcription', 'disconnected');
  return { identity: local.identity, trackSid: local.audioTrackSid };
}

/** The agent's transcript in `room`: a segment per speech (see TranscriptionSegment); what cannot be sent goes to `failed`. */
export function agentTranscript(room: Room, failed: (error: unknown) => void): { open(): TranscriptionSegment } {
  return { open: () => new TranscriptionSegment(room, () => agentSpeaker(room), failed) };
}

/** Opens a transcription stream of `segmentId` for `speaker`. */
async function openTranscription(room: Room, speaker: Speaker, segmentId: string, final: boolean): Promise<TextStreamWriter> {
  const local = room.localParticipant;
  if (!local) throw new ClosedError(`room ${room.name}`, 'sending a transcription', 'disconnected');
  return local.streamText({
    topic: TRANSCRIPTION_TOPIC,
    senderIdentity: speaker.identity,
    attributes: {
      [ATTRIBUTE_TRANSCRIPTION_SEGMENT_ID]: segmentId,
      [ATTRIBUTE_TRANSCRIPTION_FINAL]: String(final),
      ...(speaker.trackSid ? { [ATTRIBUTE_TRANSCRIPTION_TRACK_ID]: speaker.trackSid } : {}),
    },
  });
}

/** Sends `text`, the whole of segment `segmentId` so far, as one stream (a user's interim or final transcript). */
export async function sendTranscript(room: Room, speaker: Speaker, segmentId: string, text: string, final: boolean): Promise<void> {
  const stream = await openTranscription(room, speaker, segmentId, final);
  await stream.write(text);
  await stream.close();
}

/**
 * One segment written as it is heard. Writes go out in order, each after the previous one; the
 * first that fails stops the rest and goes to `failed` (a transcript is beside the speech: its
 * failure is reported, the speech goes on).
 */
export class TranscriptionSegment {
  readonly id = newId('SG');
  #work: Promise<void> = Promise.resolve();
  #stopped = false;
  #stream: TextStreamWriter | undefined;
  #written = '';

  constructor(
    private readonly room: Room,
    private readonly speaker: () => Speaker,
    private readonly failed: (error: unknown) => void,
  ) {}

  /** Appends `text` to the segment's stream (opened by the first write). */
  write(text: string): void {
    if (text === '') return;
    this.#written += text;
    this.#then(async () => {
      this.#stream ??= await openTranscription(this.room, this.speaker(), this.id, false);
      await this.#stream.write(text);
    });
  }

  /**
   * Ends the segment: `text` is all that was heard. What of it was not written yet goes to the
   * stream, the stream is closed, and `text` is sent final. Resolves once all of it has been sent,
   * or has failed.
   */
  end(text: string): Promise<void> {
    const rest = text.startsWith(this.#written) ? text.slice(this.#written.length) : '';
    if (this.#written !== '') this.write(rest);
    this.#then(async () => {
      await this.#stream?.close();
      if (text !== '') await sendTranscript(this.room, this.speaker(), this.id, text, true);
    });
    return this.#work;
  }

  #then(step: () => Promise<void>): void {
    this.#work = this.#work.then(async () => {
      if (this.#stopped) return;
      try {
        await step();
      } catch (error) {
        this.#stopped = true;
        this.failed(error);
      }
    });
  }
}
