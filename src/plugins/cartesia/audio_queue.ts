/**
 * The single-consumer queue between a synthesis and whoever iterates it: items wait until read;
 * `end` finishes the iteration after what is queued, `fail` after it with an error, `cancel`
 * at once (queued items are dropped). Leaving a `for await` early calls `onReturn`.
 */
export class AudioQueue<T> implements AsyncIterator<T> {
  readonly #items: T[] = [];
  #waiter: { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void } | undefined;
  #over = false;
  #error: { value: unknown } | undefined;

  constructor(private readonly onReturn: () => Promise<void>) {}

  push(item: T): void {
    if (this.#over) return;
    if (this.#waiter) {
      const waiter = this.#waiter;
      this.#waiter = undefined;
      waiter.resolve({ value: item, done: false });
    } else this.#items.push(item);
  }

  end(): void {
    this.#finish(undefined);
  }

  fail(error: unknown): void {
    this.#finish({ value: error });
  }

  cancel(): void {
    this.#items.length = 0;
    this.#finish(undefined);
  }

  get over(): boolean {
    return this.#over;
  }

  next(): Promise<IteratorResult<T>> {
    const item = this.#items.shift();
    if (item !== undefined) return Promise.resolve({ value: item, done: false });
    if (this.#over) {
      const error = this.#error;
      this.#error = undefined;
      return error ? Promise.reject(error.value) : Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  async return(): Promise<IteratorResult<T>> {
    await this.onReturn();
    return { value: undefined, done: true };
  }

  #finish(error: { value: unknown } | undefined): void {
    if (this.#over) return;
    this.#over = true;
    this.#error = error;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (!waiter) return;
    this.#error = undefined;
    if (error) waiter.reject(error.value);
    else waiter.resolve({ value: undefined, done: true });
  }
}
