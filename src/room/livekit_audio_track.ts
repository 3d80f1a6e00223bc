/**
 * A remote participant's audio track in a LiveKit room. Each frames() call opens an rtc
 * AudioStream that delivers mono frames at the rate the pipeline listens at (the native side
 * resamples); every stream is closed when the track goes away or the room is left, so none leaks.
 */
import type { AudioFrame } from '../audio/audio_frame.js';
import type { AudioTrack } from './room.js';
import { fromRtcFrame, type RtcFrameLike } from './livekit_mapping.js';
import type { Rtc } from './livekit_rtc.js';

type RtcTrack = InstanceType<Rtc['RemoteAudioTrack']>;

export class LiveKitAudioTrack implements AudioTrack {
  readonly kind = 'audio' as const;
  readonly #readers = new Set<ReadableStreamDefaultReader<RtcFrameLike>>();
  #closed = false;

  constructor(
    private readonly rtc: Rtc,
    private readonly track: RtcTrack,
    private readonly sampleRate: number,
    /** Who published it. */
    readonly participantIdentity: string,
  ) {}

  get sid(): string {
    return this.track.sid ?? '';
  }

  /** Streams open on this track (each frames() iteration in progress). */
  get openStreams(): number {
    return this.#readers.size;
  }

  frames(): AsyncIterable<AudioFrame> {
    return { [Symbol.asyncIterator]: () => this.#iterate() };
  }

  /** Ends every frames() iteration; later ones end at once. Idempotent. */
  close(): void {
    this.#closed = true;
    for (const reader of this.#readers) void reader.cancel().catch(() => {});
    this.#readers.clear();
  }

  async *#iterate(): AsyncGenerator<AudioFrame> {
    if (this.#closed) return;
    const stream = new this.rtc.AudioStream(this.track, { sampleRate: this.sampleRate, numChannels: 1 });
    const reader = stream.getReader() as ReadableStreamDefaultReader<RtcFrameLike>;
    this.#readers.add(reader);
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield fromRtcFrame(value);
      }
    } finally {
      this.#readers.delete(reader);
      // Closes the native stream when the consumer stops early (break, error).
      await reader.cancel().catch(() => {});
    }
  }
}
