/**
 * The speech queue of a session: one speech holds the output at a time, the highest priority
 * first and equal priorities in order. A speech releases the output once it has played; its tools
 * may still run after that, so a tool that says something, or drains the session, is heard
 * instead of waiting behind itself.
 */
import type { SpeechHandle } from './speech_handle.js';

export type SpeechTask = (speech: SpeechHandle) => Promise<void>;

export class SpeechScheduler {
  readonly #queue: Array<{ speech: SpeechHandle; task: SpeechTask }> = [];
  readonly #live = new Set<SpeechHandle>();
  readonly #waiters = new Set<() => void>();
  #current: SpeechHandle | undefined;
  #open = false;

  constructor(
    private readonly onChange: () => void,
    private readonly onTaskError: (speech: SpeechHandle, error: unknown) => void,
  ) {}

  /** The speech holding the output. */
  get current(): SpeechHandle | undefined {
    return this.#current;
  }

  /** Speeches not yet ended: queued, playing, or running their tools. */
  get live(): ReadonlySet<SpeechHandle> {
    return this.#live;
  }

  /** Starts handing out the output (the session is running). */
  open(): void {
    this.#open = true;
    this.#pump();
  }

  add(speech: SpeechHandle, task: SpeechTask): void {
    this.#live.add(speech);
    speech.addDoneCallback(() => {
      this.#live.delete(speech);
      this.#settle();
      this.onChange();
    });
    const at = this.#queue.findIndex((queued) => queued.speech.priority < speech.priority);
    if (at < 0) this.#queue.push({ speech, task });
    else this.#queue.splice(at, 0, { speech, task });
    this.#pump();
  }

  /** The queued speeches, in the order they would play. */
  queued(): SpeechHandle[] {
    return this.#queue.map((queued) => queued.speech);
  }

  /** Resolves when every live speech except `except` has ended. */
  settled(except: ReadonlySet<SpeechHandle> = new Set()): Promise<void> {
    const done = () => [...this.#live].every((speech) => except.has(speech));
    if (done()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (!done()) return;
        this.#waiters.delete(check);
        resolve();
      };
      this.#waiters.add(check);
    });
  }

  #settle(): void {
    for (const check of [...this.#waiters]) check();
  }

  #pump(): void {
    while (this.#open && this.#current === undefined) {
      const next = this.#queue.shift();
      if (next === undefined) return;
      if (next.speech.done) continue; // interrupted while it waited
      const { speech, task } = next;
      this.#current = speech;
      speech._play();
      this.onChange();
      task(speech).then(
        () => speech._finish(),
        (error: unknown) => {
          this.onTaskError(speech, error);
          speech._finish(error);
        },
      );
      void speech._outputReleased.then(() => {
        if (this.#current === speech) this.#current = undefined;
        this.onChange();
        this.#pump();
      });
    }
  }
}
