/** 16-bit PCM audio frames: what flows between rooms, VAD, STT and TTS (on streams, never through actors). */

/** Interleaved 16-bit PCM. */
export interface AudioFrame {
  readonly data: Int16Array;
  readonly sampleRate: number;
  readonly channels: number;
  readonly samplesPerChannel: number;
}

/** A frame of `data` (interleaved when `channels` > 1). */
export function audioFrame(data: Int16Array, sampleRate: number, channels = 1): AudioFrame {
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) throw new RangeError(`sample rate must be a positive integer, got ${sampleRate}`);
  if (!Number.isInteger(channels) || channels <= 0) throw new RangeError(`channels must be a positive integer, got ${channels}`);
  if (data.length % channels !== 0) throw new RangeError(`${data.length} samples do not divide into ${channels} channels`);
  return { data, sampleRate, channels, samplesPerChannel: data.length / channels };
}

/** How long the frame plays, in ms. */
export function frameDurationMs(frame: AudioFrame): number {
  return (frame.samplesPerChannel / frame.sampleRate) * 1000;
}
