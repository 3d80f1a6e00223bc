/** A WebSocket client for tests of our servers: it records every frame it receives. */
import { WebSocket } from 'ws';

export class RecordingSocket<M> {
  /** The frames as received, text. */
  readonly frames: string[] = [];
  /** Resolves with the close code. */
  readonly closed: Promise<number>;
  #waiters: Array<() => void> = [];

  private constructor(
    readonly socket: WebSocket,
    private readonly parse: (frame: string) => M[],
  ) {
    socket.on('message', (data) => {
      this.frames.push(data.toString());
      for (const check of [...this.#waiters]) check();
    });
    this.closed = new Promise((resolve) => socket.once('close', (code) => resolve(code)));
  }

  /** Connects to `url`; rejects if the server refuses the upgrade. `parse` turns a frame into its messages. */
  static open<M>(url: string, parse: (frame: string) => M[], origin?: string): Promise<RecordingSocket<M>> {
    const socket = new WebSocket(url, origin === undefined ? {} : { origin });
    const recording = new RecordingSocket(socket, parse);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(recording));
      socket.once('error', reject);
    });
  }

  /** Every message received so far, in order. */
  get messages(): M[] {
    return this.frames.flatMap((frame) => this.parse(frame));
  }

  /** Resolves as soon as a received message satisfies `predicate` (no polling, no sleeping). */
  until<T extends M>(predicate: (message: M) => message is T): Promise<T>;
  until(predicate: (message: M) => boolean): Promise<M>;
  until(predicate: (message: M) => boolean): Promise<M> {
    return new Promise((resolve) => {
      const check = () => {
        const found = this.messages.find(predicate);
        if (!found) return;
        this.#waiters = this.#waiters.filter((waiter) => waiter !== check);
        resolve(found);
      };
      this.#waiters.push(check);
      check();
    });
  }

  close(): void {
    this.socket.terminate();
  }
}
