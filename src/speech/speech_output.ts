/**
 * Where the agent's speech goes. The session hands an output a stream of text for each speech; the
 * output plays it (prints it, sends it to the room, or synthesizes and plays audio) and reports
 * when playout started and what was actually played, so an interrupted speech is committed to the
 * history as far as the user heard it.
 */
import type { Room } from '../room/room.js';
import { TRANSCRIPTION_TOPIC } from '../room/room.js';

export interface Playout {
  readonly speechId: string;
  /** Fires when the speech is interrupted: stop playing at once. */
  readonly signal: AbortSignal;
  /** Call when the first text or audio goes out. */
  started(): void;
  /** Call with each piece of text as it is played. */
  played(text: string): void;
}

export interface SpeechOutput {
  /** Plays `text`; resolves when playout has finished or was cut off by `playout.signal`. */
  play(text: AsyncIterable<string>, playout: Playout): Promise<void>;
  /** Resolves once everything sent has been heard (e.g. buffered audio); a drain waits for it. */
  flush?(): Promise<void>;
  /** Releases the output when the session closes. */
  close?(): Promise<void>;
  /** Holds the speech being played (the user may be interrupting); resume() goes on. */
  pause?(): void;
  resume?(): void;
}

/** Reads the text to its end (or until interrupted), telling `playout` as it goes; returns it whole. */
export async function consumeText(text: AsyncIterable<string>, playout: Playout): Promise<string> {
  let whole = '';
  for await (const piece of text) {
    if (playout.signal.aborted) break;
    if (piece === '') continue;
    if (whole === '') playout.started();
    whole += piece;
    playout.played(piece);
  }
  return whole;
}

/** No audience: the speech only goes into the history (text-only sessions, tests). */
export class HistoryOnlyOutput implements SpeechOutput {
  async play(text: AsyncIterable<string>, playout: Playout): Promise<void> {
    await consumeText(text, playout);
  }
}

/** Sends each speech to the room as a transcription text message once it is complete. */
export class RoomTextOutput implements SpeechOutput {
  constructor(private readonly room: Room) {}

  async play(text: AsyncIterable<string>, playout: Playout): Promise<void> {
    const whole = await consumeText(text, playout);
    const local = this.room.localParticipant;
    if (whole === '' || !local) return;
    await local.sendText(whole, {
      topic: TRANSCRIPTION_TOPIC,
      attributes: { 'lk.segment_id': playout.speechId, 'lk.interrupted': String(playout.signal.aborted) },
    });
  }
}
