/** A job process: a child of this one (child_process.fork), spoken to over its IPC channel. */
import { fork } from 'node:child_process';
import type { ChannelHandlers, ChildRuntime, JobChannel } from './job_channel.js';
import type { ParentMessage } from './ipc_messages.js';
import { TSX_LOADER, siblingModule } from './typescript_loader.js';

export interface ProcessChannelOptions {
  /** Extra node options for the child, e.g. ['--max-old-space-size=256']. */
  execArgv?: readonly string[];
  /** Environment variables added to the parent's for the child. */
  env?: Readonly<Record<string, string>>;
}

const MB = 1024 * 1024;

export function openProcessChannel(options: ProcessChannelOptions, handlers: ChannelHandlers, runtime: ChildRuntime): JobChannel {
  // Not the parent's execArgv: its loaders, inspector ports or test runner flags are not the child's.
  const execArgv = [...(runtime.typescript && TSX_LOADER ? ['--import', TSX_LOADER] : []), ...(options.execArgv ?? [])];
  const child = fork(siblingModule('process_main'), [], {
    execArgv,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'json',
  });
  let gone = false;
  const exited = (code: number | null, signal: string | null) => {
    if (gone) return;
    gone = true;
    handlers.exited(code, signal);
  };
  child.on('spawn', () => handlers.spawned());
  child.on('message', (raw) => handlers.message(raw));
  child.on('exit', (code, signal) => exited(code, signal));
  child.on('error', (error) => {
    // A process that could not be spawned does not always emit 'exit'.
    if (child.pid === undefined) exited(null, null);
    else handlers.error(error);
  });
  return {
    kind: 'process',
    get id() {
      return child.pid;
    },
    send(message: ParentMessage) {
      if (gone || !child.connected) return handlers.undelivered(message.type, new Error("the process's channel is closed"));
      try {
        child.send(message, (error) => {
          if (error) handlers.undelivered(message.type, error);
        });
      } catch (error) {
        handlers.undelivered(message.type, error as Error);
      }
    },
    kill() {
      if (!gone && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    usedMb: (report) => report.rss / MB,
  };
}
