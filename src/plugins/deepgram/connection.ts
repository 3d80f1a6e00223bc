/**
 * One WebSocket connection to Deepgram's live endpoint, through the SDK (`listen.v1.connect`), and
 * what the stream knows about it: where its audio starts in the stream, how much went out, its
 * request id, whether CloseStream was sent, how it closed.
 *
 * How the SDK reports things (5.13, with `reconnectAttempts: 0`): an upgrade refused with an HTTP
 * status is a `close` (code 1000) at once followed by an `error` "Unexpected server response: N"; a
 * connection that drops is a `close` with the peer's code (1006 for a lost TCP connection), no
 * error; a socket error after the connection opened is a `close` (code 1000) followed at once by
 * the `error`; `close()` (and an abort of the signal given to connect) is a `close` with code 1000.
 *
 * Once CloseStream went out, Deepgram is to send what is left and close: a connection that it has
 * not closed within `closeTimeoutMs` closes itself (abandoned), so a server that never answers
 * CloseStream cannot hold the stream.
 */
import type { DeepgramClient } from '@deepgram/sdk';
import { linear16Bytes } from './audio_input.js';
import type { ListenSocket } from './client.js';
import type { Outgoing } from './outgoing.js';

export interface CloseInfo {
  code: number;
  reason: string;
  /** Why the stream closed it itself (malformed messages), if it did. */
  abandoned?: string;
}

type ConnectArgs = Parameters<DeepgramClient['listen']['v1']['connect']>[0];

export class LiveConnection {
  /** Where this connection's first audio sits in the stream (ms); Deepgram's times count from it. */
  offsetMs: number | undefined;
  /** Audio sent on this connection (ms). */
  sentMs = 0;
  closeStreamSent = false;
  /** Whether Deepgram's Metadata reported this connection's usage. */
  accounted = false;
  requestId: string | undefined;
  /** Malformed messages in a row. */
  malformed = 0;
  readonly closed: Promise<CloseInfo>;
  #resolveClosed!: (info: CloseInfo) => void;
  #abandoned: string | undefined;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;

  private constructor(
    readonly socket: ListenSocket,
    private readonly closeTimeoutMs: number,
  ) {
    this.closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    void this.closed.then(() => clearTimeout(this.#closeTimer));
  }

  /**
   * Connects; resolves once the socket is open, rejects with what the SDK reported (or the
   * signal's reason). `onMessage` gets every message from the moment the socket opens.
   */
  static async open(
    client: DeepgramClient,
    args: ConnectArgs,
    signal: AbortSignal,
    options: { closeTimeoutMs: number; onMessage: (connection: LiveConnection, message: unknown) => void },
  ): Promise<LiveConnection> {
    const { onMessage } = options;
    const socket = await client.listen.v1.connect({ ...args, reconnectAttempts: 0, abortSignal: signal });
    signal.throwIfAborted();
    const connection = new LiveConnection(socket, options.closeTimeoutMs);
    return new Promise((resolve, reject) => {
      let opened = false;
      let failed = false;
      let lastError: string | undefined;
      const fail = (error: unknown) => {
        if (opened || failed) return;
        failed = true;
        signal.removeEventListener('abort', onAbort);
        reject(error);
      };
      // The SDK closes the socket itself when the signal aborts.
      const onAbort = () => fail(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      socket.on('open', () => {
        if (failed) return;
        opened = true;
        signal.removeEventListener('abort', onAbort);
        resolve(connection);
      });
      socket.on('message', (message) => {
        if (opened) onMessage(connection, message);
      });
      socket.on('error', (error) => {
        if (opened) {
          lastError = error.message;
        } else {
          fail(error);
          socket.close();
        }
      });
      socket.on('close', (event) => {
        if (opened) {
          // A socket error is reported as a close (1000) followed at once by the error: wait for it.
          queueMicrotask(() => {
            const info = { code: event.code, reason: event.reason || lastError || '' };
            connection.#resolveClosed(connection.#abandoned === undefined ? info : { ...info, abandoned: connection.#abandoned });
          });
        } else {
          // A refused upgrade: the error that says why comes right after this close.
          queueMicrotask(() => fail(new Error(`the connection closed before it opened (code ${event.code})`)));
        }
      });
      socket.connect();
    });
  }

  get isOpen(): boolean {
    return this.socket.readyState === this.socket.socket.OPEN;
  }

  /** Sends `item`; false when the socket is no longer open (the item was not sent). */
  trySend(item: Outgoing): boolean {
    if (!this.isOpen) return false;
    try {
      if (item.kind === 'audio') {
        this.socket.sendMedia(linear16Bytes(item.pcm));
        this.offsetMs ??= item.startMs;
        this.sentMs += item.durationMs;
      } else if (item.kind === 'Finalize') {
        this.socket.sendFinalize({ type: 'Finalize' });
      } else if (item.kind === 'KeepAlive') {
        this.socket.sendKeepAlive({ type: 'KeepAlive' });
      } else {
        this.socket.sendCloseStream({ type: 'CloseStream' });
        this.closeStreamSent = true;
        this.#closeTimer = setTimeout(
          () => this.abandon(`Deepgram did not close the stream within ${this.closeTimeoutMs} ms of CloseStream`),
          this.closeTimeoutMs,
        );
      }
      return true;
    } catch {
      // Closed between the check and the send: the caller keeps the item for the next connection.
      return false;
    }
  }

  /** Closes the socket; `closed` then says why. */
  abandon(why: string): void {
    this.#abandoned ??= why;
    this.close();
  }

  close(): void {
    this.socket.close();
  }
}
