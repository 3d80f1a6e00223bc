/**
 * A streaming STT made of a non-streaming one and a VAD (LiveKit's StreamAdapter): the audio goes
 * into a VAD stream; the VAD's start of speech is a start_of_speech; its end of speech has the
 * utterance's frames recognized with `stt.recognize`, then comes a final_transcript (unless nothing
 * was recognized), end_of_speech and a usage event with the utterance's duration. No interim
 * transcripts. Utterances are recognized one at a time, in order; the VAD stream keeps the audio
 * pushed meanwhile.
 *
 * The `error` and `metrics_collected` events of the wrapped STT are re-emitted by the adapter. A
 * recognition that fails (the STT has retried by its ConnOptions) ends the stream: its iteration
 * throws the error. close() stops the VAD stream and cancels a recognition under way; the caller's
 * signal aborting does the same, and the iteration throws the signal's reason.
 */
import type { AudioFrame } from '../audio/audio_frame.js';
import { frameDurationMs } from '../audio/audio_frame.js';
import { ClosedError } from '../errors.js';
import { Model, type ModelEvents } from '../provider/model.js';
import type { VAD, VADStream } from '../vad/vad.js';
import { EventChannel } from '../streams/event_channel.js';
import type { RecognizeOptions, SpeechData, SpeechEvent, SpeechStream, STT, STTCapabilities } from './stt.js';

export class VADStreamAdapter extends Model implements STT {
  readonly label: string;
  readonly capabilities: STTCapabilities = { streaming: true, interimResults: false };

  constructor(
    readonly stt: STT,
    readonly vad: VAD,
  ) {
    super();
    this.label = stt.label;
  }

  // The wrapped STT's errors and metrics are listened to on the STT itself: forwarding them here
  // would keep every adapter alive as long as a shared STT lives.
  override on<E extends keyof ModelEvents>(event: E, listener: ModelEvents[E]): this {
    this.stt.on(event, listener);
    return this;
  }

  override off<E extends keyof ModelEvents>(event: E, listener: ModelEvents[E]): this {
    this.stt.off(event, listener);
    return this;
  }

  recognize(frames: AudioFrame[], options?: RecognizeOptions): Promise<SpeechData> {
    return this.stt.recognize(frames, options);
  }

  stream(options: RecognizeOptions = {}): SpeechStream {
    return new VADSpeechStream(this.stt, this.vad.stream(), options);
  }
}

class VADSpeechStream implements SpeechStream {
  readonly #events = new EventChannel<SpeechEvent>(() => void this.close());
  readonly #stop = new AbortController();
  readonly #finished: Promise<void>;
  #closed = false;
  #inputEnded = false;

  constructor(
    private readonly stt: STT,
    private readonly vad: VADStream,
    private readonly options: RecognizeOptions,
  ) {
    options.signal?.addEventListener('abort', this.#onAbort, { once: true });
    if (options.signal?.aborted) this.#onAbort();
    this.#finished = this.#run();
  }

  pushFrame(frame: AudioFrame): void {
    this.#assertWritable('pushFrame');
    this.vad.pushFrame(frame);
  }

  flush(): void {
    this.#assertWritable('flush');
    this.vad.flush();
  }

  endInput(): void {
    if (this.#inputEnded || this.#closed) return;
    this.#inputEnded = true;
    this.vad.endInput();
  }

  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#events.close();
      this.#stop.abort(new ClosedError('the speech stream', 'recognize', 'closed'));
      await this.vad.close();
    }
    await this.#finished;
  }

  [Symbol.asyncIterator](): AsyncIterator<SpeechEvent> {
    return this.#events[Symbol.asyncIterator]();
  }

  readonly #onAbort = (): void => {
    if (this.#closed || this.#stop.signal.aborted) return;
    this.#stop.abort(this.options.signal?.reason);
    void this.vad.close();
  };

  #assertWritable(call: string): void {
    if (this.#closed || this.#stop.signal.aborted) throw new ClosedError('the speech stream', call, 'closed');
    if (this.#inputEnded) throw new ClosedError('the speech stream', call, 'ended (endInput was called)');
  }

  async #run(): Promise<void> {
    try {
      for await (const event of this.vad) {
        if (event.type === 'start_of_speech') {
          this.#events.push({ type: 'start_of_speech' });
        } else if (event.type === 'end_of_speech') {
          const data = await this.stt.recognize(event.frames, {
            ...(this.options.language === undefined ? {} : { language: this.options.language }),
            ...(this.options.conn === undefined ? {} : { conn: this.options.conn }),
            signal: this.#stop.signal,
          });
          if (data.text !== '') this.#events.push({ type: 'final_transcript', alternatives: [data] });
          this.#events.push({ type: 'end_of_speech' });
          this.#events.push({ type: 'usage', audioDurationMs: event.frames.reduce((sum, frame) => sum + frameDurationMs(frame), 0) });
        }
      }
      if (this.#stop.signal.aborted && !this.#closed) throw this.#stop.signal.reason;
      this.#events.end();
    } catch (error) {
      if (this.#closed) return;
      this.#events.fail(this.#stop.signal.aborted ? this.#stop.signal.reason : error);
      await this.vad.close();
    } finally {
      this.options.signal?.removeEventListener('abort', this.#onAbort);
    }
  }
}
