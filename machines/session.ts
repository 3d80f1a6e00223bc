/**
 * The life of an AgentSession, and what its agent and its user are doing: while the session is
 * `open`, three parallel regions; once it has `closed`, none (one step ends them all).
 *
 * lifecycle: idle → starting → running → draining → closing, then the session is closed.
 * - Every way to end a session goes through `draining`: the active agent's onExit runs first (it
 *   may still speak, e.g. say "Goodbye!"), then queued speech plays out, and only then is the
 *   session closed. `drain()` stops in `draining.drained` until a close is requested; a close
 *   without drain first interrupts the speech in flight.
 * - The first close request decides the close reason; later ones only add "no drain".
 * - `closed` is reached exactly once: the agent becomes `idle` (announced), then `close` is announced;
 *   the user is no longer heard (the session reads `listening`, as LiveKit resets it, without an event).
 *
 * agent: initializing → listening / thinking / speaking (`idle` once the session has closed).
 * - `initializing` until the session runs.
 * - In between, the agent follows the speech it attends to, as the session's speech scheduler
 *   relays it (`speech.*`): it thinks while a reply is generated or tools run, speaks while its
 *   audio goes out, and listens otherwise (a say() being prepared is not thought about).
 * - User speech over the agent that interrupts it (long enough, in a state whose interruption
 *   policy allows it) pauses its speech when the output can pause: the agent is then
 *   `listening.holding` while the user may be interrupting. Words make it an interruption; no
 *   words for `falseInterruptionTimeout` (on the session's clock) make it a false one: the speech
 *   resumes, and the agent thinks or speaks again. Where it cannot pause, the speech is interrupted.
 * - A finished user turn interrupts the speech while the agent listens, and while it thinks or
 *   speaks if that state's policy allows it.
 *
 * user: listening / speaking / away.
 * - The user is `away` after `userAwayTimeout` of shared silence while the session runs: the timer
 *   re-arms each time the agent returns to listening, the user stops speaking or types, only takes
 *   the user away while the agent is still listening, and is not set at all when
 *   `userAwayTimeout` is null. Typing brings an away user back.
 */
import { and, assign, type DoneActorEvent, cancel, emit, enqueueActions, fromPromise, not, or, setup, stateIn } from 'xstate';
import type { SpeechSource } from './speech.js';

/**
 * What the agent is doing. `initializing` until the session runs; `listening`, `thinking` or
 * `speaking` while it runs and drains; `idle` once the session has closed: the agent neither
 * listens nor will answer any more.
 */
export type AgentState = 'initializing' | 'idle' | 'listening' | 'thinking' | 'speaking';
export type UserState = 'listening' | 'speaking' | 'away';

/** Why a session closed, as LiveKit's CloseReason. */
export type CloseReason = 'user_initiated' | 'job_shutdown' | 'participant_disconnected' | 'error';

/** Whether, and after how much speech, the user interrupts the agent in one of its states. */
export interface InterruptionPolicy {
  /** Whether user speech and finished user turns interrupt the agent in this state. */
  enabled: boolean;
  /** ms of user speech over the agent that interrupt it (or pause it, when its output can pause). */
  minDuration: number;
}

export interface SessionMachineInput {
  /** ms of shared silence before the user is `away`; null never marks the user away. */
  userAwayTimeout: number | null;
  /** Upper bound for queued speech to play out while draining, in ms. */
  speechDrainTimeout: number;
  /** Upper bound for releasing the session's resources once drained, in ms. */
  closeTimeout: number;
  /** How the user interrupts the agent while it thinks, and while it speaks. */
  interruption: Record<'thinking' | 'speaking', InterruptionPolicy>;
  /** Pause the agent on user speech (where the output can pause) and resume it after a false interruption. */
  resumeFalseInterruption: boolean;
  /** ms a paused agent waits for the user's words before resuming. */
  falseInterruptionTimeout: number;
}

export interface SessionMachineContext extends SessionMachineInput {
  /** Why the session closes: set by the first close request (or a failed start), so also whether one came. */
  closeReason: CloseReason | undefined;
  closeError: unknown;
}

/** What the speech the agent attends to is doing, as the session's speech scheduler relays it. */
export type SpeechActivityEvent =
  | { type: 'speech.generating'; source: SpeechSource }
  | { type: 'speech.speaking' }
  | { type: 'speech.toolsPending' }
  | { type: 'speech.idle' };

export type SessionMachineEvent =
  | { type: 'start' }
  | { type: 'drain' }
  | { type: 'close'; reason: CloseReason; drain: boolean; error?: unknown }
  | SpeechActivityEvent
  | { type: 'user.speechStarted' }
  | { type: 'user.speechEnded' }
  /** User speech over the agent's speech, lasting `speechDurationMs` so far; `pausable`: the output can pause. */
  | { type: 'user.speakingOver'; speechDurationMs: number; pausable: boolean }
  /** A finished user turn (typed or transcribed) while a speech holds the output. */
  | { type: 'user.turnCompleted' }
  | { type: 'user.active' }
  | { type: 'user.away' }
  | { type: 'user.transcribed'; transcript: string; isFinal: boolean; language: string | undefined }
  | { type: 'error.reported'; error: unknown }
  /** The start's completion (the invoked `startSession`'s done event), which the agent region takes too. */
  | DoneActorEvent<void, 'startSession'>;

export type SessionMachineEmitted =
  | { type: 'agent_state_changed'; oldState: AgentState; newState: AgentState }
  | { type: 'user_state_changed'; oldState: UserState; newState: UserState }
  | { type: 'agent_false_interruption'; resumed: boolean }
  | { type: 'user_input_transcribed'; transcript: string; isFinal: boolean; language: string | undefined }
  | { type: 'error'; error: unknown }
  | { type: 'close'; reason: CloseReason; error: unknown };

/** Why the user interrupts the speech: their speech over it, their words while it was paused, a finished turn. */
export type UserInterruption = 'voice' | 'words' | 'turn';

/** The id of the away timer's delayed event. */
const AWAY_TIMER = 'userAway';

/** Rejection reasons the machine reports itself (the implementation turns them into typed errors). */
export interface SessionTimeout {
  kind: 'timeout';
  phase: 'speechDrain' | 'close';
  timeoutMs: number;
}

/** The announcement of the agent's move from one state to another (static: a move costs no context update). */
const agentMove = (from: AgentState, to: AgentState) => ({ type: 'announceAgentMove', params: { from, to } }) as const;
const userMove = (from: UserState, to: UserState) => ({ type: 'announceUserMove', params: { from, to } }) as const;
/** The agent's states before it is idle, each with its guard. */
const AGENT_STATES = (['initializing', 'listening', 'thinking', 'speaking'] as const).map((state) => [state, stateIn(`#session.open.agent.${state}`)] as const);
/** The session runs, or is starting to (the move out of `starting` is the start). */
const RUNNING_OR_STARTING = or([stateIn('#session.open.lifecycle.running'), stateIn('#session.open.lifecycle.starting')]);
const userInterrupts = (by: UserInterruption) => ({ type: 'interruptSpeech', params: { by } }) as const;

/** The state's policy lets the user interrupt: user speech long enough, or a finished turn. */
function userMayInterrupt(context: SessionMachineContext, event: SessionMachineEvent, state: 'thinking' | 'speaking'): boolean {
  const policy = context.interruption[state];
  return policy.enabled && (event.type !== 'user.speakingOver' || event.speechDurationMs >= policy.minDuration);
}

export const sessionMachine = setup({
  types: {
    input: {} as SessionMachineInput,
    context: {} as SessionMachineContext,
    events: {} as SessionMachineEvent,
    emitted: {} as SessionMachineEmitted,
  },
  actors: {
    // src/session provides these; here each phase completes at once.
    startSession: fromPromise<void>(async () => {}),
    exitAgent: fromPromise<void>(async () => {}),
    awaitSpeech: fromPromise<void>(async () => {}),
    releaseResources: fromPromise<void, { reason: CloseReason; error: unknown }>(async () => {}),
  },
  delays: {
    // armAwayTimer sets no timer when it is null.
    userAwayTimeout: ({ context }) => context.userAwayTimeout ?? 0,
    speechDrainTimeout: ({ context }) => context.speechDrainTimeout,
    closeTimeout: ({ context }) => context.closeTimeout,
    falseInterruptionTimeout: ({ context }) => context.falseInterruptionTimeout,
  },
  guards: {
    agentIsListening: stateIn('#session.open.agent.listening'),
    closeRequested: ({ context }) => context.closeReason !== undefined,
    withoutDrain: ({ event }) => event.type === 'close' && !event.drain,
    /** The speech being generated is a reply (the LLM is asked), not a say() waiting for its audio. */
    isReply: ({ event }) => event.type === 'speech.generating' && event.source !== 'say',
    interruptibleWhileThinking: ({ context, event }) => userMayInterrupt(context, event, 'thinking'),
    interruptibleWhileSpeaking: ({ context, event }) => userMayInterrupt(context, event, 'speaking'),
    mayPause: ({ context, event }) => context.resumeFalseInterruption && event.type === 'user.speakingOver' && event.pausable,
    hasWords: ({ event }) => event.type === 'user.transcribed' && event.transcript.trim() !== '',
    heldWhileSpeaking: stateIn('#session.open.agent.listening.holding.speech'),
  },
  actions: {
    announceAgentMove: emit((_, params: { from: AgentState; to: AgentState }) => ({
      type: 'agent_state_changed' as const,
      oldState: params.from,
      newState: params.to,
    })),
    announceUserMove: emit((_, params: { from: UserState; to: UserState }) => ({
      type: 'user_state_changed' as const,
      oldState: params.from,
      newState: params.to,
    })),
    // A timer restarted by an action rather than by re-entering user.listening: that re-entry was a
    // second microstep on every return of the agent to listening. Set only while the session runs:
    // actions see the state before their transition, so the start (the move out of `starting`) counts.
    // biome-ignore lint: stateIn() is typed for any set of guards
    armAwayTimer: enqueueActions<SessionMachineContext, SessionMachineEvent, undefined, SessionMachineEvent, never, never, any, 'userAwayTimeout', SessionMachineEmitted>(({ context, enqueue, check }) => {
      if (context.userAwayTimeout === null || !check(RUNNING_OR_STARTING)) return;
      enqueue.cancel(AWAY_TIMER);
      enqueue.raise({ type: 'user.away' }, { id: AWAY_TIMER, delay: 'userAwayTimeout' });
    }),
    stopAwayTimer: cancel(AWAY_TIMER),
    announceFalseInterruption: emit({ type: 'agent_false_interruption' as const, resumed: true }),
    // The session has closed, whatever the agent was doing: actions see the state before their transition.
    // biome-ignore lint: stateIn() is typed for any set of guards
    announceAgentIdle: enqueueActions<SessionMachineContext, SessionMachineEvent, undefined, SessionMachineEvent, never, never, any, never, SessionMachineEmitted>(({ enqueue, check }) => {
      for (const [from, inState] of AGENT_STATES) if (check(inState)) enqueue.emit({ type: 'agent_state_changed', oldState: from, newState: 'idle' });
    }),
    announceTranscript: emit(({ event }) => {
      if (event.type !== 'user.transcribed') throw new Error(`announceTranscript on ${event.type}`);
      return { type: 'user_input_transcribed' as const, transcript: event.transcript, isFinal: event.isFinal, language: event.language };
    }),
    reportError: emit((_, params: { error: unknown }) => ({ type: 'error' as const, error: params.error })),
    // The first close request decides the reason.
    recordCloseRequest: assign(({ context, event }) => {
      if (event.type !== 'close' || context.closeReason !== undefined) return {};
      return { closeReason: event.reason, closeError: event.error };
    }),
    recordStartFailure: assign(({ context, event }) => ({
      closeReason: context.closeReason ?? ('error' as const),
      closeError: context.closeError ?? (event as { error?: unknown }).error,
    })),
    // src/session provides these: they act on the session's speech and output.
    /** Force-interrupts the speech in flight and the queue (a close without drain, a drain that takes too long). */
    interruptAllSpeech: () => {},
    /** The user interrupts the speech holding the output (or the paused one), if it allows interruptions. */
    interruptSpeech: (_, _params: { by: UserInterruption }) => {},
    /** Holds the speech's output where it is: the user may be interrupting. */
    pauseSpeech: () => {},
    /** The speech goes on where it was paused. */
    resumeSpeech: () => {},
    announceClose: emit(({ context }) => ({
      type: 'close' as const,
      reason: context.closeReason ?? 'user_initiated',
      error: context.closeError,
    })),
  },
}).createMachine({
  id: 'session',
  initial: 'open',
  context: ({ input }) => ({
    ...input,
    closeReason: undefined,
    closeError: undefined,
  }),
  on: {
    'user.transcribed': { actions: 'announceTranscript' },
    'error.reported': { actions: { type: 'reportError', params: ({ event }) => ({ error: event.error }) } },
  },
  states: {
    // The session until it has closed: what it is doing, what its agent and its user are doing.
    open: {
      type: 'parallel',
      states: {
        lifecycle: {
          initial: 'idle',
          states: {
            idle: {
              on: {
                start: 'starting',
                close: { target: '#session.closed', actions: 'recordCloseRequest' },
              },
            },
            starting: {
              invoke: {
                id: 'startSession',
                src: 'startSession',
                onDone: [
                  { guard: 'closeRequested', target: 'draining' },
                  { target: 'running' },
                ],
                onError: {
                  target: 'closing',
                  actions: ['recordStartFailure', { type: 'reportError', params: ({ event }) => ({ error: event.error }) }],
                },
              },
              on: {
                close: { actions: 'recordCloseRequest' },
              },
            },
            running: {
              exit: 'stopAwayTimer',
              on: {
                drain: 'draining',
                close: [
                  { guard: 'withoutDrain', target: 'draining', actions: ['recordCloseRequest', 'interruptAllSpeech'] },
                  { target: 'draining', actions: 'recordCloseRequest' },
                ],
              },
            },
            draining: {
              initial: 'exitingAgent',
              on: {
                close: [
                  { guard: 'withoutDrain', actions: ['recordCloseRequest', 'interruptAllSpeech'] },
                  { actions: 'recordCloseRequest' },
                ],
              },
              states: {
                exitingAgent: {
                  invoke: {
                    id: 'exitAgent',
                    src: 'exitAgent',
                    onDone: 'awaitingSpeech',
                    onError: {
                      target: 'awaitingSpeech',
                      actions: { type: 'reportError', params: ({ event }) => ({ error: event.error }) },
                    },
                  },
                },
                awaitingSpeech: {
                  invoke: {
                    id: 'awaitSpeech',
                    src: 'awaitSpeech',
                    // Straight on to closing when a close is waiting: one step fewer than through `drained`.
                    onDone: [{ guard: 'closeRequested', target: '#session.open.lifecycle.closing' }, { target: 'drained' }],
                    onError: {
                      target: 'drained',
                      actions: { type: 'reportError', params: ({ event }) => ({ error: event.error }) },
                    },
                  },
                  after: {
                    speechDrainTimeout: {
                      target: 'drained',
                      actions: [
                        'interruptAllSpeech',
                        {
                          type: 'reportError',
                          params: ({ context }) => ({
                            error: { kind: 'timeout', phase: 'speechDrain', timeoutMs: context.speechDrainTimeout } satisfies SessionTimeout,
                          }),
                        },
                      ],
                    },
                  },
                },
                drained: {
                  always: { guard: 'closeRequested', target: '#session.open.lifecycle.closing' },
                },
              },
            },
            closing: {
              invoke: {
                id: 'releaseResources',
                src: 'releaseResources',
                input: ({ context }) => ({ reason: context.closeReason ?? 'user_initiated', error: context.closeError }),
                onDone: '#session.closed',
                onError: {
                  target: '#session.closed',
                  actions: { type: 'reportError', params: ({ event }) => ({ error: event.error }) },
                },
              },
              after: {
                closeTimeout: {
                  target: '#session.closed',
                  actions: {
                    type: 'reportError',
                    params: ({ context }) => ({
                      error: { kind: 'timeout', phase: 'close', timeoutMs: context.closeTimeout } satisfies SessionTimeout,
                    }),
                  },
                },
              },
            },
          },
        },
        agent: {
          initial: 'initializing',
          states: {
            // Left when the session runs: on the start's completion, in the step the lifecycle region
            // takes it (its onDone), unless a close came first. (Not by one transition of the start
            // targeting both regions: that would re-enter the user region too, forgetting a user who
            // spoke meanwhile.)
            initializing: {
              on: {
                'xstate.done.actor.startSession': { guard: not('closeRequested'), target: 'listening', actions: agentMove('initializing', 'listening') },
              },
            },
            listening: {
              entry: 'armAwayTimer',
              initial: 'attentive',
              on: {
                'speech.generating': { guard: 'isReply', target: 'thinking', actions: agentMove('listening', 'thinking') },
                'speech.speaking': { target: 'speaking', actions: agentMove('listening', 'speaking') },
                'speech.toolsPending': { target: 'thinking', actions: agentMove('listening', 'thinking') },
                'user.turnCompleted': { actions: userInterrupts('turn') },
              },
              states: {
                attentive: {},
                // The agent's speech is paused: the user spoke over it and may be interrupting it. The
                // substate is where the agent resumes: the paused speech is followed meanwhile.
                holding: {
                  // Entered at `reply` (from thinking) or `speech` (from speaking).
                  initial: 'speech',
                  after: {
                    falseInterruptionTimeout: [
                      {
                        guard: 'heldWhileSpeaking',
                        target: '#session.open.agent.speaking',
                        actions: ['resumeSpeech', agentMove('listening', 'speaking'), 'announceFalseInterruption'],
                      },
                      { target: '#session.open.agent.thinking', actions: ['resumeSpeech', agentMove('listening', 'thinking'), 'announceFalseInterruption'] },
                    ],
                  },
                  on: {
                    // (Handled here, the transcript is announced here too: the root's handler is not reached.)
                    'user.transcribed': { guard: 'hasWords', target: 'attentive', actions: ['announceTranscript', userInterrupts('words')] },
                    'speech.speaking': '.speech',
                    'speech.toolsPending': '.reply',
                    // The paused speech ended (interrupted otherwise): nothing is held any more.
                    'speech.idle': 'attentive',
                  },
                  states: {
                    reply: {},
                    speech: {},
                  },
                },
              },
            },
            thinking: {
              on: {
                'speech.speaking': { target: 'speaking', actions: agentMove('thinking', 'speaking') },
                'speech.generating': { guard: not('isReply'), target: 'listening', actions: agentMove('thinking', 'listening') },
                'speech.idle': { target: 'listening', actions: agentMove('thinking', 'listening') },
                'user.speakingOver': [
                  { guard: and(['interruptibleWhileThinking', 'mayPause']), target: 'listening.holding.reply', actions: ['pauseSpeech', agentMove('thinking', 'listening')] },
                  { guard: 'interruptibleWhileThinking', actions: userInterrupts('voice') },
                ],
                'user.turnCompleted': { guard: 'interruptibleWhileThinking', actions: userInterrupts('turn') },
              },
            },
            speaking: {
              on: {
                'speech.toolsPending': { target: 'thinking', actions: agentMove('speaking', 'thinking') },
                'speech.idle': { target: 'listening', actions: agentMove('speaking', 'listening') },
                'user.speakingOver': [
                  { guard: and(['interruptibleWhileSpeaking', 'mayPause']), target: 'listening.holding.speech', actions: ['pauseSpeech', agentMove('speaking', 'listening')] },
                  { guard: 'interruptibleWhileSpeaking', actions: userInterrupts('voice') },
                ],
                'user.turnCompleted': { guard: 'interruptibleWhileSpeaking', actions: userInterrupts('turn') },
              },
            },
          },
        },
        user: {
          initial: 'listening',
          states: {
            listening: {
              on: {
                'user.speechStarted': { target: 'speaking', actions: userMove('listening', 'speaking') },
                // Silence is counted from the later of the agent's return to listening and the user's last activity.
                'user.active': { actions: 'armAwayTimer' },
                'user.away': { guard: 'agentIsListening', target: 'away', actions: userMove('listening', 'away') },
              },
            },
            speaking: {
              on: { 'user.speechEnded': { target: 'listening', actions: [userMove('speaking', 'listening'), 'armAwayTimer'] } },
            },
            away: {
              on: {
                'user.speechStarted': { target: 'speaking', actions: userMove('away', 'speaking') },
                'user.active': { target: 'listening', actions: [userMove('away', 'listening'), 'armAwayTimer'] },
              },
            },
          },
        },
      },
    },
    // Closed for good: every region has ended (the agent is idle, the user no longer heard).
    closed: {
      type: 'final',
      entry: ['announceAgentIdle', 'announceClose'],
    },
  },
});
