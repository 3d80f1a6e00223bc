import type { ActorSystem, EventObject, PromiseActorLogic, PromiseSnapshot } from 'xstate';

/** What a task receives: as fromPromise's creator, without an abort signal. */
export interface TaskArgs<TInput, TEmitted extends EventObject> {
  input: TInput;
  // biome-ignore lint/suspicious/noExplicitAny: as fromPromise's creator, any system
  system: ActorSystem<any>;
  emit: (emitted: TEmitted) => void;
}

const DONE = 'task.done';
const FAILED = 'task.failed';

/**
 * Promise actor logic for work that is never cancelled (a user's hook, a phase of the session's
 * close): the same snapshots and done/error events as XState's `fromPromise`, without the
 * AbortController it creates per run and the DOMException its abort builds when a run is stopped
 * unfinished (together ~20 µs of a session's ~300 µs lifecycle). Stopping it drops the result; the
 * work itself goes on. Work that honours an abort signal uses `fromPromise`.
 */
export function fromTask<TOutput, TInput = unknown, TEmitted extends EventObject = EventObject>(
  task: (args: TaskArgs<TInput, TEmitted>) => PromiseLike<TOutput> | TOutput,
): PromiseActorLogic<TOutput, TInput, TEmitted> {
  return {
    config: task,
    transition: (snapshot, event) => {
      if (snapshot.status !== 'active') return snapshot;
      switch (event.type) {
        case DONE:
          return { ...snapshot, status: 'done', output: event.output as TOutput, input: undefined };
        case FAILED:
          return { ...snapshot, status: 'error', error: event.error, input: undefined };
        case 'xstate.stop':
          return { ...snapshot, status: 'stopped', input: undefined };
        default:
          return snapshot;
      }
    },
    start: (snapshot, { self, system, emit }) => {
      if (snapshot.status !== 'active') return;
      // (One that throws before its first await fails the actor's start: XState reports it as an error too.)
      Promise.resolve(task({ input: snapshot.input as TInput, system, emit })).then(
        (output) => {
          if (self.getSnapshot().status === 'active') self.send({ type: DONE, output });
        },
        (error: unknown) => {
          if (self.getSnapshot().status === 'active') self.send({ type: FAILED, error });
        },
      );
    },
    getInitialSnapshot: (_, input): PromiseSnapshot<TOutput, TInput> => ({ status: 'active', output: undefined, error: undefined, input }),
    getPersistedSnapshot: (snapshot) => snapshot,
    restoreSnapshot: (snapshot) => snapshot as PromiseSnapshot<TOutput, TInput>,
  };
}
