/**
 * Text streams in a LocalRoom, as LiveKit delivers them: the sender opens a stream (its header
 * carries the id, topic, attributes and whom it is from), writes chunks and closes it; each
 * member reads its own copy, chunk by chunk as they are written, as livekit-client's
 * TextStreamReader does (`for await`, or readAll()).
 */
import { ClosedError } from '../errors.js';
import { EventChannel } from '../streams/event_channel.js';
import type { TextStreamInfo, TextStreamWriter } from './room.js';

/** A text stream as a receiver reads it. */
export class TextStreamReader implements AsyncIterable<string> {
  readonly #chunks = new EventChannel<string>();

  constructor(readonly info: TextStreamInfo) {}

  [Symbol.asyncIterator](): AsyncIterator<string> {
    return this.#chunks[Symbol.asyncIterator]();
  }

  /** The whole text, once the stream has ended. */
  async readAll(): Promise<string> {
    let text = '';
    for await (const chunk of this) text += chunk;
    return text;
  }

  /** @internal */
  _push(chunk: string): void {
    this.#chunks.push(chunk);
  }

  /** @internal */
  _end(): void {
    this.#chunks.end();
  }

  /** @internal */
  _fail(error: unknown): void {
    this.#chunks.fail(error);
  }
}

/** Where one receiver gets a stream's chunks. */
export interface TextStreamSink {
  push(chunk: string): void;
  end(): void;
  fail(error: unknown): void;
}

/** The sending end: what is written reaches every receiver the stream was opened to. */
export class LocalTextStreamWriter implements TextStreamWriter {
  #open = true;

  constructor(
    readonly info: TextStreamInfo,
    private readonly sinks: readonly TextStreamSink[],
    /** Called once the stream has ended, closed or failed. */
    private readonly ended: (writer: LocalTextStreamWriter) => void,
  ) {}

  async write(text: string): Promise<void> {
    if (typeof text !== 'string') throw new TypeError('a text stream takes strings');
    this.#check('write()');
    for (const sink of this.sinks) sink.push(text);
  }

  async close(): Promise<void> {
    this.#check('close()');
    this.#open = false;
    for (const sink of this.sinks) sink.end();
    this.ended(this);
  }

  /** @internal the room went away with the stream open: its receivers get `error`. */
  _fail(error: unknown): void {
    if (!this.#open) return;
    this.#open = false;
    for (const sink of this.sinks) sink.fail(error);
    this.ended(this);
  }

  #check(call: string): void {
    if (!this.#open) throw new ClosedError(`text stream ${this.info.streamId}`, call, 'closed');
  }
}
