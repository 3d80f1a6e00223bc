/**
 * The user's audio as the Realtime API takes it: 24 kHz mono 16-bit PCM, base64, one
 * `input_audio_buffer.append` per frame. Frames of any rate and channel count are mixed down and
 * resampled on the way (a resampler per input rate, its state kept across frames).
 */
import { checkAudioFrame, type AudioFrame } from '../../../audio/audio_frame.js';
import { mixdown, Resampler, toInt16 } from '../../../audio/resample.js';
import { REALTIME_SAMPLE_RATE } from './generation.js';

export class RealtimeInputAudio {
  #resampler: Resampler | undefined;

  /** The frame as base64 PCM at 24 kHz mono; empty when the resampler holds it all for now. */
  encode(frame: AudioFrame): string {
    checkAudioFrame(frame);
    if (frame.sampleRate === REALTIME_SAMPLE_RATE && frame.channels === 1) return base64(frame.data);
    const mono = mixdown(frame.data, frame.channels);
    if (frame.sampleRate === REALTIME_SAMPLE_RATE) return base64(toInt16(mono));
    if (this.#resampler?.inRate !== frame.sampleRate) this.#resampler = new Resampler(frame.sampleRate, REALTIME_SAMPLE_RATE);
    return base64(toInt16(this.#resampler.push(mono)));
  }
}

function base64(samples: Int16Array): string {
  return Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength).toString('base64');
}
