/**
 * When has the user finished a turn? Voice activity (VAD) and transcripts (STT) decide it.
 *
 * idle → speaking → endpointing → idle.
 *
 * - The user starts speaking: `speaking`. Transcripts arriving at any time are kept for the turn.
 * - The user stops speaking: `endpointing`. The turn ends `minEndpointingDelay` after the end of
 *   speech if a final transcript is there; otherwise it waits for one until `maxEndpointingDelay`
 *   after the end of speech. A final transcript arriving in between ends the turn at once.
 * - Speech starting again during endpointing cancels it: the user is still talking.
 * - A final transcript outside any speech (late, or without a VAD) ends a turn at once.
 * - At the end: `turn_completed` with the whole transcript, or `turn_dropped` when nothing was
 *   understood.
 */
import { assign, emit, setup } from 'xstate';

export interface UserTurnMachineInput {
  /** ms after the end of speech before a transcribed turn ends. LiveKit's default: 500. */
  minEndpointingDelay: number;
  /** ms after the end of speech after which the turn ends, transcribed or not. Default 3000. */
  maxEndpointingDelay: number;
}

export interface UserTurnMachineContext extends UserTurnMachineInput {
  /** Final transcripts of the turn so far. */
  transcript: string;
}

export type UserTurnMachineEvent =
  | { type: 'vad.speechStarted' }
  | { type: 'vad.speechEnded' }
  | { type: 'stt.final'; text: string };

export type UserTurnMachineEmitted = { type: 'turn_completed'; transcript: string } | { type: 'turn_dropped' };

export const userTurnMachine = setup({
  types: {
    input: {} as UserTurnMachineInput,
    context: {} as UserTurnMachineContext,
    events: {} as UserTurnMachineEvent,
    emitted: {} as UserTurnMachineEmitted,
  },
  delays: {
    minEndpointingDelay: ({ context }) => context.minEndpointingDelay,
    remainingEndpointingDelay: ({ context }) => Math.max(0, context.maxEndpointingDelay - context.minEndpointingDelay),
  },
  guards: {
    hasTranscript: ({ context }) => context.transcript.trim() !== '',
  },
  actions: {
    appendTranscript: assign({
      transcript: ({ context, event }) => {
        if (event.type !== 'stt.final' || event.text.trim() === '') return context.transcript;
        return context.transcript === '' ? event.text.trim() : `${context.transcript} ${event.text.trim()}`;
      },
    }),
    completeTurn: emit(({ context }) => ({ type: 'turn_completed' as const, transcript: context.transcript })),
    dropTurn: emit({ type: 'turn_dropped' as const }),
    clearTranscript: assign({ transcript: '' }),
  },
}).createMachine({
  id: 'userTurn',
  context: ({ input }) => ({ ...input, transcript: '' }),
  initial: 'idle',
  on: {
    'stt.final': { actions: 'appendTranscript' },
  },
  states: {
    idle: {
      on: {
        'vad.speechStarted': 'speaking',
        // A transcript with no speech around it (late, or no VAD at all) ends a turn at once.
        'stt.final': { target: '#userTurn.endpointing.awaitingTranscript', actions: 'appendTranscript' },
      },
    },
    speaking: {
      on: { 'vad.speechEnded': 'endpointing' },
    },
    endpointing: {
      initial: 'waiting',
      on: { 'vad.speechStarted': 'speaking' },
      states: {
        waiting: {
          after: { minEndpointingDelay: 'awaitingTranscript' },
        },
        awaitingTranscript: {
          always: { guard: 'hasTranscript', target: '#userTurn.idle', actions: ['completeTurn', 'clearTranscript'] },
          after: {
            remainingEndpointingDelay: { target: '#userTurn.idle', actions: ['dropTurn', 'clearTranscript'] },
          },
        },
      },
    },
  },
});
