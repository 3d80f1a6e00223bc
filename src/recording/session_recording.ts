/**
 * A conversation recorded: the user's audio (left) and the agent's (right) in one stereo 16-bit
 * WAV file (written with wavefile), and the session report beside it as JSON. The directory is
 * checked before the session starts; the files are written once the session has closed.
 *
 * The user's side is what the session listened to, as it arrived; the agent's is what went to its
 * audio output, as it was played, cut where an interruption cleared it.
 */
import { access, constants, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AudioFrame } from '../audio/audio_frame.js';
import type { AudioOutput } from '../audio/audio_output.js';
import { toInt16 } from '../audio/resample.js';
import { VoxstateError } from '../errors.js';
import { RecordedTrack } from './recorded_track.js';

type WaveFileClass = typeof import('wavefile').WaveFile;

export interface RecordingOptions {
  /** The directory the files go to (created if missing). */
  dir: string;
  /** The WAV file's sample rate (default 24000). */
  sampleRate?: number;
}

/** Recording cannot be done as asked (a directory that cannot be written). */
export class RecordingError extends VoxstateError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('recording_failed', message, options);
  }
}

/** The files a recording wrote. */
export interface RecordingFiles {
  audio: string;
  report: string;
}

export class SessionRecording {
  readonly user = new RecordedTrack();
  readonly agent = new RecordedTrack();
  readonly #startedAt = Date.now();

  private constructor(
    readonly dir: string,
    readonly sampleRate: number,
  ) {}

  /** A recording into `options.dir`, once the directory is there and writable; RecordingError if not. */
  static async open(options: RecordingOptions): Promise<SessionRecording> {
    const sampleRate = options.sampleRate ?? 24_000;
    if (typeof options.dir !== 'string' || options.dir === '') throw new RecordingError('record.dir must be a directory path');
    if (!Number.isInteger(sampleRate) || sampleRate < 8_000 || sampleRate > 192_000) throw new RecordingError(`record.sampleRate must be an integer from 8000 to 192000 Hz, got ${sampleRate}`);
    try {
      await mkdir(options.dir, { recursive: true });
      await access(options.dir, constants.W_OK);
    } catch (error) {
      throw new RecordingError(`cannot record into ${options.dir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
    }
    return new SessionRecording(options.dir, sampleRate);
  }

  /** ms since the recording started. */
  now(): number {
    return Date.now() - this.#startedAt;
  }

  /** The user's audio, recorded as it passes through. */
  async *listen(frames: AsyncIterable<AudioFrame>): AsyncIterable<AudioFrame> {
    for await (const frame of frames) {
      this.user.add(frame, this.now());
      yield frame;
    }
  }

  /** `output`, recording each frame the agent plays on it. */
  agentOutput(output: AudioOutput): AudioOutput {
    const recording = this;
    return {
      captureFrame(frame) {
        recording.agent.add(frame, recording.now());
        return output.captureFrame(frame);
      },
      flush: () => output.flush(),
      clearBuffer() {
        recording.agent.cut(recording.now());
        output.clearBuffer();
      },
      get playedMs() {
        return output.playedMs;
      },
      ...(output.pause ? { pause: () => output.pause!() } : {}),
      ...(output.resume ? { resume: () => output.resume!() } : {}),
    };
  }

  /** Writes `<name>.wav` (left: user, right: agent) and `<name>.json` (the report). */
  async save(name: string, report: unknown): Promise<RecordingFiles> {
    const lengthMs = Math.max(this.user.durationMs, this.agent.durationMs);
    // Loaded when a recording is written: `import 'voxstate'` does not pay for it. Node sees the
    // package as CommonJS (its class under default), tsx and bundlers take its ES module (named).
    const loaded = (await import('wavefile')) as unknown as { WaveFile?: WaveFileClass; default?: { WaveFile: WaveFileClass } };
    const WaveFile = loaded.WaveFile ?? loaded.default!.WaveFile;
    const wav = new WaveFile();
    wav.fromScratch(2, this.sampleRate, '16', [toInt16(this.user.render(this.sampleRate, lengthMs)), toInt16(this.agent.render(this.sampleRate, lengthMs))]);
    const files = { audio: join(this.dir, `${name}.wav`), report: join(this.dir, `${name}.json`) };
    try {
      await writeFile(files.audio, wav.toBuffer());
      await writeFile(files.report, `${JSON.stringify(report)}\n`);
    } catch (error) {
      throw new RecordingError(`cannot write the recording to ${this.dir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
    }
    return files;
  }
}
