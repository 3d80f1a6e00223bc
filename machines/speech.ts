/**
 * The life of one utterance of the agent (a SpeechHandle).
 *
 * - A speech waits in the session's queue (`scheduled`) until the scheduler hands it the output
 *   (`play`), plays, and ends either `done` or `interrupted`.
 * - While it plays, two things happen side by side:
 *   - `output`: its text is `generating` (a reply waits for the LLM, a say() for its first audio)
 *     until the first audio or text goes out (`speak`), then it is `speaking` until its output is
 *     `played` (`release`): played out, cut short by a failure, or never started because there was
 *     nothing to say. Once played, the next speech may take the output.
 *   - `tools`: `none` until the LLM asks for a tool (`tools.requested`), then `pending` until every
 *     tool of the step has run and the follow-up is scheduled (`tools.settled`).
 * - It is `done` when everything it had to do has finished (`finish`, with the error it failed with,
 *   if any): its task has played it and run its tools.
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
  | { type: 'release' }
  | { type: 'tools.requested' }
  | { type: 'tools.settled' }
  | { type: 'finish'; error?: unknown }
  | { type: 'interrupt'; force?: boolean }
  | { type: 'allowInterruptions.set'; allow: boolean };

export const speechMachine = setup({
  types: {
    input: {} as SpeechMachineInput,
    context: {} as SpeechMachineContext,
    events: {} as SpeechMachineEvent,
  },
  guards: {
    canInterrupt: ({ context, event }) =>
      context.allowInterruptions || (event.type === 'interrupt' && event.force === true),
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
      type: 'parallel',
      on: {
        // The task may end at any point of its playout (its output released or not).
        finish: { target: 'done', actions: 'recordError' },
        interrupt: { guard: 'canInterrupt', target: 'interrupted' },
      },
      states: {
        output: {
          initial: 'generating',
          states: {
            generating: {
              on: { speak: 'speaking', release: 'played' },
            },
            speaking: {
              on: { release: 'played' },
            },
            played: {},
          },
        },
        tools: {
          initial: 'none',
          states: {
            none: {
              on: { 'tools.requested': 'pending' },
            },
            pending: {
              on: { 'tools.settled': 'settled' },
            },
            settled: {},
          },
        },
      },
    },
    done: { type: 'final' },
    interrupted: { type: 'final' },
  },
});
