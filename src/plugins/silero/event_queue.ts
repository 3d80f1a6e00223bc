/**
 * The output side of a stream: events queue up until the consumer takes them with `for await`.
 * `end()` lets the consumer read what is queued, then stops it (with the error, if one is given);
 * `close()` stops it at once, dropping what is queued. A consumer that leaves its loop early closes it.
 */
export class EventQueue<T> implements AsyncIterableIterator<T> {
  #items: T[] = [];
  #head = 0;
  #waiting: Array<{ resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void }> = [];
  #ended = false;
  #error: { value: unknown } | undefined;

  /** @param onReturn called when the consumer leaves its loop early (break, return, throw). */
  constructor(readonly onReturn?: () => void) {}

  get ended(): boolean {
    return this.#ended;
  }

  push(item: T): void {
    if (this.#ended) return;
    const waiter = this.#waiting.shift();
    if (waiter) waiter.resolve({ value: item, done: false });
    else this.#items.push(item);
  }

  end(error?: { value: unknown }): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    if (this.#head < this.#items.length) return;
    this.#settleWaiting();
  }

  close(): void {
    this.#items = [];
    this.#head = 0;
    this.#error = undefined;
    this.#ended = true;
    this.#settleWaiting();
  }

  #settleWaiting(): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const [i, waiter] of waiting.entries()) {
      // The error goes to the first reader only; the others just see the end.
      if (i === 0 && this.#error) {
        waiter.reject(this.#error.value);
        this.#error = undefined;
      } else waiter.resolve({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#head < this.#items.length) {
      const value = this.#items[this.#head]!;
      this.#items[this.#head++] = undefined as T;
      if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
        this.#items = this.#items.slice(this.#head);
        this.#head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.#ended) {
      if (this.#error) {
        const { value } = this.#error;
        this.#error = undefined;
        return Promise.reject(value);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  /** The consumer left the loop (break/return): nothing more is queued for it. */
  return(): Promise<IteratorResult<T>> {
    this.close();
    this.onReturn?.();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
