/**
 * A provider SDK loaded when a plugin first needs it rather than with voxstate: an application
 * pays the start-up time and memory only of the providers it uses. Once loaded it is also known
 * synchronously, for the code that classifies the SDK's errors (which can only come after a load).
 */
export interface OnDemand<T> {
  /** Loads the module (once). */
  load(): Promise<T>;
  /** The module, if a load has finished. */
  loaded(): T | undefined;
}

export function onDemand<T>(load: () => Promise<T>): OnDemand<T> {
  let loading: Promise<T> | undefined;
  let module: T | undefined;
  return {
    load: () => (loading ??= load().then((value) => (module = value))),
    loaded: () => module,
  };
}
