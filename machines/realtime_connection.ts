/**
 * The connection of a realtime model's session (speech to speech over one WebSocket):
 * connecting → ready, and back through reconnecting when it drops, until it is closed.
 *
 * - `connecting` opens the socket and waits for the server to say its session is there, bounded by
 *   `timeoutMs`. A failed or timed-out attempt is tried again after `retryIntervalMs`, at most
 *   `maxRetry` times in a row, unless its error says it is not worth it (`recoverable: false`, e.g.
 *   a refused key); then the connection has `failed` (reported once).
 * - `ready` until the socket drops (then `reconnecting`, the attempts counted afresh) or a close.
 * - A close from any state ends it: `closed`; an open socket is shut first.
 * - `ready` is announced each time, saying whether it is a reconnection (the session's state
 *   must then be sent again: the server forgets it with the socket).
 */
import { assign, emit, fromPromise, setup } from 'xstate';

export interface RealtimeConnectionInput {
  /** Attempts after the first failed one, in a row. */
  maxRetry: number;
  retryIntervalMs: number;
  /** Bound of one attempt, from opening the socket to the server's session. */
  timeoutMs: number;
}

export interface RealtimeConnectionContext extends RealtimeConnectionInput {
  /** Failed attempts in a row. */
  failures: number;
  /** Whether it has been ready before (the next ready is a reconnection). */
  connectedBefore: boolean;
  lastError: unknown;
}

export type RealtimeConnectionEvent = { type: 'dropped'; error: unknown } | { type: 'close' };

/** The reason the machine gives for an attempt that took too long (the implementation types it). */
export interface RealtimeConnectTimeout {
  kind: 'timeout';
  timeoutMs: number;
}

export type RealtimeConnectionEmitted =
  | { type: 'ready'; reconnected: boolean }
  | { type: 'retrying'; error: unknown; attempt: number }
  | { type: 'failed'; error: unknown; attempts: number };

export const realtimeConnectionMachine = setup({
  types: {
    input: {} as RealtimeConnectionInput,
    context: {} as RealtimeConnectionContext,
    events: {} as RealtimeConnectionEvent,
    emitted: {} as RealtimeConnectionEmitted,
  },
  actors: {
    // src/plugins provides them: open the socket and wait for the session; shut it.
    open: fromPromise<void>(async () => {}),
    shut: fromPromise<void>(async () => {}),
  },
  delays: {
    timeoutMs: ({ context }) => context.timeoutMs,
    retryIntervalMs: ({ context }) => context.retryIntervalMs,
  },
  guards: {
    worthRetrying: ({ context }) => context.failures <= context.maxRetry && (context.lastError as { recoverable?: unknown } | undefined)?.recoverable !== false,
  },
  actions: {
    recordFailure: assign({
      failures: ({ context }) => context.failures + 1,
      lastError: (_, params: { error: unknown }) => params.error,
    }),
    announceRetry: emit(({ context }) => ({ type: 'retrying' as const, error: context.lastError, attempt: context.failures + 1 })),
    announceReady: emit(({ context }) => ({ type: 'ready' as const, reconnected: context.connectedBefore })),
    markReady: assign({ failures: 0, connectedBefore: true }),
    recordDrop: assign({ lastError: (_, params: { error: unknown }) => params.error }),
    announceFailure: emit(({ context }) => ({ type: 'failed' as const, error: context.lastError, attempts: context.failures })),
  },
}).createMachine({
  id: 'realtimeConnection',
  context: ({ input }) => ({ ...input, failures: 0, connectedBefore: false, lastError: undefined }),
  initial: 'connecting',
  on: {
    close: '.closed',
  },
  states: {
    connecting: {
      invoke: {
        src: 'open',
        onDone: { target: 'ready', actions: ['announceReady', 'markReady'] },
        onError: { target: 'attemptFailed', actions: { type: 'recordFailure', params: ({ event }) => ({ error: event.error }) } },
      },
      after: {
        timeoutMs: {
          target: 'attemptFailed',
          actions: { type: 'recordFailure', params: ({ context }) => ({ error: { kind: 'timeout', timeoutMs: context.timeoutMs } satisfies RealtimeConnectTimeout }) },
        },
      },
    },
    // Decides, once the failure is counted, whether to try again.
    attemptFailed: {
      always: [{ guard: 'worthRetrying', target: 'reconnecting', actions: 'announceRetry' }, { target: 'failed' }],
    },
    ready: {
      on: {
        dropped: { target: 'reconnecting', actions: [{ type: 'recordDrop', params: ({ event }) => ({ error: event.error }) }, 'announceRetry'] },
        close: 'closing',
      },
    },
    reconnecting: {
      after: { retryIntervalMs: 'connecting' },
    },
    closing: {
      invoke: { src: 'shut', onDone: 'closed', onError: 'closed' },
    },
    closed: { type: 'final' },
    failed: {
      type: 'final',
      entry: 'announceFailure',
    },
  },
});
