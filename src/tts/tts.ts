/**
 * Text-to-speech. Text goes in sentence by sentence; audio frames come out as they are
 * synthesized, on the stream. Closing the stream cancels the synthesis (an interruption).
 */
import type { AudioFrame } from '../audio/audio_frame.js';
import type { ConnOptions } from '../provider/conn_options.js';
import type { Model } from '../provider/model.js';

export interface SynthesizedAudio {
  frame: AudioFrame;
  /** One segment per flush (per sentence group); its last frame has `final`. */
  segmentId: string;
  final: boolean;
}

export interface SynthesizeOptions {
  signal?: AbortSignal;
  conn?: Partial<ConnOptions>;
}

export interface SynthesizeStream extends AsyncIterable<SynthesizedAudio> {
  pushText(text: string): void;
  /** Ends the current segment: what was pushed is synthesized without waiting for more. */
  flush(): void;
  endInput(): void;
  /** Cancels: synthesis stops and the iteration ends. */
  close(): Promise<void>;
}

export interface TTS extends Model {
  readonly sampleRate: number;
  readonly numChannels: number;
  readonly capabilities: { streaming: boolean };
  stream(options?: SynthesizeOptions): SynthesizeStream;
  /** Synthesizes one text at once. */
  synthesize(text: string, options?: SynthesizeOptions): AsyncIterable<SynthesizedAudio>;
}
