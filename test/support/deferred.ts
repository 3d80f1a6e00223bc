/** A promise the test settles by hand: to hold a hook, a room connection or a tool until it says so. */
export interface Deferred<T = void> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
  readonly settled: boolean;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  let settled = false;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return {
    promise,
    resolve: (value) => {
      settled = true;
      resolve(value);
    },
    reject: (error) => {
      settled = true;
      reject(error);
    },
    get settled() {
      return settled;
    },
  };
}

/** A promise that never settles: a hook or a phase that hangs. */
export function never<T = void>(): Promise<T> {
  return new Promise<T>(() => {});
}
