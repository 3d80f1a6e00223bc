/**
 * The life of one utterance of the agent (a SpeechHandle).
 *
 * - A speech waits in the session's queue (`scheduled`) until the scheduler hands it the output
 *   (`play`), plays, and ends either `done` or `interrupted`.
 * - While it plays, its text is `generating` (a reply waits for the LLM, a say() for its first
 *   audio) until the first audio or text goes out (`speak`); then it is `speaking` until its output
 *   is released (`release`): played out, cut short by a failure, or never started because there was
 *   nothing to say. Once released, the next speech may take the output.
 * - The tools its LLM asked for while it streamed run once its output is released
 *   (`runningTools`, when `release` counts any), until they have returned and their follow-up is
 *   scheduled (`tools.settled`). Then it is `settled`: nothing of it is left but the end of its task.
 * - It is `done` when its task has finished (`finish`, with the error it failed with, if any).
 * - An interruption is refused while `allowInterruptions` is false unless it is forced: the guard
 *   below is the whole rule. An interrupted speech has ended at once, whatever a tool it called
 *   still does (the tool's signal is aborted).
 */
import { assign, setup } from 'xstate';

/** Where a speech came from, as LiveKit's `speech_created.source`. */
export type SpeechSource = 'say' | 'generate_reply' | 'tool_response';

export interface SpeechMachineInput {
  id: string;
  source: SpeechSource;
  allowInterruptions: boolean;
}

export interface SpeechMachineContext extends SpeechMachineInput {
  /** What the speech's task failed with, if it did. */
  error: unknown;
}

export type SpeechMachineEvent =
  | { type: 'play' }
  | { type: 'speak' }
  /** Its output is released; `toolCalls`: how many tools its LLM asked for, to run now. */
  | { type: 'release'; toolCalls: number }
  | { type: 'tools.settled' }
  | { type: 'finish'; error?: unknown }
  | { type: 'interrupt'; force?: boolean }
  | { type: 'allowInterruptions.set'; allow: boolean };

/** Where a released output goes: to its tools, if its LLM asked for any, else settled. */
const RELEASED = [{ guard: 'hasToolCalls', target: 'runningTools' }, { target: 'settled' }] as const;

export const speechMachine = setup({
  types: {
    input: {} as SpeechMachineInput,
    context: {} as SpeechMachineContext,
    events: {} as SpeechMachineEvent,
  },
  guards: {
    canInterrupt: ({ context, event }) =>
      context.allowInterruptions || (event.type === 'interrupt' && event.force === true),
    hasToolCalls: ({ event }) => event.type === 'release' && event.toolCalls > 0,
  },
  actions: {
    recordError: assign({
      error: ({ event }) => (event.type === 'finish' ? event.error : undefined),
    }),
    setAllowInterruptions: assign({
      allowInterruptions: ({ context, event }) =>
        event.type === 'allowInterruptions.set' ? event.allow : context.allowInterruptions,
    }),
  },
}).createMachine({
  id: 'speech',
  context: ({ input }) => ({ ...input, error: undefined }),
  initial: 'scheduled',
  on: {
    'allowInterruptions.set': { actions: 'setAllowInterruptions' },
  },
  states: {
    scheduled: {
      on: {
        play: 'playing',
        interrupt: { guard: 'canInterrupt', target: 'interrupted' },
      },
    },
    playing: {
      initial: 'generating',
      on: {
        // The task may end at any point of its playout (its output released or not).
        finish: { target: 'done', actions: 'recordError' },
        interrupt: { guard: 'canInterrupt', target: 'interrupted' },
      },
      states: {
        generating: {
          on: { speak: 'speaking', release: RELEASED },
        },
        speaking: {
          on: { release: RELEASED },
        },
        runningTools: {
          on: { 'tools.settled': 'settled' },
        },
        settled: {},
      },
    },
    done: { type: 'final' },
    interrupted: { type: 'final' },
  },
});
