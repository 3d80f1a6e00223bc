/** fromTask: a machine invoking it sees what fromPromise would give it: done with the output, or the error. */
import { afterEach, expect, it, vi } from 'vitest';
import { assign, createActor, setup, toPromise } from 'xstate';
import { fromTask } from '../../src/actors/from_task.js';

const warn = vi.spyOn(console, 'warn');
afterEach(() => {
  expect(warn).not.toHaveBeenCalled();
  warn.mockClear();
});

/** A machine that runs `task` with input 2 and ends with what came back. */
function runs(task: (args: { input: number }) => PromiseLike<number> | number) {
  return setup({ actors: { task: fromTask<number, number>(task) } }).createMachine({
    context: { outcome: '' },
    initial: 'working',
    states: {
      working: {
        invoke: {
          src: 'task',
          input: 2,
          onDone: { target: 'ended', actions: assign({ outcome: ({ event }) => `done ${event.output}` }) },
          onError: { target: 'ended', actions: assign({ outcome: ({ event }) => `error ${(event.error as Error).message}` }) },
        },
        on: { cancel: 'cancelled' },
      },
      cancelled: {},
      ended: { type: 'final' },
    },
    output: ({ context }) => context.outcome,
  });
}

it('ends with the output of a task that resolves, given its input', async () => {
  const actor = createActor(runs(async ({ input }) => input * 21)).start();
  expect(await toPromise(actor)).toBe('done 42');
});

it('fails with the error of a task that rejects, or that throws before its first await', async () => {
  const rejects = createActor(runs(async () => Promise.reject(new Error('refused')))).start();
  expect(await toPromise(rejects)).toBe('error refused');
  const throws = createActor(
    runs(() => {
      throw new Error('thrown at once');
    }),
  ).start();
  expect(await toPromise(throws)).toBe('error thrown at once');
});

it('drops the result of a task whose state was left: no event reaches the stopped child', async () => {
  let finish!: (value: number) => void;
  const actor = createActor(runs(() => new Promise<number>((resolve) => (finish = resolve)))).start();
  const [child] = Object.values(actor.getSnapshot().children);
  actor.send({ type: 'cancel' });
  expect(child!.getSnapshot().status).toBe('stopped');
  finish(1);
  await Promise.resolve();
  await Promise.resolve();
  expect(actor.getSnapshot().value).toBe('cancelled');
  expect(child!.getSnapshot()).toMatchObject({ status: 'stopped', output: undefined });
});
