/**
 * What a live stream has to send while it has no open socket (before the first connection, and
 * while it reconnects after a drop): audio and control messages, in order, sent as soon as a socket
 * opens. The audio kept is bounded by `maxAudioMs`. Beyond the bound the OLDEST audio is dropped
 * (control messages are always kept): the user's latest words matter most to a voice agent, and
 * memory stays bounded however long the provider is away. Dropped audio is never silent: the amount
 * is counted here, and the stream reports it as an `error` event (recoverable) when it sends the
 * rest; and if the provider never comes back the stream fails with an unrecoverable error anyway.
 */
export type Outgoing =
  | { kind: 'audio'; pcm: Int16Array; /** position in the stream */ startMs: number; durationMs: number }
  | { kind: 'Finalize' }
  | { kind: 'CloseStream' }
  | { kind: 'KeepAlive' };

export class OutgoingBuffer {
  #items: Outgoing[] = [];
  #audioMs = 0;
  #droppedMs = 0;

  constructor(readonly maxAudioMs: number) {}

  get size(): number {
    return this.#items.length;
  }

  /** Audio held, in ms. */
  get audioMs(): number {
    return this.#audioMs;
  }

  push(item: Outgoing): void {
    this.#items.push(item);
    if (item.kind !== 'audio') return;
    this.#audioMs += item.durationMs;
    while (this.#audioMs > this.maxAudioMs + 1e-9) {
      const oldest = this.#items.findIndex((candidate) => candidate.kind === 'audio');
      const [dropped] = this.#items.splice(oldest, 1) as [Extract<Outgoing, { kind: 'audio' }>];
      this.#audioMs -= dropped.durationMs;
      this.#droppedMs += dropped.durationMs;
    }
  }

  peek(): Outgoing | undefined {
    return this.#items[0];
  }

  shift(): void {
    const item = this.#items.shift();
    if (item?.kind === 'audio') this.#audioMs -= item.durationMs;
  }

  /** Audio dropped since the last call, in ms. */
  takeDroppedMs(): number {
    const dropped = this.#droppedMs;
    this.#droppedMs = 0;
    return dropped;
  }

  clear(): void {
    this.#items = [];
    this.#audioMs = 0;
  }
}
