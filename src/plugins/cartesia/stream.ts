/**
 * A streamed Cartesia synthesis. Text is cut into sentences; each segment (what lies between two
 * flushes) is one Cartesia context, and its audio comes out as 20 ms frames, the segment's last
 * frame marked final.
 *
 * Connecting starts with the first sentence. One attempt, under the retry policy (withRetries),
 * runs from opening the connection to the first audio: its timeout bounds both, and a failure in
 * it (handshake refused, no answer, dropped connection, malformed or error message) is retried on
 * a new connection that replays the text sent so far, nothing having been heard yet. Once audio
 * has begun, a failure ends the stream with an unrecoverable error and nothing is replayed, so no
 * audio is ever heard twice. `timeoutMs` also bounds the server's silence once a segment's text
 * has ended (see session.ts): a server that stops before `done` fails the stream, not holds it.
 *
 * `close()` (or the caller's signal, or leaving the iteration early) cancels: the server is told
 * to stop each unfinished context, the connection closes, and the iteration ends at once.
 */
import { ClosedError } from '../../errors.js';
import { audioFrame, frameDurationMs } from '../../audio/audio_frame.js';
import { newId } from '../../ids.js';
import { SentenceTokenizer } from '../../tts/sentences.js';
import type { SynthesizedAudio, SynthesizeOptions, SynthesizeStream } from '../../tts/tts.js';
import { type ConnOptions, DEFAULT_CONN_OPTIONS, withRetries } from '../../provider/conn_options.js';
import { ProviderError } from '../../provider/provider_error.js';
import { EventChannel } from '../../streams/event_channel.js';
import { CLOSED, connect } from './connection.js';
import { fromSdkError } from './errors.js';
import { PcmFramer } from './pcm_framer.js';
import { type Request, type Segment, Session } from './session.js';
import type { CartesiaTTS } from './tts.js';

interface Attempt {
  session: Session;
  /** Settles when the session's segments are all done (or it fails). */
  running: Promise<void>;
}

interface SegmentState extends Segment {
  readonly framer: PcmFramer;
  chars: number;
  firstTextAt: number;
  firstAudioAt: number | undefined;
  audioMs: number;
  /** Some text of it went out. */
  sent: boolean;
  done: boolean;
  reported: boolean;
}

export class CartesiaSynthesizeStream implements SynthesizeStream {
  readonly #tts: CartesiaTTS;
  readonly #options: SynthesizeOptions;
  readonly #conn: ConnOptions;
  readonly #tokenizer = new SentenceTokenizer();
  readonly #out = new EventChannel<SynthesizedAudio>(() => void this.close());
  readonly #controller = new AbortController();
  readonly #segments: SegmentState[] = [];
  #current: SegmentState | undefined;
  /** What was sent, for a new connection to replay, until audio begins. */
  #replay: Request[] | undefined = [];
  #session: Session | undefined;
  #running: Promise<void> | undefined;
  #firstAudio: () => void = () => {};
  #audioStarted = false;
  #inputEnded = false;
  #closed = false;
  #closing: Promise<void> | undefined;
  readonly #abort = () => void this.close();

  constructor(tts: CartesiaTTS, options: SynthesizeOptions = {}) {
    this.#tts = tts;
    this.#options = options;
    this.#conn = { ...DEFAULT_CONN_OPTIONS, ...tts.options.conn, ...options.conn };
    if (options.signal?.aborted) void this.close();
    else options.signal?.addEventListener('abort', this.#abort, { once: true });
  }

  pushText(text: string): void {
    this.#assertOpen('pushText()');
    if (!text) return;
    const segment = (this.#current ??= this.#newSegment());
    segment.chars += text.length;
    for (const sentence of this.#tokenizer.push(text)) this.#send({ kind: 'text', segment, text: `${sentence} ` });
  }

  flush(): void {
    if (this.#closed || this.#inputEnded) return;
    const segment = this.#current;
    if (!segment) return;
    for (const sentence of this.#tokenizer.flush()) this.#send({ kind: 'text', segment, text: `${sentence} ` });
    if (segment.sent) this.#send({ kind: 'end', segment });
    this.#current = undefined;
  }

  endInput(): void {
    if (this.#closed || this.#inputEnded) return;
    this.flush();
    this.#inputEnded = true;
    this.#session?.endInput();
    if (!this.#running) this.#end();
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  [Symbol.asyncIterator](): AsyncIterator<SynthesizedAudio> {
    return this.#out[Symbol.asyncIterator]();
  }

  async #close(): Promise<void> {
    this.#closed = true;
    this.#options.signal?.removeEventListener('abort', this.#abort);
    this.#out.close();
    const session = this.#session;
    // Stops a connection or retry under way (an attempt's abort cancels its own session).
    this.#controller.abort(new ClosedError('the Cartesia synthesis stream', 'synthesis', 'closed'));
    await session?.cancel();
    for (const segment of this.#segments) if (!segment.done) this.#report(segment, true);
    await this.#running;
  }

  #assertOpen(call: string): void {
    if (this.#closed) throw new ClosedError('the Cartesia synthesis stream', call, 'closed');
    if (this.#inputEnded) throw new ClosedError('the Cartesia synthesis stream', call, 'ended (endInput was called)');
  }

  #newSegment(): SegmentState {
    return {
      id: newId('segment'),
      framer: new PcmFramer(this.#tts.sampleRate, this.#tts.numChannels),
      chars: 0,
      firstTextAt: performance.now(),
      firstAudioAt: undefined,
      audioMs: 0,
      sent: false,
      done: false,
      reported: false,
    };
  }

  #send(request: Request): void {
    const segment = request.segment as SegmentState;
    if (!segment.sent) {
      segment.sent = true;
      this.#segments.push(segment);
    }
    this.#replay?.push(request);
    this.#session?.send(request);
    this.#running ??= this.#run();
  }

  async #run(): Promise<void> {
    let attempt: Attempt;
    try {
      attempt = await withRetries(
        {
          provider: 'cartesia',
          conn: this.#conn,
          signal: this.#controller.signal,
          classify: fromSdkError,
          onRetry: (error) => this.#tts.emit('error', error),
        },
        (signal) => this.#attempt(signal),
      );
    } catch (error) {
      this.#session = undefined;
      if (!this.#closed) this.#fail(error instanceof ProviderError ? error : fromSdkError(error));
      return;
    }
    try {
      await attempt.running;
      this.#end();
    } catch (error) {
      if (this.#closed) return;
      const cause = error instanceof ProviderError ? error : fromSdkError(error);
      const detail = cause.message.replace(/^cartesia: /, '');
      this.#fail(new ProviderError('cartesia', false, `${detail}, after audio began (not replayed)`, { cause, status: cause.status }));
    } finally {
      attempt.session.connection.close();
    }
  }

  /**
   * Connects, replays what was sent, and waits for the first audio (or the end, if there is none).
   * The attempt's signal (timeout, or close) cancels what the server is generating and closes.
   */
  async #attempt(signal: AbortSignal): Promise<Attempt> {
    const connection = await connect(this.#tts.client, this.#tts.options, signal);
    const hooks = {
      audio: (segment: Segment, bytes: Uint8Array) => this.#audio(segment as SegmentState, bytes),
      segmentDone: (segment: Segment) => this.#segmentDone(segment as SegmentState),
    };
    const session = new Session(connection, this.#tts.contextOptions, hooks, this.#conn.timeoutMs);
    this.#session = session;
    for (const request of this.#replay ?? []) session.send(request);
    if (this.#inputEnded) session.endInput();
    const running = session.run();
    const firstAudio = new Promise<void>((resolve) => (this.#firstAudio = resolve));
    const abort = () => void session.cancel();
    signal.addEventListener('abort', abort, { once: true });
    if (signal.aborted) abort();
    try {
      await Promise.race([running, firstAudio]);
      return { session, running };
    } catch (error) {
      if (this.#session === session) this.#session = undefined;
      connection.close();
      throw error === CLOSED ? signal.reason : error;
    } finally {
      signal.removeEventListener('abort', abort);
    }
  }

  #audio(segment: SegmentState, bytes: Uint8Array): void {
    if (this.#closed || bytes.length === 0) return;
    if (!this.#audioStarted) {
      this.#audioStarted = true;
      this.#replay = undefined;
      this.#firstAudio();
    }
    segment.firstAudioAt ??= performance.now();
    for (const samples of segment.framer.push(bytes)) this.#emit(segment, samples, false);
  }

  #segmentDone(segment: SegmentState): void {
    if (this.#closed) return;
    const frames = segment.framer.end();
    frames.forEach((samples, index) => this.#emit(segment, samples, index === frames.length - 1));
    segment.done = true;
    this.#report(segment, false);
  }

  #emit(segment: SegmentState, samples: Int16Array, final: boolean): void {
    const frame = audioFrame(samples, this.#tts.sampleRate, this.#tts.numChannels);
    segment.audioMs += frameDurationMs(frame);
    this.#out.push({ frame, segmentId: segment.id, final });
  }

  /** The synthesis is complete: the iteration ends after the frames still queued. */
  #end(): void {
    this.#options.signal?.removeEventListener('abort', this.#abort);
    this.#out.end();
  }

  #fail(error: ProviderError): void {
    if (this.#closed) return;
    this.#options.signal?.removeEventListener('abort', this.#abort);
    this.#tts.emit('error', error);
    this.#out.fail(error);
  }

  #report(segment: SegmentState, cancelled: boolean): void {
    if (segment.reported) return;
    segment.reported = true;
    this.#tts.emit('metrics_collected', {
      type: 'tts_metrics',
      label: this.#tts.label,
      requestId: segment.id,
      ttfbMs: segment.firstAudioAt === undefined ? -1 : segment.firstAudioAt - segment.firstTextAt,
      durationMs: performance.now() - segment.firstTextAt,
      audioDurationMs: segment.audioMs,
      charactersCount: segment.chars,
      cancelled,
      timestamp: Date.now(),
    });
  }
}
