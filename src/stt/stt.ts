/**
 * Speech-to-text. A streaming recognizer takes audio frames and yields transcripts; interim and
 * final transcripts and speech edges go on to the session's actors, the audio never does.
 */
import type { AudioFrame } from '../audio/audio_frame.js';
import type { ConnOptions } from '../provider/conn_options.js';
import type { Model } from '../provider/model.js';

export interface SpeechData {
  text: string;
  language?: string;
  confidence?: number;
  /** Position of the words in the stream, in ms. */
  startTimeMs?: number;
  endTimeMs?: number;
}

export type SpeechEvent =
  | { type: 'start_of_speech' }
  | { type: 'interim_transcript'; alternatives: SpeechData[] }
  | { type: 'final_transcript'; alternatives: SpeechData[] }
  | { type: 'end_of_speech' }
  | { type: 'usage'; audioDurationMs: number };

export interface STTCapabilities {
  streaming: boolean;
  interimResults: boolean;
}

export interface RecognizeOptions {
  language?: string;
  signal?: AbortSignal;
  conn?: Partial<ConnOptions>;
}

export interface SpeechStream extends AsyncIterable<SpeechEvent> {
  pushFrame(frame: AudioFrame): void;
  /** Asks for the final transcript of what was pushed so far. */
  flush(): void;
  endInput(): void;
  close(): Promise<void>;
}

export interface STT extends Model {
  readonly capabilities: STTCapabilities;
  /** Transcribes a finished utterance (non-streaming). */
  recognize(frames: AudioFrame[], options?: RecognizeOptions): Promise<SpeechData>;
  /** A live recognition stream. */
  stream(options?: RecognizeOptions): SpeechStream;
}
