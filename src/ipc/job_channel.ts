/**
 * The parent's end of the link to one job process or thread: how it is started, spoken to and
 * killed. The supervision (src/ipc/supervised_process.ts) is the same for both kinds.
 */
import type { MemoryReport, ParentMessage } from './ipc_messages.js';

/** What a channel tells its supervisor. Each is called from the event loop, never re-entrantly. */
export interface ChannelHandlers {
  /** The process (thread) is running. */
  spawned(): void;
  /** A message arrived; not yet checked. */
  message(raw: unknown): void;
  /**
   * What the process (thread) failed of: it could not be spawned, or the error a thread died of.
   * The supervisor takes it as the cause of the process's end.
   */
  error(error: Error): void;
  /**
   * A message could not be handed over (the channel is closed: the process is exiting or gone).
   * A consequence of the process's end, never its cause.
   */
  undelivered(message: ParentMessage['type'], error: Error): void;
  /** The process (thread) is gone; called once. */
  exited(code: number | null, signal: string | null): void;
}

export interface JobChannel {
  readonly kind: 'process' | 'thread';
  /** The process id, or for a thread its threadId (a pid of this process). */
  readonly id: number | undefined;
  /** Sends a message; one that cannot be handed over is reported through ChannelHandlers.undelivered, never thrown. */
  send(message: ParentMessage): void;
  /** Ends it now, whatever it is doing (SIGKILL; terminate() for a thread). */
  kill(): void;
  /** The memory the limits apply to, in MB: the process's RSS, or the thread's own JS heap. */
  usedMb(report: MemoryReport): number;
}

/** Starts a process (thread) and returns its channel. */
export type OpenChannel = (handlers: ChannelHandlers) => JobChannel;

/** How a process (thread) is started: whether it loads tsx, because the agent module or voxstate itself is TypeScript. */
export interface ChildRuntime {
  typescript: boolean;
}

/** Starts a process (thread) for `runtime` and returns its channel. */
export type OpenChannelFor = (handlers: ChannelHandlers, runtime: ChildRuntime) => JobChannel;
