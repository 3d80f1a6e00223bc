/**
 * One response of the Realtime API as it arrives: its messages (each a text and an audio stream)
 * and its function calls, pushed as the server's deltas come and ended with `response.done`.
 */
import { audioFrame, type AudioFrame } from '../../../audio/audio_frame.js';
import { newId } from '../../../ids.js';
import type { FunctionCall } from '../../../llm/chat_context.js';
import type { GenerationCreatedEvent, MessageGeneration } from '../../../llm/realtime.js';
import { EventChannel } from '../../../streams/event_channel.js';

/** The API's audio: 24 kHz, mono, 16-bit little-endian PCM. */
export const REALTIME_SAMPLE_RATE = 24_000;

interface Message {
  text: EventChannel<string>;
  audio: EventChannel<AudioFrame>;
}

export class Generation {
  readonly #messages = new EventChannel<MessageGeneration>();
  readonly #functions = new EventChannel<FunctionCall>();
  readonly #byItem = new Map<string, Message>();
  readonly event: GenerationCreatedEvent;
  readonly startedAt = performance.now();
  /** When its first audio (or text) came. */
  firstOutputAt: number | undefined;

  constructor(
    readonly responseId: string,
    userInitiated: boolean,
  ) {
    this.event = { responseId, messageStream: this.#messages, functionStream: this.#functions, userInitiated };
  }

  /** A message item began. */
  addMessage(itemId: string): void {
    if (this.#byItem.has(itemId)) return;
    const message: Message = { text: new EventChannel(), audio: new EventChannel() };
    this.#byItem.set(itemId, message);
    this.#messages.push({ messageId: itemId, textStream: message.text, audioStream: message.audio });
  }

  pushText(itemId: string, delta: string): void {
    this.firstOutputAt ??= performance.now();
    this.#message(itemId).text.push(delta);
  }

  /** A base64 audio delta, as one frame. */
  pushAudio(itemId: string, base64: string): void {
    this.firstOutputAt ??= performance.now();
    const bytes = Buffer.from(base64, 'base64');
    // A copy, aligned for Int16Array (a Buffer from base64 may start at an odd offset of its pool).
    const samples = new Int16Array(bytes.length >> 1);
    for (let i = 0; i < samples.length; i++) samples[i] = bytes.readInt16LE(i * 2);
    this.#message(itemId).audio.push(audioFrame(samples, REALTIME_SAMPLE_RATE));
  }

  /** The message's text or audio is complete. */
  endText(itemId: string): void {
    this.#byItem.get(itemId)?.text.end();
  }

  endAudio(itemId: string): void {
    this.#byItem.get(itemId)?.audio.end();
  }

  addFunctionCall(call: { callId: string; name: string; arguments: string }): void {
    this.#functions.push({ type: 'function_call', id: newId('item'), ...call, createdAt: Date.now() });
  }

  /** The response is done (completed, cancelled or failed): every stream ends. */
  end(): void {
    for (const { text, audio } of this.#byItem.values()) {
      text.end();
      audio.end();
    }
    this.#messages.end();
    this.#functions.end();
  }

  /** The connection went away mid-response: every stream fails with `error` after what it had. */
  fail(error: unknown): void {
    for (const { text, audio } of this.#byItem.values()) {
      text.fail(error);
      audio.fail(error);
    }
    this.#messages.fail(error);
    this.#functions.fail(error);
  }

  // A delta for an item the server did not announce: taken as a message of its own.
  #message(itemId: string): Message {
    if (!this.#byItem.has(itemId)) this.addMessage(itemId);
    return this.#byItem.get(itemId)!;
  }
}
