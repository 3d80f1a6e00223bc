/**
 * A live recognition stream on Deepgram's listen v1 WebSocket.
 *
 * - Audio: each pushed frame is mixed down, resampled to the stream's rate and sent as linear16 in
 *   50 ms messages (as agents-js sends it; flush(), endInput() send the rest; close() drops what
 *   waits for its 50 ms). While no socket is open (connecting, reconnecting) it waits in a bounded
 *   buffer (see outgoing.ts for what happens beyond the bound) and goes out, in order, once one is.
 * - Events: SpeechStarted → start_of_speech; Results → interim_transcript / final_transcript (a
 *   non-empty transcript also starts speech if nothing did); `speech_final` (the endpoint) or
 *   UtteranceEnd → end_of_speech; Metadata (sent when Deepgram closes a request) → usage, with the
 *   duration Deepgram counted. A connection that ends without Metadata (a drop, close()) reports
 *   the audio sent on it instead. Each usage is also an STTMetrics on the model.
 * - flush() → the held audio, then Finalize (Deepgram answers with the final transcript of what it
 *   has); endInput() → the held audio, then CloseStream (Deepgram sends what is left, Metadata, and
 *   closes; the iteration then ends, after an end_of_speech if speech was still going on);
 *   close() → the socket is closed at once and the iteration ends; the caller's signal aborting
 *   does the same, and the iteration throws the signal's reason.
 * - A KeepAlive goes out whenever no audio did for keepAliveIntervalMs.
 * - Failures: connecting is retried by the ConnOptions (each failed attempt an `error` event,
 *   recoverable). A connection that drops is reported (recoverable) and reopened by the
 *   ReconnectPolicy: at once the first time, then with a growing wait; more than maxRetry drops
 *   within its window fail the stream, however many good messages came in between (a server that
 *   answers once and closes every connection must not be hammered). A malformed message is
 *   reported (recoverable) and skipped; 5 in a row and the connection counts as broken (a drop). A
 *   close for a policy violation (1003, 1008) is not retried. The final failure is an
 *   unrecoverable ProviderError: an `error` event, and thrown by the iteration. Audio that was sent
 *   on a connection that then dropped is not sent again; so once the input has ended, a drop with
 *   no audio left to send ends the stream rather than opening a connection only to close it.
 * - After CloseStream, a server that does not close within timeoutMs is closed on (a recoverable
 *   `error` event) and the iteration ends.
 */
import { randomUUID } from 'node:crypto';
import type { DeepgramClient } from '@deepgram/sdk';
import type { AudioFrame } from '../../audio/audio_frame.js';
import { PcmChunks } from '../../audio/pcm_chunks.js';
import { ClosedError, describe } from '../../errors.js';
import { EventChannel } from '../../streams/event_channel.js';
import type { SpeechEvent, SpeechStream } from '../../stt/stt.js';
import { DEFAULT_CONN_OPTIONS, RECONNECT_WINDOW_MS, ReconnectPolicy, sleep, withRetries, type ConnOptions } from '../../provider/conn_options.js';
import type { STTMetrics } from '../../provider/metrics.js';
import { ProviderError } from '../../provider/provider_error.js';
import { durationMs, Linear16Encoder } from './audio_input.js';
import { LiveConnection } from './connection.js';
import { classifyDeepgramError, isFatalCloseCode } from './errors.js';
import { MalformedMessage, parseLiveMessage, type LiveMessage } from './messages.js';
import { liveQuery, PROVIDER, type ResolvedOptions } from './options.js';
import { OutgoingBuffer, type Outgoing } from './outgoing.js';

/** Malformed messages in a row after which a connection counts as broken. */
export const MAX_MALFORMED_IN_A_ROW = 5;

export interface LiveStreamParams {
  /** The SDK client (made, with the SDK loaded, on first use). */
  client: () => Promise<DeepgramClient>;
  options: ResolvedOptions;
  language: string;
  conn: Partial<ConnOptions> | undefined;
  signal: AbortSignal | undefined;
  label: string;
  /** The model's `error` and `metrics_collected`. */
  onError: (error: ProviderError) => void;
  onMetrics: (metrics: STTMetrics) => void;
}

export class DeepgramSpeechStream implements SpeechStream {
  readonly #p: LiveStreamParams;
  readonly #conn: ConnOptions;
  readonly #events = new EventChannel<SpeechEvent>(() => void this.close());
  readonly #encoder: Linear16Encoder;
  /** The audio goes out in 50 ms messages, as agents-js's plugin sends it (a message per 10 or 20 ms frame costs a write each). */
  readonly #chunks: PcmChunks;
  readonly #pending: OutgoingBuffer;
  /** Aborted by close() or by the caller's signal: stops connecting and closes the socket. */
  readonly #stop = new AbortController();
  readonly #localId = randomUUID();
  readonly #keepAlive: ReturnType<typeof setInterval>;
  readonly #finished: Promise<void>;
  #connection: LiveConnection | undefined;
  #inputEnded = false;
  #closed = false;
  #failed = false;
  #speaking = false;
  /** Audio pushed so far (ms at the stream's rate): the stream position of the next audio. */
  #positionMs = 0;
  #audioSinceKeepAlive = false;
  readonly #reconnects: ReconnectPolicy;

  constructor(params: LiveStreamParams) {
    this.#p = params;
    this.#conn = { ...DEFAULT_CONN_OPTIONS, ...params.options.conn, ...params.conn };
    this.#reconnects = new ReconnectPolicy(this.#conn);
    this.#encoder = new Linear16Encoder(params.options.sampleRate);
    this.#chunks = new PcmChunks(Math.floor(params.options.sampleRate / 20), (pcm) => this.#sendAudio(pcm));
    this.#pending = new OutgoingBuffer(params.options.maxBufferedAudioMs);
    this.#keepAlive = setInterval(() => this.#tick(), params.options.keepAliveIntervalMs);
    this.#keepAlive.unref?.();
    params.signal?.addEventListener('abort', this.#onAbort, { once: true });
    if (params.signal?.aborted) this.#onAbort();
    this.#finished = this.#run();
  }

  pushFrame(frame: AudioFrame): void {
    this.#assertWritable('pushFrame');
    this.#chunks.push(this.#encoder.encode(frame));
  }

  /** Sends the audio held back (the last part of a chunk, what the resampler holds), then Finalize. */
  flush(): void {
    this.#assertWritable('flush');
    this.#sendHeldAudio();
    this.#send({ kind: 'Finalize' });
  }

  endInput(): void {
    if (this.#inputEnded || this.#closed) return;
    this.#sendHeldAudio();
    this.#inputEnded = true;
    this.#send({ kind: 'CloseStream' });
  }

  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#pending.clear();
      this.#events.close();
      this.#stop.abort(new ClosedError('the Deepgram speech stream', 'connecting', 'closed'));
    }
    await this.#finished;
  }

  [Symbol.asyncIterator](): AsyncIterator<SpeechEvent> {
    return this.#events[Symbol.asyncIterator]();
  }

  readonly #onAbort = (): void => {
    if (this.#closed || this.#stop.signal.aborted) return;
    this.#stop.abort(this.#p.signal?.reason);
  };

  #assertWritable(call: string): void {
    if (this.#closed || this.#stop.signal.aborted) throw new ClosedError('the Deepgram speech stream', call, 'closed');
    if (this.#failed) throw new ClosedError('the Deepgram speech stream', call, 'failed');
    if (this.#inputEnded) throw new ClosedError('the Deepgram speech stream', call, 'ended (endInput was called)');
  }

  #sendHeldAudio(): void {
    this.#chunks.push(this.#encoder.flush());
    this.#chunks.flush();
  }

  #sendAudio(pcm: Int16Array): void {
    const ms = durationMs(pcm.length, this.#p.options.sampleRate);
    this.#send({ kind: 'audio', pcm, startMs: this.#positionMs, durationMs: ms });
    this.#positionMs += ms;
  }

  #send(item: Outgoing): void {
    const connection = this.#connection;
    if (connection && this.#pending.size === 0 && connection.trySend(item)) {
      if (item.kind === 'audio') this.#audioSinceKeepAlive = true;
      return;
    }
    this.#pending.push(item);
  }

  /** Sends what waited for a socket, in order; reports audio the buffer had to drop. */
  #sendPending(connection: LiveConnection): void {
    for (let item = this.#pending.peek(); item; item = this.#pending.peek()) {
      if (!connection.trySend(item)) break;
      if (item.kind === 'audio') this.#audioSinceKeepAlive = true;
      this.#pending.shift();
    }
    const dropped = this.#pending.takeDroppedMs();
    if (dropped > 0) {
      this.#p.onError(
        new ProviderError(
          PROVIDER,
          true,
          `${Math.round(dropped)} ms of audio did not fit the ${this.#p.options.maxBufferedAudioMs} ms buffer kept while connecting and were dropped (the oldest first)`,
        ),
      );
    }
  }

  #tick(): void {
    const connection = this.#connection;
    if (connection && !connection.closeStreamSent && !this.#audioSinceKeepAlive) connection.trySend({ kind: 'KeepAlive' });
    this.#audioSinceKeepAlive = false;
  }

  async #run(): Promise<void> {
    try {
      while (!this.#stop.signal.aborted && !this.#nothingLeftToSend()) {
        const connection = await this.#connect();
        this.#connection = connection;
        this.#sendPending(connection);
        const closed = await connection.closed;
        this.#connection = undefined;
        this.#reportUnaccountedUsage(connection);
        if (this.#stop.signal.aborted) break;
        if (connection.closeStreamSent) {
          if (closed.abandoned !== undefined) this.#p.onError(new ProviderError(PROVIDER, true, closed.abandoned));
          break;
        }
        const why = closed.abandoned ?? `the connection dropped (code ${closed.code}${closed.reason ? `: ${closed.reason}` : ''})`;
        if (closed.abandoned === undefined && isFatalCloseCode(closed.code)) {
          throw new ProviderError(PROVIDER, false, `Deepgram closed the connection (code ${closed.code}${closed.reason ? `: ${closed.reason}` : ''})`);
        }
        if (this.#nothingLeftToSend()) {
          this.#p.onError(new ProviderError(PROVIDER, true, `${why} after the input had ended; the stream ends`));
          break;
        }
        const wait = this.#reconnects.drop();
        if (wait === undefined) {
          const drops = this.#reconnects.recentDrops;
          throw new ProviderError(PROVIDER, false, `${why} — ${drops} broken connections within ${RECONNECT_WINDOW_MS / 1000} s, giving up`);
        }
        this.#p.onError(new ProviderError(PROVIDER, true, `${why}; reconnecting${wait > 0 ? ` in ${wait} ms` : ''}`));
        await sleep(wait, this.#stop.signal);
      }
      if (this.#stop.signal.aborted && !this.#closed) throw this.#stop.signal.reason;
      // Deepgram need not mark the last words as an endpoint: the speech ends with the stream.
      this.#endSpeech();
      this.#events.end();
    } catch (error) {
      this.#failed = true;
      if (this.#closed) return;
      if (this.#stop.signal.aborted) {
        this.#events.fail(this.#stop.signal.reason);
        return;
      }
      // withRetries and the loop throw unrecoverable ProviderErrors; anything else is a bug of ours.
      const failure =
        error instanceof ProviderError && !error.recoverable
          ? error
          : new ProviderError(PROVIDER, false, `the stream failed: ${describe(error)}`, { cause: error });
      this.#p.onError(failure);
      this.#events.fail(failure);
    } finally {
      clearInterval(this.#keepAlive);
      this.#p.signal?.removeEventListener('abort', this.#onAbort);
      this.#connection?.close();
      this.#connection = undefined;
      this.#pending.clear();
    }
  }

  /** The input has ended and no audio waits for a connection: a new one would only be closed. */
  #nothingLeftToSend(): boolean {
    return this.#inputEnded && this.#pending.audioMs === 0;
  }

  #connect(): Promise<LiveConnection> {
    const { options, language, client } = this.#p;
    // The SDK's own timeout is set past ours, so that ours (an abort of the attempt) decides.
    const args = { ...liveQuery(options, language), connectionTimeoutInSeconds: (this.#conn.timeoutMs + 1000) / 1000 };
    return withRetries(
      {
        provider: PROVIDER,
        conn: this.#conn,
        signal: this.#stop.signal,
        classify: classifyDeepgramError,
        onRetry: (error) => this.#p.onError(error),
      },
      async (signal) =>
        LiveConnection.open(await client(), args, signal, {
          closeTimeoutMs: this.#conn.timeoutMs,
          onMessage: (connection, message) => this.#onMessage(connection, message),
        }),
    );
  }

  #onMessage(connection: LiveConnection, raw: unknown): void {
    let message: LiveMessage;
    try {
      message = parseLiveMessage(raw, this.#p.language, connection.offsetMs ?? 0);
    } catch (error) {
      if (!(error instanceof MalformedMessage)) throw error;
      connection.malformed += 1;
      this.#p.onError(new ProviderError(PROVIDER, true, `malformed message from Deepgram, skipped: ${error.message}`, { cause: error }));
      if (connection.malformed >= MAX_MALFORMED_IN_A_ROW) connection.abandon(`${connection.malformed} malformed messages in a row`);
      return;
    }
    connection.malformed = 0;
    if (message.type !== 'SpeechStarted' && message.type !== 'UtteranceEnd') connection.requestId ??= message.requestId;
    switch (message.type) {
      case 'SpeechStarted':
        this.#startSpeech();
        break;
      case 'Results': {
        if (message.alternatives.length > 0 && message.alternatives[0]!.text !== '') {
          this.#startSpeech();
          this.#events.push({ type: message.isFinal ? 'final_transcript' : 'interim_transcript', alternatives: message.alternatives });
        }
        if (message.speechFinal) this.#endSpeech();
        break;
      }
      case 'UtteranceEnd':
        this.#endSpeech();
        break;
      case 'Metadata':
        connection.accounted = true;
        this.#usage(message.durationMs, message.requestId ?? connection.requestId);
        break;
    }
  }

  #startSpeech(): void {
    if (this.#speaking) return;
    this.#speaking = true;
    this.#events.push({ type: 'start_of_speech' });
  }

  #endSpeech(): void {
    if (!this.#speaking) return;
    this.#speaking = false;
    this.#events.push({ type: 'end_of_speech' });
  }

  #reportUnaccountedUsage(connection: LiveConnection): void {
    if (!connection.accounted && connection.sentMs > 0) this.#usage(connection.sentMs, connection.requestId);
  }

  #usage(audioDurationMs: number, requestId: string | undefined): void {
    this.#events.push({ type: 'usage', audioDurationMs });
    this.#p.onMetrics({
      type: 'stt_metrics',
      label: this.#p.label,
      requestId: requestId ?? this.#localId,
      audioDurationMs,
      durationMs: 0,
      streamed: true,
      timestamp: Date.now(),
    });
  }
}
