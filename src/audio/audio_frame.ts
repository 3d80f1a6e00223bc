/**
 * 16-bit PCM audio frames: what flows between rooms, VAD, STT and TTS (on streams, never through
 * actors), and the one check every frame entering voxstate goes through.
 */
import { VoxstateError } from '../errors.js';

/** Interleaved 16-bit PCM. */
export interface AudioFrame {
  readonly data: Int16Array;
  readonly sampleRate: number;
  readonly channels: number;
  readonly samplesPerChannel: number;
}

/** The highest sample rate accepted, in Hz (studio audio goes up to 384 kHz). */
export const MAX_SAMPLE_RATE = 384_000;

/** A frame is not interleaved 16-bit PCM as it claims: the message says what is wrong. */
export class AudioFrameError extends VoxstateError {
  constructor(problem: string) {
    super('invalid_audio_frame', `audio frame: ${problem}`);
  }
}

/**
 * A frame of `data` (interleaved when `channels` > 1).
 *
 * @throws AudioFrameError when the data is not an Int16Array, the sample rate is not an integer
 *   from 1 to MAX_SAMPLE_RATE, the channel count is not a positive integer, or the samples do not
 *   divide into the channels.
 * @example
 *   const silence = audioFrame(new Int16Array(320), 16_000); // 20 ms, mono
 */
export function audioFrame(data: Int16Array, sampleRate: number, channels = 1): AudioFrame {
  checkFormat(data, sampleRate, channels);
  return { data, sampleRate, channels, samplesPerChannel: data.length / channels };
}

/**
 * Checks that `frame` is what AudioFrame says: the check of audioFrame(), of session.listen(), and
 * of every VAD and STT stream's pushFrame(), so a bad frame is refused with an AudioFrameError where
 * it enters instead of failing somewhere downstream.
 *
 * It costs the same for any frame size: the samples of an Int16Array are 16-bit integers by
 * construction, so nothing is checked per sample. Data of any other kind is refused, non-finite
 * samples (NaN, ±Infinity in a Float32Array or an array) included; only then are the samples
 * looked at, to name the first non-finite one.
 */
export function checkAudioFrame(frame: unknown): asserts frame is AudioFrame {
  if (frame === null || typeof frame !== 'object') {
    throw new AudioFrameError(`expected an AudioFrame (made with audioFrame(data, sampleRate, channels)), got ${kindOf(frame)}`);
  }
  const { data, sampleRate, channels, samplesPerChannel } = frame as Record<keyof AudioFrame, unknown>;
  checkFormat(data, sampleRate, channels);
  const perChannel = data.length / (channels as number);
  if (samplesPerChannel !== perChannel) {
    throw new AudioFrameError(
      `samplesPerChannel is ${describeValue(samplesPerChannel)}, but ${data.length} samples in ${String(channels)} channel${channels === 1 ? '' : 's'} make ${perChannel}`,
    );
  }
}

/** How long the frame plays, in ms. */
export function frameDurationMs(frame: AudioFrame): number {
  return (frame.samplesPerChannel / frame.sampleRate) * 1000;
}

function checkFormat(data: unknown, sampleRate: unknown, channels: unknown): asserts data is Int16Array {
  if (!(data instanceof Int16Array)) {
    throw new AudioFrameError(`data must be an Int16Array of 16-bit PCM samples, got ${kindOf(data)}${nonFiniteSample(data)}`);
  }
  if (typeof sampleRate !== 'number' || !Number.isInteger(sampleRate) || sampleRate <= 0 || sampleRate > MAX_SAMPLE_RATE) {
    throw new AudioFrameError(`sample rate must be an integer from 1 to ${MAX_SAMPLE_RATE} Hz, got ${describeValue(sampleRate)}`);
  }
  if (typeof channels !== 'number' || !Number.isInteger(channels) || channels <= 0) {
    throw new AudioFrameError(`channels must be a positive integer, got ${describeValue(channels)}`);
  }
  if (data.length % channels !== 0) {
    throw new AudioFrameError(`${data.length} samples do not divide into ${channels} channels`);
  }
}

/** ", whose sample 3 is NaN" for number data holding a non-finite sample; else nothing. Runs only on refused data. */
function nonFiniteSample(data: unknown): string {
  if (!Array.isArray(data) && !(data instanceof Float32Array) && !(data instanceof Float64Array)) return '';
  for (let i = 0; i < data.length; i++) {
    const sample: unknown = data[i];
    if (typeof sample === 'number' && !Number.isFinite(sample)) return `, whose sample ${i} is ${sample}`;
  }
  return '';
}

/** "a Float32Array", "a string \"abc\"", "null": what was given instead. */
function kindOf(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value !== 'object') return `a ${typeof value} ${describeValue(value)}`;
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  if (typeof name !== 'string' || name === '' || name === 'Object') return 'an object';
  return `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name}`;
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length <= 40 ? value : `${value.slice(0, 40)}…`);
  return String(value);
}
