/**
 * The life of one utterance of the agent (a SpeechHandle).
 *
 * A speech waits in the session's queue (`scheduled`) until the scheduler hands it the output
 * (`play`), plays, and ends either `done` or `interrupted`. An interruption is refused while
 * `allowInterruptions` is false unless it is forced: the guard below is the whole rule.
 */
import { assign, setup } from 'xstate';

/** Where a speech came from, as LiveKit's `speech_created.source`. */
export type SpeechSource = 'say' | 'generate_reply' | 'tool_response';

export interface SpeechInput {
  id: string;
  source: SpeechSource;
  allowInterruptions: boolean;
}

export interface SpeechContext extends SpeechInput {
  interrupted: boolean;
  error: unknown;
}

export type SpeechEvent =
  | { type: 'play' }
  | { type: 'finish'; error?: unknown }
  | { type: 'interrupt'; force?: boolean }
  | { type: 'allowInterruptions.set'; allow: boolean };

export interface SpeechOutput {
  id: string;
  interrupted: boolean;
  error: unknown;
}

export const speechMachine = setup({
  types: {
    input: {} as SpeechInput,
    context: {} as SpeechContext,
    events: {} as SpeechEvent,
    output: {} as SpeechOutput,
  },
  guards: {
    canInterrupt: ({ context, event }) =>
      context.allowInterruptions || (event.type === 'interrupt' && event.force === true),
  },
  actions: {
    markInterrupted: assign({ interrupted: true }),
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
  context: ({ input }) => ({ ...input, interrupted: false, error: undefined }),
  initial: 'scheduled',
  on: {
    'allowInterruptions.set': { actions: 'setAllowInterruptions' },
  },
  states: {
    scheduled: {
      on: {
        play: 'playing',
        interrupt: { guard: 'canInterrupt', target: 'interrupted', actions: 'markInterrupted' },
      },
    },
    playing: {
      on: {
        finish: { target: 'done', actions: 'recordError' },
        interrupt: { guard: 'canInterrupt', target: 'interrupted', actions: 'markInterrupted' },
      },
    },
    done: { type: 'final' },
    interrupted: { type: 'final' },
  },
  output: ({ context }) => ({ id: context.id, interrupted: context.interrupted, error: context.error }),
});
