/**
 * Where the agent's speech goes. The session hands an output a stream of text for each speech; the
 * output plays it (prints it, sends it to the room, or synthesizes and plays audio) and reports
 * when playout started and what was actually played, so an interrupted speech is committed to the
 * history as far as the user heard it.
 */

/** Where the text of each speech goes as the user hears it (the room's transcription). */
export interface TranscriptOutput {
  /** The transcript of one speech. */
  open(): TranscriptSegment;
}

export interface TranscriptSegment {
  /** Appends text the user has just heard. */
  write(text: string): void;
  /**
   * The speech is over: `text` is all the user heard of it. Resolves once sent (a failure to send
   * is the transcript's to report: the speech itself went out).
   */
  end(text: string): Promise<void>;
}

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
  /**
   * Holds the speech being played (the user may be interrupting); resume() goes on. Interrupting
   * the held speech (its playout's signal) ends the hold: what was held is dropped.
   */
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

/**
 * The agent's text to the room's transcription, as it is generated (a session without a voice):
 * a segment per speech, cut where an interruption stopped it.
 */
export class RoomTextOutput implements SpeechOutput {
  /** @param transcript the room's transcript of the agent (a session builds it from its room). */
  constructor(private readonly transcript: TranscriptOutput) {}

  async play(text: AsyncIterable<string>, playout: Playout): Promise<void> {
    const segment = this.transcript.open();
    let sent = '';
    try {
      await consumeText(text, {
        ...playout,
        played: (piece) => {
          playout.played(piece);
          sent += piece;
          segment.write(piece);
        },
      });
    } finally {
      // What was sent is ended also when the text broke off.
      await segment.end(sent);
    }
  }
}
