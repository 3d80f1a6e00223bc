/** A job thread: a worker_threads Worker of this process, spoken to over its message port. */
import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { ChannelHandlers, ChildRuntime, JobChannel } from './job_channel.js';
import type { ParentMessage } from './ipc_messages.js';
import { TSX_REGISTER, siblingModule } from './typescript_loader.js';

export interface ThreadChannelOptions {
  /** V8 limits of the thread's heap, e.g. { maxOldGenerationSizeMb: 256 }: over them only the thread dies. */
  resourceLimits?: ResourceLimits;
  /** Environment variables added to the parent's for the thread (a copy: the thread cannot change ours). */
  env?: Readonly<Record<string, string>>;
}

const MB = 1024 * 1024;

// A worker's execArgv cannot carry module loaders: the thread registers tsx, then imports its main.
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
(async () => {
  if (workerData.register) (await import(workerData.register)).register();
  await import(workerData.main);
})();
`;

export function openThreadChannel(options: ThreadChannelOptions, handlers: ChannelHandlers, runtime: ChildRuntime): JobChannel {
  const worker = new Worker(BOOTSTRAP, {
    eval: true,
    workerData: { main: siblingModule('thread_main').href, register: runtime.typescript ? TSX_REGISTER : undefined },
    env: { ...process.env, ...options.env },
    ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}),
  });
  let gone = false;
  worker.on('online', () => handlers.spawned());
  worker.on('message', (raw) => handlers.message(raw));
  // An uncaught error or running out of heap: the thread is ending; 'exit' follows.
  worker.on('error', (error) => handlers.error(error));
  worker.on('exit', (code) => {
    if (gone) return;
    gone = true;
    handlers.exited(code, null);
  });
  return {
    kind: 'thread',
    id: worker.threadId,
    send(message: ParentMessage) {
      if (gone) return handlers.undelivered(message.type, new Error('the thread has ended'));
      worker.postMessage(message);
    },
    kill() {
      if (!gone) void worker.terminate();
    },
    usedMb: (report) => report.heapUsed / MB,
  };
}
