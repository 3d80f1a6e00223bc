/**
 * The life of one Agent inside a session.
 *
 * `entering` runs the agent's onEnter hook, `exiting` its onExit hook, each exactly once and each
 * bounded by `hookTimeout`: a hook that throws or hangs is reported and the agent moves on. While a
 * sub-task (an AgentTask) takes over the conversation the agent is `paused`; it resumes without
 * running onEnter again. An agent that never entered exits without running onExit.
 */
import { assign, emit, fromPromise, setup } from 'xstate';

export type AgentHook = 'onEnter' | 'onExit';

export interface AgentMachineInput {
  agentId: string;
  /** Upper bound for onEnter and for onExit, in ms. */
  hookTimeout: number;
}

export interface AgentMachineContext extends AgentMachineInput {
  entered: boolean;
}

export type AgentMachineEvent =
  | { type: 'enter' }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'exit' };

export type AgentMachineEmitted =
  | { type: 'hook_failed'; hook: AgentHook; error: unknown }
  | { type: 'hook_timed_out'; hook: AgentHook; timeoutMs: number };

export const agentMachine = setup({
  types: {
    input: {} as AgentMachineInput,
    context: {} as AgentMachineContext,
    events: {} as AgentMachineEvent,
    emitted: {} as AgentMachineEmitted,
  },
  actors: {
    // The hooks are the user's code; src/agent provides them. Here they finish at once.
    onEnter: fromPromise<void>(async () => {}),
    onExit: fromPromise<void>(async () => {}),
  },
  delays: {
    hookTimeout: ({ context }) => context.hookTimeout,
  },
  actions: {
    markEntered: assign({ entered: true }),
    reportHookFailure: emit((_, params: { hook: AgentHook; error: unknown }) => ({
      type: 'hook_failed' as const,
      hook: params.hook,
      error: params.error,
    })),
    reportHookTimeout: emit(({ context }, params: { hook: AgentHook }) => ({
      type: 'hook_timed_out' as const,
      hook: params.hook,
      timeoutMs: context.hookTimeout,
    })),
  },
}).createMachine({
  id: 'agent',
  context: ({ input }) => ({ ...input, entered: false }),
  initial: 'inactive',
  states: {
    inactive: {
      on: {
        enter: 'entering',
        exit: 'exited',
      },
    },
    entering: {
      entry: 'markEntered',
      invoke: {
        id: 'onEnter',
        src: 'onEnter',
        onDone: 'active',
        onError: {
          target: 'active',
          actions: { type: 'reportHookFailure', params: ({ event }) => ({ hook: 'onEnter', error: event.error }) },
        },
      },
      after: {
        hookTimeout: { target: 'active', actions: { type: 'reportHookTimeout', params: { hook: 'onEnter' } } },
      },
      on: { exit: 'exiting' },
    },
    active: {
      on: {
        pause: 'paused',
        exit: 'exiting',
      },
    },
    paused: {
      on: {
        resume: 'active',
        exit: 'exiting',
      },
    },
    exiting: {
      invoke: {
        id: 'onExit',
        src: 'onExit',
        onDone: 'exited',
        onError: {
          target: 'exited',
          actions: { type: 'reportHookFailure', params: ({ event }) => ({ hook: 'onExit', error: event.error }) },
        },
      },
      after: {
        hookTimeout: { target: 'exited', actions: { type: 'reportHookTimeout', params: { hook: 'onExit' } } },
      },
    },
    exited: { type: 'final' },
  },
  output: ({ context }) => ({ agentId: context.agentId, entered: context.entered }),
});
