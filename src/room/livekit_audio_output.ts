/**
 * The agent's voice on a LiveKit audio track. Frames are converted to the track's format (mono,
 * its sample rate, chunks of at most 20 ms) and queued here; a pump hands them to the rtc
 * AudioSource, whose native queue blocks when full, so the pump runs at the room's real-time pace
 * and stays a short lead ahead of what is heard (no gaps from timer jitter). Interruptions drop
 * this queue and the native one; what was heard is what went out minus what the source still holds.
 */
import { audioFrame, frameDurationMs, type AudioFrame } from '../audio/audio_frame.js';
import type { AudioOutput } from '../audio/audio_output.js';
import { mixdown, Resampler, toInt16 } from '../audio/resample.js';
import { ClosedError, VoxstateError, describe } from '../errors.js';
import { log } from '../log/logger.js';
import { ownedSamples } from './livekit_mapping.js';
import type { Rtc } from './livekit_rtc.js';

/** The rtc AudioSource as the output uses it (structural, so tests can stand in for it). */
export interface AudioSink {
  /** The track's sample rate; frames reach `capture` mono at this rate. */
  readonly sampleRate: number;
  /** Resolves once the frame is in the native queue (waits while the queue is full). */
  capture(frame: AudioFrame): Promise<void>;
  /** Drops the native queue. */
  clear(): void;
  /** ms of audio captured but not yet played out. */
  queuedMs(): number;
  /** Resolves once the native queue has played out. */
  waitForPlayout(): Promise<void>;
}

/** An rtc AudioSource as a sink; `ready` (the track's publication) is awaited before each capture. */
export function audioSourceSink(rtc: Rtc, source: InstanceType<Rtc['AudioSource']>, ready?: Promise<unknown>): AudioSink {
  // Once ready, a frame reaches the source in the same tick as the output counts it as sent.
  let isReady = ready === undefined;
  ready?.then(
    () => (isReady = true),
    () => {}, // the capture that awaits it reports the failure
  );
  return {
    sampleRate: source.sampleRate,
    capture: async (frame) => {
      if (!isReady) await ready;
      await source.captureFrame(new rtc.AudioFrame(ownedSamples(frame.data), frame.sampleRate, frame.channels, frame.samplesPerChannel));
    },
    clear: () => source.clearQueue(),
    queuedMs: () => source.queuedDuration,
    waitForPlayout: () => source.waitForPlayout(),
  };
}

const CHUNK_MS = 20;

/** Converts any frames to mono at one rate, in chunks of at most 20 ms. Streaming: no samples are lost between frames. */
export class FrameConverter {
  #resampler: Resampler | undefined;

  constructor(readonly sampleRate: number) {
    if (!Number.isInteger(sampleRate) || sampleRate <= 0) throw new RangeError(`sample rate must be a positive integer, got ${sampleRate}`);
  }

  push(frame: AudioFrame): AudioFrame[] {
    const out: AudioFrame[] = [];
    if (this.#resampler && this.#resampler.inRate !== frame.sampleRate) out.push(...this.flush());
    if (frame.sampleRate === this.sampleRate) {
      const mono = frame.channels === 1 ? frame.data : toInt16(mixdown(frame.data, frame.channels));
      return [...out, ...this.#chunks(mono)];
    }
    this.#resampler ??= new Resampler(frame.sampleRate, this.sampleRate);
    return [...out, ...this.#chunks(toInt16(this.#resampler.push(mixdown(frame.data, frame.channels))))];
  }

  /** The resampler's tail (end of a speech). */
  flush(): AudioFrame[] {
    const resampler = this.#resampler;
    this.#resampler = undefined;
    return resampler ? this.#chunks(toInt16(resampler.flush())) : [];
  }

  /** Forgets the resampler's state (an interruption: what it held is not heard). */
  reset(): void {
    this.#resampler = undefined;
  }

  #chunks(samples: Int16Array): AudioFrame[] {
    const size = Math.max(1, Math.round((this.sampleRate * CHUNK_MS) / 1000));
    const out: AudioFrame[] = [];
    for (let start = 0; start < samples.length; start += size) {
      // Each chunk owns its buffer: rtc-node sends a frame's whole underlying buffer.
      out.push(audioFrame(ownedSamples(samples.slice(start, start + size)), this.sampleRate, 1));
    }
    return out;
  }
}

export class LiveKitAudioOutput implements AudioOutput {
  readonly #sink: AudioSink;
  readonly #converter: FrameConverter;
  readonly #lookAheadMs: number;
  #queue: AudioFrame[] = [];
  #queuedMs = 0;
  /** ms handed to the sink since creation (minus what an interruption took back). */
  #sentMs = 0;
  #heardMs = 0;
  #pumping = false;
  #paused = false;
  #closed = false;
  #failure: VoxstateError | undefined;
  #room: Array<() => void> = [];
  #idle: Array<() => void> = [];

  constructor(sink: AudioSink, options: { lookAheadMs?: number } = {}) {
    this.#sink = sink;
    this.#converter = new FrameConverter(sink.sampleRate);
    this.#lookAheadMs = options.lookAheadMs ?? 200;
  }

  get playedMs(): number {
    // The sink counts its queue in whole ms, so the difference can dip by one between two reads:
    // what has been heard does not go back.
    this.#heardMs = Math.max(this.#heardMs, this.#sentMs - this.#sink.queuedMs());
    return this.#heardMs;
  }

  captureFrame(frame: AudioFrame): Promise<void> {
    if (this.#closed) return Promise.reject(new ClosedError('room audio output', 'captureFrame()', 'closed'));
    if (this.#failure) return Promise.reject(this.#failure);
    this.#enqueue(this.#converter.push(frame));
    if (this.#queuedMs <= this.#lookAheadMs) return Promise.resolve();
    return new Promise((resolve) => this.#room.push(resolve));
  }

  async flush(): Promise<void> {
    if (this.#closed) return;
    this.#enqueue(this.#converter.flush());
    if (this.#pumping || this.#queue.length > 0) await new Promise<void>((resolve) => this.#idle.push(resolve));
    if (this.#failure) throw this.#failure;
    if (!this.#closed) await this.#sink.waitForPlayout();
  }

  clearBuffer(): void {
    // What was heard stays counted; what the source still held was not heard.
    this.#sentMs = this.playedMs;
    this.#queue = [];
    this.#queuedMs = 0;
    this.#paused = false;
    this.#converter.reset();
    if (!this.#closed) this.#sink.clear();
    this.#wake();
  }

  /** Stops feeding the track; what the native queue holds (at most its lead) still plays. */
  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#pump();
  }

  /** Drops what is queued and refuses further frames; waiters are released. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.clearBuffer();
    this.#closed = true;
    this.#wake();
  }

  #enqueue(frames: AudioFrame[]): void {
    for (const frame of frames) {
      this.#queue.push(frame);
      this.#queuedMs += frameDurationMs(frame);
    }
    this.#pump();
  }

  #pump(): void {
    if (this.#pumping || this.#paused || this.#closed) return;
    const frame = this.#queue.shift();
    if (!frame) {
      this.#wake();
      return;
    }
    this.#pumping = true;
    this.#queuedMs -= frameDurationMs(frame);
    this.#sentMs += frameDurationMs(frame);
    this.#wake();
    this.#sink.capture(frame).then(
      () => {
        this.#pumping = false;
        this.#pump();
      },
      (error: unknown) => {
        this.#pumping = false;
        this.#failure = new VoxstateError('room_audio_failed', `the agent's audio could not be sent to the room: ${describe(error)}`, { cause: error });
        log().error({ err: this.#failure }, 'room audio output failed');
        this.#queue = [];
        this.#queuedMs = 0;
        this.#wake();
      },
    );
  }

  #wake(): void {
    if (this.#queuedMs <= this.#lookAheadMs || this.#closed) for (const resolve of this.#room.splice(0)) resolve();
    if ((!this.#pumping && this.#queue.length === 0) || this.#closed) for (const resolve of this.#idle.splice(0)) resolve();
  }
}
