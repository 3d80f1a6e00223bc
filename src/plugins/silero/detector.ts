/**
 * From window probabilities to speech edges, on audio time only (no clock): the part of the VAD
 * that decides, kept apart from the model so it can be driven by scripted probabilities.
 *
 * - Probabilities are smoothed: p = 0.35 × previous + 0.65 × window's.
 * - Outside speech, a run of windows with p ≥ activationThreshold lasting minSpeechDurationMs
 *   starts an utterance; any window below the threshold resets the run.
 * - In speech, a run of windows with p < deactivationThreshold lasting minSilenceDurationMs ends
 *   it; any window at or above the (lower) deactivation threshold resets that run (hysteresis).
 * - The utterance's audio is kept from prefixPaddingDurationMs before its first speech window, up
 *   to maxBufferedSpeechMs after that (later audio is dropped from the frames; the durations still
 *   count it). End of speech carries it all, including the silence that ended it; that silence
 *   (its last prefixPaddingDurationMs) is also the next utterance's padding.
 */
import { audioFrame, type AudioFrame } from '../../audio/audio_frame.js';
import { log } from '../../log/logger.js';
import type { VADEvent, VADEventType, VADOptions } from '../../vad/vad.js';

const SMOOTHING = 0.35;

export class SpeechDetector {
  readonly #rate: number;
  #samples = 0;
  #smoothed: number | undefined;
  #speaking = false;
  /** Outside speech: the current run of speech windows, in samples. */
  #speechRun = 0;
  /** In speech: the current run of silent windows, in samples. */
  #silenceRun = 0;
  /** Sample where the utterance (or the last one) started, and where its speech ended. */
  #speechStart = 0;
  #speechEnd = 0;
  /**
   * Prefix padding plus the utterance, at the model rate: the windows themselves (kept, not copied:
   * this runs for every window of every stream), joined only when an edge hands them over. The
   * first `#keptSkip` samples of the first window are not part of it.
   */
  readonly #kept: Int16Array[] = [];
  #keptSkip = 0;
  #buffered = 0;
  #truncated = false;
  /** The last windows, at least prefixPaddingDurationMs of them: the padding after a truncated utterance. */
  #recent: Int16Array[] = [];
  #recentSamples = 0;

  constructor(sampleRate: number) {
    this.#rate = sampleRate;
  }

  get speaking(): boolean {
    return this.#speaking;
  }

  /**
   * Takes one window and its raw probability; returns inference_done, then start_of_speech or
   * end_of_speech when this window decides one. The window is kept as it is (not copied): the
   * caller must not change it afterwards.
   */
  step(window: Int16Array, rawProbability: number, inferenceDurationMs: number, options: VADOptions): VADEvent[] {
    const n = window.length;
    this.#samples += n;
    const p = this.#smoothed === undefined ? rawProbability : SMOOTHING * this.#smoothed + (1 - SMOOTHING) * rawProbability;
    this.#smoothed = p;

    let edge: VADEventType | undefined;
    if (!this.#speaking) {
      this.#speechRun = p >= options.activationThreshold ? this.#speechRun + n : 0;
      if (this.#speechRun > 0 && this.#ms(this.#speechRun) >= options.minSpeechDurationMs) {
        this.#speaking = true;
        this.#speechStart = this.#samples - this.#speechRun;
        this.#speechRun = 0;
        this.#silenceRun = 0;
        this.#truncated = false;
        edge = 'start_of_speech';
      }
    } else {
      this.#silenceRun = p < options.deactivationThreshold ? this.#silenceRun + n : 0;
      if (this.#silenceRun > 0 && this.#ms(this.#silenceRun) >= options.minSilenceDurationMs) {
        this.#speaking = false;
        this.#speechEnd = this.#samples - this.#silenceRun;
        edge = 'end_of_speech';
      }
    }

    this.#keep(window, options, edge);
    // The window itself, not a copy (a frame's samples are not to be changed by whoever reads them).
    const events = [this.#event('inference_done', p, inferenceDurationMs, [audioFrame(window, this.#rate)])];
    if (edge) events.push(this.#event(edge, p, inferenceDurationMs, [audioFrame(this.#joined(), this.#rate)]));
    if (edge === 'end_of_speech') this.#carryOver(options);
    return events;
  }

  /** At the end of the input: ends the utterance in progress, if any. */
  finish(options: VADOptions): VADEvent | undefined {
    if (!this.#speaking) return undefined;
    this.#speaking = false;
    this.#speechEnd = this.#samples - this.#silenceRun;
    const event = this.#event('end_of_speech', this.#smoothed ?? 0, 0, [audioFrame(this.#joined(), this.#rate)]);
    this.#carryOver(options);
    return event;
  }

  /** Adds the window to the kept audio: outside speech only the padding and the speech run stay. */
  #keep(window: Int16Array, options: VADOptions, edge: VADEventType | undefined): void {
    const prefix = this.#samplesOf(options.prefixPaddingDurationMs);
    this.#remember(window, prefix);
    const inSpeech = this.#speaking || edge === 'end_of_speech';
    if (inSpeech && edge !== 'start_of_speech') {
      const room = prefix + this.#samplesOf(options.maxBufferedSpeechMs) - this.#buffered;
      if (room < window.length && !this.#truncated) {
        this.#truncated = true;
        log().warn({ maxBufferedSpeechMs: options.maxBufferedSpeechMs }, 'silero: utterance longer than maxBufferedSpeechMs; the rest is not kept');
      }
      this.#append(window.subarray(0, Math.max(0, Math.min(room, window.length))));
      return;
    }
    this.#append(window);
    const speech = edge === 'start_of_speech' ? this.#samples - this.#speechStart : this.#speechRun;
    this.#dropFront(this.#buffered - (prefix + speech));
  }

  /** After an utterance, its trailing silence stays as padding for the next one. */
  #carryOver(options: VADOptions): void {
    const prefix = this.#samplesOf(options.prefixPaddingDurationMs);
    if (this.#truncated) {
      // The buffer stopped short of the end: the padding is the audio itself.
      this.#kept.length = 0;
      this.#keptSkip = 0;
      this.#buffered = 0;
      for (const window of this.#recent) this.#append(window);
    }
    this.#dropFront(this.#buffered - prefix);
  }

  #remember(window: Int16Array, prefix: number): void {
    this.#recent.push(window);
    this.#recentSamples += window.length;
    while (this.#recent.length > 1 && this.#recentSamples - this.#recent[0]!.length >= prefix) {
      this.#recentSamples -= this.#recent.shift()!.length;
    }
  }

  #append(samples: Int16Array): void {
    if (samples.length === 0) return;
    this.#kept.push(samples);
    this.#buffered += samples.length;
  }

  #dropFront(count: number): void {
    if (count <= 0) return;
    this.#buffered -= count;
    let skip = this.#keptSkip + count;
    // Whole windows leave; the first one left may start part-way.
    while (this.#kept.length > 0 && skip >= this.#kept[0]!.length) skip -= this.#kept.shift()!.length;
    this.#keptSkip = skip;
  }

  /** The kept audio as one array (a copy: the event's frame is its own). */
  #joined(): Int16Array {
    const out = new Int16Array(this.#buffered);
    let at = 0;
    for (let i = 0; i < this.#kept.length; i++) {
      const window = i === 0 ? this.#kept[0]!.subarray(this.#keptSkip) : this.#kept[i]!;
      out.set(window, at);
      at += window.length;
    }
    return out;
  }

  #event(type: VADEventType, probability: number, inferenceDurationMs: number, frames: AudioFrame[]): VADEvent {
    const now = this.#samples;
    let speech = 0;
    let silence: number;
    if (this.#speaking) {
      speech = now - this.#silenceRun - this.#speechStart;
      silence = this.#silenceRun;
    } else {
      silence = now - this.#speechEnd;
      // End of speech reports the utterance it ends.
      if (type === 'end_of_speech') speech = this.#speechEnd - this.#speechStart;
    }
    return {
      type,
      timestampMs: this.#ms(now),
      speechDurationMs: this.#ms(speech),
      silenceDurationMs: this.#ms(silence),
      probability,
      speaking: this.#speaking,
      inferenceDurationMs,
      frames,
    };
  }

  #ms(samples: number): number {
    return (samples * 1000) / this.#rate;
  }

  #samplesOf(ms: number): number {
    return Math.round((ms * this.#rate) / 1000);
  }
}
