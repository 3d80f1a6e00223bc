/**
 * An unbounded single-consumer queue read with `for await`: what a stream's producer (a socket
 * handler, an inference loop, a synthesis) pushes, its consumer iterates. Every plugin stream
 * (VAD events, transcripts, synthesized audio) hands its output over through one of these. The producer ends it (the iteration
 * finishes once everything pushed was read), fails it (the error is thrown after everything pushed
 * was read) or closes it (the iteration finishes at once, dropping what was not read).
 */
export class EventChannel<T> implements AsyncIterable<T> {
  readonly #queue: T[] = [];
  #waiting: { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void } | undefined;
  #ended = false;
  #failure: { error: unknown } | undefined;
  #iterating = false;

  /** @param onReturn called when the consumer stops early (`break` out of the `for await`). */
  constructor(private readonly onReturn: () => void = () => {}) {}

  /** Whether nothing more will be pushed. */
  get ended(): boolean {
    return this.#ended;
  }

  push(value: T): void {
    if (this.#ended) return;
    const waiting = this.#waiting;
    if (waiting) {
      this.#waiting = undefined;
      waiting.resolve({ value, done: false });
    } else {
      this.#queue.push(value);
    }
  }

  /** No more values: the iteration finishes after the queued ones. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#wake();
  }

  /** The iteration throws `error` after the queued values. */
  fail(error: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#failure = { error };
    this.#wake();
  }

  /** The iteration finishes at once; queued values are dropped. */
  close(): void {
    this.#queue.length = 0;
    this.#failure = undefined;
    this.#ended = true;
    this.#wake();
  }

  #wake(): void {
    const waiting = this.#waiting;
    if (!waiting || this.#queue.length > 0) return;
    this.#waiting = undefined;
    const failure = this.#failure;
    this.#failure = undefined;
    if (failure) waiting.reject(failure.error);
    else waiting.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.#iterating) throw new Error('a stream has one reader: it is already being iterated');
    this.#iterating = true;
    return {
      next: () => {
        if (this.#queue.length > 0) return Promise.resolve({ value: this.#queue.shift()!, done: false });
        if (this.#failure) {
          const { error } = this.#failure;
          this.#failure = undefined;
          return Promise.reject(error);
        }
        if (this.#ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => {
          this.#waiting = { resolve, reject };
        });
      },
      return: () => {
        if (!this.#ended) this.onReturn();
        this.close();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
