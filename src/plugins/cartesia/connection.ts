/**
 * One Cartesia TTS WebSocket (the SDK's TTSWS) and how it ends. The SDK itself never reports a
 * dropped connection to a reader (its `receive()` just waits), and would reopen a closed socket
 * on the next send; so the connection watches its socket, and `ended` rejects at the first
 * failure (a ProviderError) or when it is closed here (CLOSED). Nothing is sent once it ended.
 *
 * The SDK reads each frame in a socket listener of its own, outside any promise: what it throws
 * there (a `chunk` whose `data` is not a string makes its base64 decoding throw) would be an
 * uncaught exception that ends the process. So its listeners run guarded, and such a frame fails
 * this connection as malformed, like any other frame the client cannot use.
 */
import type { EventEmitter } from 'node:events';
import { describe } from '../../errors.js';
import type { ResolvedCartesiaOptions } from './options.js';
import { type Cartesia, TTSWS } from './sdk.js';
import { connectionLost, fromSdkError, malformed } from './errors.js';
import type { ProviderError } from '../../provider/provider_error.js';

/** Why `ended` rejected when the connection was closed on purpose. */
export const CLOSED: unique symbol = Symbol('closed');

const OPEN = 1;

export class Connection {
  /** Rejects when the connection fails (a ProviderError) or is closed here (CLOSED); never resolves. */
  readonly ended: Promise<never>;
  #reject!: (reason: unknown) => void;
  #over = false;
  #failure: ProviderError | undefined;

  constructor(readonly ws: TTSWS) {
    this.ended = new Promise<never>((_, reject) => {
      this.#reject = reject;
    });
    this.ended.catch(() => {});
    guardListeners(ws.socket as unknown as EventEmitter, 'message', (error) =>
      this.fail(malformed(`the SDK could not read a frame (${describe(error)})`, error)),
    );
    ws.on('error', (error) => this.fail(fromSdkError(error)));
    ws.socket.addEventListener('close', (event: { code?: number; reason?: string }) =>
      this.fail(connectionLost(`the socket closed (code ${event.code ?? 'unknown'}${event.reason ? `, ${event.reason}` : ''})`)),
    );
  }

  /** Whether requests can still be sent. */
  get open(): boolean {
    return !this.#over && this.ws.socket.readyState === OPEN;
  }

  /** The failure that ended it, if it failed. */
  get failure(): ProviderError | undefined {
    return this.#failure;
  }

  fail(error: ProviderError): void {
    if (this.#over) return;
    this.#over = true;
    this.#failure = error;
    this.#reject(error);
    (this.ws.socket as { terminate?: () => void }).terminate?.();
  }

  /** Closes the socket (a normal close, after whatever was sent). */
  close(): void {
    if (this.#over) return;
    this.#over = true;
    this.#reject(CLOSED);
    this.ws.close({ code: 1000, reason: 'done' });
  }
}

/**
 * Runs the `type` listeners already on `emitter` (the SDK's, on its `ws` socket) so that what one
 * throws goes to `onThrow` instead of up the socket's event loop.
 */
function guardListeners(emitter: EventEmitter, type: string, onThrow: (error: unknown) => void): void {
  for (const listener of emitter.listeners(type)) {
    emitter.removeListener(type, listener as (...args: unknown[]) => void);
    emitter.on(type, function (this: unknown, ...args: unknown[]) {
      try {
        (listener as (...args: unknown[]) => void).apply(this, args);
      } catch (error) {
        onThrow(error);
      }
    });
  }
}

/** Opens a connection; the attempt's signal (caller abort or timeout) closes it. */
export async function connect(client: Cartesia, options: ResolvedCartesiaOptions, signal: AbortSignal): Promise<Connection> {
  signal.throwIfAborted();
  const connection = new Connection(new TTSWS(client, { ...options.websocket }));
  const abort = () => connection.close();
  signal.addEventListener('abort', abort, { once: true });
  try {
    await Promise.race([connection.ws.connect(), connection.ended]);
    return connection;
  } catch (error) {
    connection.close();
    // The SDK's own rejection (a ws ErrorEvent) says less than the failure the connection saw.
    throw connection.failure ?? (error === CLOSED ? signal.reason : error);
  } finally {
    signal.removeEventListener('abort', abort);
  }
}
