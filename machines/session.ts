/**
 * The life of an AgentSession.
 *
 * idle → starting → running → draining → closing → closed.
 *
 * - `running` has two parallel regions: what the agent is doing (listening / thinking / speaking)
 *   and what the user is doing (listening / speaking / away). The user is `away` after
 *   `userAwayTimeout` during which both were silent: the timer re-arms each time the agent returns
 *   to listening, the user stops speaking or types, only takes the user away while the agent is
 *   still listening, and is not set at all when `userAwayTimeout` is null.
 * - Every way to end a session goes through `draining`: the active agent's onExit runs first (it
 *   may still speak, e.g. say "Goodbye!"), then queued speech plays out, and only then is the
 *   session closed. `drain()` stops in `draining.drained` until a close is requested; a close
 *   without drain first interrupts the speech in flight.
 * - The first close request decides the close reason; later ones only add "no drain".
 * - Inside `running` the agent region is the agent's state, and each move announces itself
 *   (from → to). Outside it, agent and user activity is recorded in the context (and announced),
 *   so a goodbye said while draining, or a speech cut off while closing, is reflected in the
 *   states: leaving `running` records where the agent region was. `agentStateOf` reads either.
 * - `closed` is reached exactly once: the agent becomes `idle` (announced), then `close` is announced.
 */
import { assign, cancel, emit, enqueueActions, fromPromise, not, setup, stateIn } from 'xstate';

/**
 * What the agent is doing. `initializing` until the session runs; `listening`, `thinking` or
 * `speaking` while it runs (and, recorded, while it drains); `idle` once the session has closed:
 * the agent neither listens nor will answer any more.
 */
export type AgentState = 'initializing' | 'idle' | 'listening' | 'thinking' | 'speaking';
export type UserState = 'listening' | 'speaking' | 'away';

/** Why a session closed, as LiveKit's CloseReason. */
export type CloseReason = 'user_initiated' | 'job_shutdown' | 'participant_disconnected' | 'error';

export interface SessionMachineInput {
  /** ms of shared silence before the user is `away`; null never marks the user away. */
  userAwayTimeout: number | null;
  /** Upper bound for queued speech to play out while draining, in ms. */
  speechDrainTimeout: number;
  /** Upper bound for releasing the session's resources once drained, in ms. */
  closeTimeout: number;
}

export interface SessionMachineContext extends SessionMachineInput {
  /** The agent's state outside `running` (inside it, the agent region's state is; see agentStateOf). */
  agentState: AgentState;
  userState: UserState;
  closeRequested: boolean;
  closeReason: CloseReason | undefined;
  closeError: unknown;
}

export type SessionMachineEvent =
  | { type: 'start' }
  | { type: 'agent.listening' }
  | { type: 'agent.thinking' }
  | { type: 'agent.speaking' }
  | { type: 'user.speechStarted' }
  | { type: 'user.speechEnded' }
  | { type: 'user.active' }
  | { type: 'user.away' }
  | { type: 'drain' }
  | { type: 'close'; reason: CloseReason; drain: boolean; error?: unknown }
  | { type: 'speech.created'; speechHandle: unknown; source: string; userInitiated: boolean }
  | { type: 'item.added'; item: unknown }
  | { type: 'user.transcribed'; transcript: string; isFinal: boolean; language: string | undefined }
  | { type: 'tools.executed'; functionCalls: unknown[]; functionCallOutputs: unknown[] }
  | { type: 'error.reported'; error: unknown };

export type SessionMachineEmitted =
  | { type: 'agent_state_changed'; oldState: AgentState; newState: AgentState }
  | { type: 'user_state_changed'; oldState: UserState; newState: UserState }
  | { type: 'speech_created'; speechHandle: unknown; source: string; userInitiated: boolean }
  | { type: 'conversation_item_added'; item: unknown }
  | { type: 'user_input_transcribed'; transcript: string; isFinal: boolean; language: string | undefined }
  | { type: 'function_tools_executed'; functionCalls: unknown[]; functionCallOutputs: unknown[] }
  | { type: 'error'; error: unknown }
  | { type: 'close'; reason: CloseReason; error: unknown };

export interface SessionMachineOutput {
  reason: CloseReason;
  error: unknown;
}

/** The id of the away timer's delayed event. */
const AWAY_TIMER = 'userAway';

/** Rejection reasons the machine reports itself (the implementation turns them into typed errors). */
export interface SessionTimeout {
  kind: 'timeout';
  phase: 'speechDrain' | 'close';
  timeoutMs: number;
}

export const sessionMachine = setup({
  types: {
    input: {} as SessionMachineInput,
    context: {} as SessionMachineContext,
    events: {} as SessionMachineEvent,
    emitted: {} as SessionMachineEmitted,
    output: {} as SessionMachineOutput,
  },
  actors: {
    // src/session provides these; here each phase completes at once.
    startSession: fromPromise<void>(async () => {}),
    exitAgent: fromPromise<void>(async () => {}),
    awaitSpeech: fromPromise<void>(async () => {}),
    releaseResources: fromPromise<void, SessionMachineOutput>(async () => {}),
  },
  delays: {
    // armAwayTimer sets no timer when it is null.
    userAwayTimeout: ({ context }) => context.userAwayTimeout ?? 0,
    speechDrainTimeout: ({ context }) => context.speechDrainTimeout,
    closeTimeout: ({ context }) => context.closeTimeout,
  },
  guards: {
    agentIsListening: stateIn('#session.running.agent.listening'),
    outsideRunning: not(stateIn('#session.running')),
    closeRequested: ({ context }) => context.closeRequested,
    withoutDrain: ({ event }) => event.type === 'close' && !event.drain,
  },
  actions: {
    setAgentState: enqueueActions<SessionMachineContext, SessionMachineEvent, { state: AgentState }, SessionMachineEvent, never, never, never, never, SessionMachineEmitted>(({ context, enqueue }, params) => {
      if (context.agentState === params.state) return;
      enqueue.emit({ type: 'agent_state_changed', oldState: context.agentState, newState: params.state });
      enqueue.assign({ agentState: params.state });
    }),
    setUserState: enqueueActions<SessionMachineContext, SessionMachineEvent, { state: UserState }, SessionMachineEvent, never, never, never, never, SessionMachineEmitted>(({ context, enqueue }, params) => {
      if (context.userState === params.state) return;
      enqueue.emit({ type: 'user_state_changed', oldState: context.userState, newState: params.state });
      enqueue.assign({ userState: params.state });
    }),
    // Static from/to: a move inside `running` needs no context update (an assign copies the whole
    // snapshot, the largest cost of a move).
    announceAgentMove: emit((_, params: { from: AgentState; to: AgentState }) => ({
      type: 'agent_state_changed' as const,
      oldState: params.from,
      newState: params.to,
    })),
    // biome-ignore lint: stateIn() is typed for any set of guards
    recordAgentState: enqueueActions<SessionMachineContext, SessionMachineEvent, undefined, SessionMachineEvent, never, never, any, never, SessionMachineEmitted>(({ enqueue, check }) => {
      // Exit actions see the snapshot from before the exit: where the agent region was.
      for (const state of ['listening', 'thinking', 'speaking'] as const) {
        if (check(stateIn(`#session.running.agent.${state}`))) enqueue.assign({ agentState: state });
      }
    }),
    // A timer restarted by an action rather than by re-entering user.listening: that re-entry was a
    // second microstep on every return of the agent to listening.
    armAwayTimer: enqueueActions<SessionMachineContext, SessionMachineEvent, undefined, SessionMachineEvent, never, never, never, 'userAwayTimeout', SessionMachineEmitted>(({ context, enqueue }) => {
      enqueue.cancel(AWAY_TIMER);
      if (context.userAwayTimeout !== null) enqueue.raise({ type: 'user.away' }, { id: AWAY_TIMER, delay: 'userAwayTimeout' });
    }),
    stopAwayTimer: cancel(AWAY_TIMER),
    announceSpeech: emit(({ event }) => {
      if (event.type !== 'speech.created') throw new Error(`announceSpeech on ${event.type}`);
      return { type: 'speech_created' as const, speechHandle: event.speechHandle, source: event.source, userInitiated: event.userInitiated };
    }),
    announceItem: emit(({ event }) => {
      if (event.type !== 'item.added') throw new Error(`announceItem on ${event.type}`);
      return { type: 'conversation_item_added' as const, item: event.item };
    }),
    announceTranscript: emit(({ event }) => {
      if (event.type !== 'user.transcribed') throw new Error(`announceTranscript on ${event.type}`);
      return { type: 'user_input_transcribed' as const, transcript: event.transcript, isFinal: event.isFinal, language: event.language };
    }),
    announceToolsExecuted: emit(({ event }) => {
      if (event.type !== 'tools.executed') throw new Error(`announceToolsExecuted on ${event.type}`);
      return { type: 'function_tools_executed' as const, functionCalls: event.functionCalls, functionCallOutputs: event.functionCallOutputs };
    }),
    reportError: emit((_, params: { error: unknown }) => ({ type: 'error' as const, error: params.error })),
    recordCloseRequest: assign(({ context, event }) => {
      if (event.type !== 'close' || context.closeReason !== undefined) return { closeRequested: true };
      return { closeRequested: true, closeReason: event.reason, closeError: event.error };
    }),
    recordStartFailure: assign(({ context, event }) => ({
      closeReason: context.closeReason ?? ('error' as const),
      closeError: context.closeError ?? (event as { error?: unknown }).error,
    })),
    // src/session provides it: force-interrupts the speech in flight and the queue.
    interruptSpeech: () => {},
    announceClose: emit(({ context }) => ({
      type: 'close' as const,
      reason: context.closeReason ?? 'user_initiated',
      error: context.closeError,
    })),
  },
}).createMachine({
  id: 'session',
  context: ({ input }) => ({
    ...input,
    agentState: 'initializing',
    userState: 'listening',
    closeRequested: false,
    closeReason: undefined,
    closeError: undefined,
  }),
  initial: 'idle',
  on: {
    'speech.created': { actions: 'announceSpeech' },
    'item.added': { actions: 'announceItem' },
    'user.transcribed': { actions: 'announceTranscript' },
    'tools.executed': { actions: 'announceToolsExecuted' },
    'error.reported': { actions: { type: 'reportError', params: ({ event }) => ({ error: event.error }) } },
    // Outside `running` (the agent says goodbye while draining, a speech is cut off while
    // closing) the states are only recorded; inside it, its regions take these events, and one a
    // region's state ignores (typed text while the user speaks) must not change the recorded state
    // behind the region's back.
    'agent.listening': { guard: 'outsideRunning', actions: { type: 'setAgentState', params: { state: 'listening' } } },
    'agent.thinking': { guard: 'outsideRunning', actions: { type: 'setAgentState', params: { state: 'thinking' } } },
    'agent.speaking': { guard: 'outsideRunning', actions: { type: 'setAgentState', params: { state: 'speaking' } } },
    'user.speechStarted': { guard: 'outsideRunning', actions: { type: 'setUserState', params: { state: 'speaking' } } },
    'user.speechEnded': { guard: 'outsideRunning', actions: { type: 'setUserState', params: { state: 'listening' } } },
    'user.active': { guard: 'outsideRunning', actions: { type: 'setUserState', params: { state: 'listening' } } },
  },
  states: {
    idle: {
      on: {
        start: 'starting',
        close: { target: 'closed', actions: 'recordCloseRequest' },
      },
    },
    starting: {
      invoke: {
        id: 'startSession',
        src: 'startSession',
        onDone: [
          { guard: 'closeRequested', target: 'draining' },
          { target: 'running', actions: { type: 'setAgentState', params: { state: 'listening' } } },
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
      type: 'parallel',
      exit: ['stopAwayTimer', 'recordAgentState'],
      on: {
        drain: 'draining',
        close: [
          { guard: 'withoutDrain', target: 'draining', actions: ['recordCloseRequest', 'interruptSpeech'] },
          { target: 'draining', actions: 'recordCloseRequest' },
        ],
      },
      states: {
        agent: {
          initial: 'listening',
          states: {
            listening: {
              entry: 'armAwayTimer',
              on: {
                'agent.thinking': { target: 'thinking', actions: { type: 'announceAgentMove', params: { from: 'listening', to: 'thinking' } } },
                'agent.speaking': { target: 'speaking', actions: { type: 'announceAgentMove', params: { from: 'listening', to: 'speaking' } } },
              },
            },
            thinking: {
              on: {
                'agent.speaking': { target: 'speaking', actions: { type: 'announceAgentMove', params: { from: 'thinking', to: 'speaking' } } },
                'agent.listening': { target: 'listening', actions: { type: 'announceAgentMove', params: { from: 'thinking', to: 'listening' } } },
              },
            },
            speaking: {
              on: {
                'agent.thinking': { target: 'thinking', actions: { type: 'announceAgentMove', params: { from: 'speaking', to: 'thinking' } } },
                'agent.listening': { target: 'listening', actions: { type: 'announceAgentMove', params: { from: 'speaking', to: 'listening' } } },
              },
            },
          },
        },
        user: {
          initial: 'listening',
          states: {
            listening: {
              entry: [{ type: 'setUserState', params: { state: 'listening' } }, 'armAwayTimer'],
              on: {
                'user.speechStarted': 'speaking',
                // Silence is counted from the later of the agent's return to listening and the user's last activity.
                'user.active': { actions: 'armAwayTimer' },
                'user.away': { guard: 'agentIsListening', target: 'away' },
              },
            },
            speaking: {
              entry: { type: 'setUserState', params: { state: 'speaking' } },
              on: { 'user.speechEnded': 'listening' },
            },
            away: {
              entry: { type: 'setUserState', params: { state: 'away' } },
              on: { 'user.speechStarted': 'speaking', 'user.active': 'listening' },
            },
          },
        },
      },
    },
    draining: {
      initial: 'exitingAgent',
      on: {
        close: [
          { guard: 'withoutDrain', actions: ['recordCloseRequest', 'interruptSpeech'] },
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
            onDone: 'drained',
            onError: {
              target: 'drained',
              actions: { type: 'reportError', params: ({ event }) => ({ error: event.error }) },
            },
          },
          after: {
            speechDrainTimeout: {
              target: 'drained',
              actions: [
                'interruptSpeech',
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
          always: { guard: 'closeRequested', target: '#session.closing' },
        },
      },
    },
    closing: {
      invoke: {
        id: 'releaseResources',
        src: 'releaseResources',
        input: ({ context }) => ({ reason: context.closeReason ?? 'user_initiated', error: context.closeError }),
        onDone: 'closed',
        onError: {
          target: 'closed',
          actions: { type: 'reportError', params: ({ event }) => ({ error: event.error }) },
        },
      },
      after: {
        closeTimeout: {
          target: 'closed',
          actions: {
            type: 'reportError',
            params: ({ context }) => ({
              error: { kind: 'timeout', phase: 'close', timeoutMs: context.closeTimeout } satisfies SessionTimeout,
            }),
          },
        },
      },
    },
    closed: {
      type: 'final',
      entry: [{ type: 'setAgentState', params: { state: 'idle' } }, 'announceClose'],
    },
  },
  output: ({ context }) => ({ reason: context.closeReason ?? 'user_initiated', error: context.closeError }),
});

/** The agent's state in a session snapshot: the agent region's while running, the recorded one otherwise. */
export function agentStateOf(snapshot: { value: unknown; context: SessionMachineContext }): AgentState {
  const running = (snapshot.value as { running?: { agent: AgentState } }).running;
  return running ? running.agent : snapshot.context.agentState;
}
