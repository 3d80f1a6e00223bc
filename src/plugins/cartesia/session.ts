/**
 * The synthesis on one connection: each segment of text is one Cartesia context (its sentences
 * pushed with continue:true, its end sent as continue:false), and the contexts' answers are read
 * in segment order, so audio comes out in the order the text went in even though the server
 * works on several contexts at once.
 *
 * Once a segment's end has gone out, the server owes the rest of its audio and its `done`: from
 * then on, `silenceTimeoutMs` without a message for that segment fails the session (before that,
 * its silence may only mean it waits for more text, which may be slow to come from an LLM).
 */
import { Buffer } from 'node:buffer';
import type { Connection } from './connection.js';
import { connectionLost, fromSdkError, malformed, noAnswer, serverError } from './errors.js';
import type { TTSWSContext } from './sdk.js';

/** A segment of the stream (one flush): the same object across reconnections. */
export interface Segment {
  readonly id: string;
}

export type Request = { kind: 'text'; segment: Segment; text: string } | { kind: 'end'; segment: Segment };

export interface SessionHooks {
  audio(segment: Segment, bytes: Uint8Array): void;
  segmentDone(segment: Segment): void;
}

export type ContextOptions = Parameters<Connection['ws']['context']>[0];

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

interface Entry {
  context: TTSWSContext;
  done: boolean;
  /** Its end went out: the server owes the rest. */
  ended: boolean;
  /** Called when its end goes out, by whoever waits for it. */
  onEnded?: () => void;
}

export class Session {
  readonly #contexts = new Map<Segment, Entry>();
  readonly #order: Segment[] = [];
  #inputEnded = false;
  #wake: () => void = () => {};
  #sending: Promise<void> = Promise.resolve();
  #cancelling: Promise<void> | undefined;

  constructor(
    readonly connection: Connection,
    private readonly contextOptions: ContextOptions,
    private readonly hooks: SessionHooks,
    private readonly silenceTimeoutMs: number,
  ) {}

  /** Sends a request, after the ones before it; nothing is sent once the connection ended. */
  send(request: Request): void {
    let entry = this.#contexts.get(request.segment);
    if (!entry) {
      entry = { context: this.connection.ws.context(this.contextOptions), done: false, ended: false };
      this.#contexts.set(request.segment, entry);
      this.#order.push(request.segment);
      this.#wake();
    }
    const sent = entry;
    this.#sending = this.#sending
      .then(async () => {
        if (!this.connection.open) return;
        if (request.kind === 'text') {
          await sent.context.push({ transcript: request.text });
          return;
        }
        await sent.context.no_more_inputs();
        sent.ended = true;
        sent.onEnded?.();
      })
      .catch((error: unknown) => this.connection.fail(fromSdkError(error)));
  }

  /** No segment will follow the ones sent: `run` ends when they are done. */
  endInput(): void {
    this.#inputEnded = true;
    this.#wake();
  }

  /** Reads the segments' audio in order until the input ended and every segment is done. */
  async run(): Promise<void> {
    for (let index = 0; ; index++) {
      while (index >= this.#order.length && !this.#inputEnded) {
        await Promise.race([new Promise<void>((resolve) => (this.#wake = resolve)), this.connection.ended]);
      }
      const segment = this.#order[index];
      if (!segment) return;
      await this.#receive(segment);
    }
  }

  /** Cancels the contexts still speaking (the server stops generating), then closes. */
  cancel(): Promise<void> {
    this.#cancelling ??= this.#cancel();
    return this.#cancelling;
  }

  async #cancel(): Promise<void> {
    await this.#sending;
    for (const entry of this.#contexts.values()) {
      if (!entry.done && this.connection.open) await entry.context.cancel();
    }
    this.connection.close();
  }

  async #receive(segment: Segment): Promise<void> {
    const entry = this.#contexts.get(segment)!;
    const events = entry.context.receive();
    for (;;) {
      const next = await this.#owedWithin(entry, Promise.race([events.next(), this.connection.ended]));
      if (next.done) throw connectionLost('the context was dropped before it was done');
      const event = next.value;
      if (event.type === 'chunk') this.hooks.audio(segment, decodeAudio(event.data));
      else if (event.type === 'error') throw serverError(event);
      else if (event.type === 'done') {
        entry.done = true;
        this.hooks.segmentDone(segment);
        return;
      }
    }
  }

  /**
   * `pending`, unless the segment's end has gone out (or goes out meanwhile) and `silenceTimeoutMs`
   * pass first: then a recoverable "no answer" error.
   */
  async #owedWithin<T>(entry: Entry, pending: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const silence = new Promise<never>((_, reject) => {
      const start = () => {
        timer = setTimeout(() => reject(noAnswer(this.silenceTimeoutMs)), this.silenceTimeoutMs);
      };
      if (entry.ended) start();
      else entry.onEnded = start;
    });
    try {
      return await Promise.race([pending, silence]);
    } finally {
      clearTimeout(timer);
      entry.onEnded = undefined;
    }
  }
}

/** The chunk's audio; anything but well-formed base64 of whole 16-bit samples is malformed. */
function decodeAudio(data: unknown): Uint8Array {
  if (typeof data !== 'string' || data.length % 4 !== 0 || !BASE64.test(data)) throw malformed('audio chunk is not base64');
  const bytes = Buffer.from(data, 'base64');
  if (bytes.length % 2 !== 0) throw malformed(`audio chunk of ${bytes.length} bytes is not whole 16-bit samples`);
  return bytes;
}
