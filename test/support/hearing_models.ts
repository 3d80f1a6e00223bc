/**
 * Speech models that hear what the test says they hear: every open stream gets it, whatever audio
 * the session pushes (it is ignored). They stand in for a VAD and an STT where a test decides what
 * the user said and when, as the session's events and not as audio.
 */
import { Model } from '../../src/provider/model.js';
import type { SpeechData, SpeechEvent, SpeechStream, STT } from '../../src/stt/stt.js';
import type { VAD, VADEvent, VADStream } from '../../src/vad/vad.js';

/** Streams of events the test pushes: each open stream gets them, until it is closed. */
class Heard<T> {
  readonly #streams = new Set<{ events: T[]; wake: () => void; closed: boolean }>();

  open(): AsyncIterable<T> & { pushFrame(): void; flush(): void; endInput(): void; close(): Promise<void> } {
    const open = { events: [] as T[], wake: () => {}, closed: false };
    this.#streams.add(open);
    const close = async () => {
      open.closed = true;
      this.#streams.delete(open);
      open.wake();
    };
    return {
      async *[Symbol.asyncIterator]() {
        for (;;) {
          const event = open.events.shift();
          if (event) yield event;
          else if (open.closed) return;
          else await new Promise<void>((resolve) => (open.wake = resolve));
        }
      },
      pushFrame: () => {},
      flush: () => {},
      endInput: () => void close(),
      close,
    };
  }

  push(event: T): void {
    for (const open of this.#streams) {
      open.events.push(event);
      open.wake();
    }
  }
}

/** An STT that hears what the test says it hears. */
export class HearingSTT extends Model implements STT {
  readonly label = 'test/stt';
  readonly capabilities = { streaming: true, interimResults: true };
  readonly #heard = new Heard<SpeechEvent>();

  async recognize(): Promise<SpeechData> {
    return { text: '' };
  }

  stream(): SpeechStream {
    return this.#heard.open();
  }

  hear(event: SpeechEvent): void {
    this.#heard.push(event);
  }
}

/** A VAD that detects what the test says it detects. */
export class HearingVAD extends Model implements VAD {
  readonly label = 'test/vad';
  readonly options = { minSpeechDurationMs: 50, minSilenceDurationMs: 550, prefixPaddingDurationMs: 500, activationThreshold: 0.5, deactivationThreshold: 0.35, maxBufferedSpeechMs: 60_000, sampleRate: 16_000 } as const;
  readonly #heard = new Heard<VADEvent>();

  stream(): VADStream {
    return this.#heard.open();
  }

  /** The user starts speaking, goes on speaking (`speechDurationMs` so far), or stops. */
  hear(type: VADEvent['type'], speechDurationMs = 0): void {
    this.#heard.push({ type, timestampMs: 0, speechDurationMs, silenceDurationMs: 0, probability: 1, speaking: type !== 'end_of_speech', inferenceDurationMs: 0, frames: [] });
  }
}
