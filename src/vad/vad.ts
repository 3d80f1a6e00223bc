/**
 * Voice activity detection. A VAD stream takes audio frames and yields speech edges and, for every
 * inference window, its probability. Frames go in and events come out on the stream; only the
 * edges (start and end of speech) go on to the session's actors.
 */
import type { AudioFrame } from '../audio/audio_frame.js';
import type { Model } from '../provider/model.js';

export type VADEventType = 'start_of_speech' | 'inference_done' | 'end_of_speech';

export interface VADEvent {
  type: VADEventType;
  /** ms of audio the stream had received when the event was decided. */
  timestampMs: number;
  /** Speech so far in the current utterance, in ms (0 outside speech). */
  speechDurationMs: number;
  /** Silence since the last speech, in ms. */
  silenceDurationMs: number;
  /** Speech probability of the last window (smoothed). */
  probability: number;
  /** Whether the stream considers the user speaking after this event. */
  speaking: boolean;
  /** How long the last inference took, in ms. */
  inferenceDurationMs: number;
  /**
   * The speech frames: at start of speech, the prefix padding and the speech detected so far; at
   * end of speech, the whole utterance with its prefix padding (at the VAD's sample rate).
   */
  frames: AudioFrame[];
}

export interface VADOptions {
  /** Speech this long starts an utterance (ms). Default 50. */
  minSpeechDurationMs: number;
  /** Silence this long ends an utterance (ms). Default 550. */
  minSilenceDurationMs: number;
  /** Audio kept before the start of speech (ms). Default 500. */
  prefixPaddingDurationMs: number;
  /** Probability above which a window is speech. Default 0.5. */
  activationThreshold: number;
  /** Probability below which a window is silence again (hysteresis). Default activation − 0.15. */
  deactivationThreshold: number;
  /** Longest utterance kept in memory (ms). Default 60000. */
  maxBufferedSpeechMs: number;
  /** Rate the model runs at: 16000 or 8000; other input rates are resampled. Default 16000. */
  sampleRate: 8000 | 16000;
}

export interface VADStream extends AsyncIterable<VADEvent> {
  /** Adds audio (any sample rate, mono or interleaved; it is mixed down and resampled). */
  pushFrame(frame: AudioFrame): void;
  /** Processes what is buffered, padding the last window with silence. */
  flush(): void;
  /** No more input: the iteration ends once everything pushed is processed. */
  endInput(): void;
  /** Stops at once; the iteration ends. */
  close(): Promise<void>;
}

export interface VAD extends Model {
  readonly options: Readonly<VADOptions>;
  stream(): VADStream;
}
