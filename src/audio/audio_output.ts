/**
 * Where the agent's audio is played: a room track, a WAV file, a speaker. Frames are queued and
 * played at their real duration; the output tells how much has actually been heard, so an
 * interrupted speech is committed as far as it was heard.
 */
import type { AudioFrame } from './audio_frame.js';
import { frameDurationMs } from './audio_frame.js';

export interface AudioOutput {
  /** Queues a frame; resolves when the output can take the next one (backpressure). */
  captureFrame(frame: AudioFrame): Promise<void>;
  /** Resolves once everything queued has been played. */
  flush(): Promise<void>;
  /** Drops what is queued but not yet played (an interruption). */
  clearBuffer(): void;
  /** ms of audio played since the output was created. */
  readonly playedMs: number;
  /** Holds playout where it is (a possible false interruption); resume() goes on from there. */
  pause?(): void;
  resume?(): void;
}

/**
 * Plays frames in (possibly simulated) real time: each frame takes its duration on the clock
 * (setTimeout, so fake timers drive it), then goes to `sink` (a file, a device, a test).
 * A short look-ahead keeps playout gapless.
 */
export class PacedAudioOutput implements AudioOutput {
  #queue: AudioFrame[] = [];
  #playedMs = 0;
  #playing = false;
  #idle: Array<() => void> = [];
  #room: Array<() => void> = [];
  #paused = false;

  constructor(
    private readonly sink: (frame: AudioFrame) => void = () => {},
    private readonly lookAheadMs = 200,
  ) {}

  get playedMs(): number {
    return this.#playedMs;
  }

  captureFrame(frame: AudioFrame): Promise<void> {
    this.#queue.push(frame);
    this.#play();
    if (this.#queuedMs() <= this.lookAheadMs) return Promise.resolve();
    return new Promise((resolve) => this.#room.push(resolve));
  }

  flush(): Promise<void> {
    if (!this.#playing && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  clearBuffer(): void {
    this.#queue = [];
    this.#paused = false;
    this.#wake();
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#play();
  }

  #queuedMs(): number {
    return this.#queue.reduce((total, frame) => total + frameDurationMs(frame), 0);
  }

  #play(): void {
    if (this.#playing || this.#paused) return;
    const frame = this.#queue.shift();
    if (!frame) {
      for (const resolve of this.#idle.splice(0)) resolve();
      return;
    }
    this.#playing = true;
    this.sink(frame);
    setTimeout(() => {
      this.#playing = false;
      this.#playedMs += frameDurationMs(frame);
      this.#wake();
      this.#play();
    }, frameDurationMs(frame));
  }

  #wake(): void {
    if (this.#queuedMs() <= this.lookAheadMs) for (const resolve of this.#room.splice(0)) resolve();
    if (!this.#playing && this.#queue.length === 0) for (const resolve of this.#idle.splice(0)) resolve();
  }
}
