/**
 * The worker verbs of the command line, as LiveKit's:
 *
 *   start    production: JSON logs, prewarmed idle processes (default: the CPUs, up to 4), load threshold 0.7,
 *            health server on all interfaces (0.0.0.0:8081, for container probes); SIGTERM/SIGINT drain
 *            the running jobs, then exit
 *   dev      development: pretty logs, no idle processes, no load threshold, health server on 127.0.0.1 and a
 *            free port; a signal shuts the jobs down at once (no drain)
 *   connect  a dev worker that asks LiveKit for a job in room --room once registered
 *
 * `--inspect` (dev and connect) serves the inspector page and the Stately bridge, on 127.0.0.1 whatever
 * `--host` says (they show what the agent hears and says); jobs then run in the worker's own process,
 * so that their job, session and agent actors are the ones the page shows.
 *
 * A second signal exits at once (code 1). Missing credentials exit 2 with one line, no stack.
 * Secrets (the API key and secret) are never printed.
 */
import type { Writable } from 'node:stream';
import { describe } from '../errors.js';
import { UsageError } from './usage_error.js';
import { LOG_LEVELS, setRootLogger, streamLogger, type Logger } from '../log/logger.js';
import { defaultNumIdleProcesses, type AgentServer } from '../server/agent_server.js';
import { startHealthServer, type HealthServer, type HealthStatus } from '../server/health_server.js';
import type { JobExecutor } from '../worker/running_job.js';
import type { Inspection } from '../inspect/inspection.js';
import type { Worker, WorkerRunOptions } from '../worker/worker.js';

export type WorkerMode = 'start' | 'dev' | 'connect';

/** Where `start` serves its health server by default, as LiveKit's SDKs. */
const ALL_INTERFACES = '0.0.0.0';

export interface WorkerCliOptions {
  mode: WorkerMode;
  url: string;
  apiKey: string;
  apiSecret: string;
  logLevel: string;
  /** Health server interface (default: all interfaces for start, 127.0.0.1 for dev and connect) and port. */
  host: string;
  port: number;
  /** dev, connect: serve the inspector on this port (0: a free one) and run jobs in this process. */
  inspectPort?: number;
  /** connect: the room to ask a job for, and optionally the participant it is about. */
  room?: string;
  participantIdentity?: string;
}

/** Reads the verb's options; the environment supplies what the flags do not. */
export function parseWorkerArgs(mode: WorkerMode, args: readonly string[], env: NodeJS.ProcessEnv = process.env, server?: AgentServer<any>): WorkerCliOptions {
  const values = new Map<string, string>();
  const known = ['--url', '--api-key', '--api-secret', '--log-level', '--port', '--host', '--room', '--participant-identity', '--inspect-port'];
  let inspect = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--inspect') {
      if (mode === 'start') throw new UsageError('--inspect is for "dev" and "connect": a production worker runs jobs in their own processes');
      inspect = true;
      continue;
    }
    const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (!known.includes(name)) throw new UsageError(`unknown option for "${mode}": ${name}`);
    const value = inline ?? args[++i];
    if (value === undefined || (inline === undefined && value.startsWith('--'))) throw new UsageError(`${name} needs a value`);
    values.set(name, value);
  }
  const options = server?.options ?? {};
  const url = values.get('--url') ?? options.wsUrl ?? env.LIVEKIT_URL ?? '';
  const apiKey = values.get('--api-key') ?? options.apiKey ?? env.LIVEKIT_API_KEY ?? '';
  const apiSecret = values.get('--api-secret') ?? options.apiSecret ?? env.LIVEKIT_API_SECRET ?? '';
  const missing = [
    !url && '--url (or LIVEKIT_URL)',
    !apiKey && '--api-key (or LIVEKIT_API_KEY)',
    !apiSecret && '--api-secret (or LIVEKIT_API_SECRET)',
  ].filter(Boolean);
  if (missing.length > 0) throw new UsageError(`"${mode}" needs the LiveKit server and its API credentials: set ${missing.join(', ')}`);
  if (!/^(wss?|https?):\/\//.test(url)) throw new UsageError(`--url must be a ws://, wss://, http:// or https:// URL, got ${JSON.stringify(url)}`);
  const logLevel = values.get('--log-level') ?? (env.LOG_LEVEL || options.logLevel || (mode === 'start' ? 'info' : 'debug'));
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(logLevel)}`);
  const portText = values.get('--port');
  const port = portText === undefined ? (options.port ?? (mode === 'start' ? 8081 : 0)) : Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be an integer 0..65535, got ${JSON.stringify(portText)}`);
  const room = values.get('--room');
  if (mode === 'connect' && !room) throw new UsageError('"connect" needs --room NAME');
  if (mode !== 'connect' && (room !== undefined || values.has('--participant-identity'))) throw new UsageError(`--room and --participant-identity are options of "connect", not "${mode}"`);
  const participantIdentity = values.get('--participant-identity');
  const inspectText = values.get('--inspect-port');
  if (inspectText !== undefined && !inspect) throw new UsageError('--inspect-port goes with --inspect');
  const inspectPort = inspect ? Number(inspectText ?? 8080) : undefined;
  if (inspectPort !== undefined && (!Number.isInteger(inspectPort) || inspectPort < 0 || inspectPort > 65535)) {
    throw new UsageError(`--inspect-port must be an integer 0..65535, got ${JSON.stringify(inspectText)}`);
  }
  return {
    ...(inspectPort === undefined ? {} : { inspectPort }),
    mode,
    url,
    apiKey,
    apiSecret,
    logLevel,
    // A container orchestrator probes a production worker on the pod's address; the health server serves no secrets.
    host: values.get('--host') ?? options.host ?? (mode === 'start' ? ALL_INTERFACES : '127.0.0.1'),
    port,
    ...(room ? { room } : {}),
    ...(participantIdentity ? { participantIdentity } : {}),
  };
}

/** The worker as the verbs use it (Worker, or a stand-in in tests). */
export type WorkerLike = Pick<Worker, 'run' | 'drain' | 'aclose' | 'simulateJob' | 'status' | 'events'>;

export interface ExecutorSettings {
  numIdleProcesses: number;
  logger: Logger;
  /** Run jobs in this process (dev --inspect), each joining its LiveKit room here. */
  inProcess?: boolean;
}

/** What runWorker needs from the outside world; tests replace parts of it. */
export interface WorkerRuntime {
  createExecutor(server: AgentServer<any>, settings: ExecutorSettings): Promise<JobExecutor>;
  createWorker(server: AgentServer<any>, options: WorkerRunOptions): Promise<WorkerLike>;
  /** Where SIGTERM/SIGINT come from (default: the process). */
  signals: Pick<NodeJS.Process, 'on' | 'off'>;
  /** Exits at once, on the second signal. */
  exit(code: number): void;
  /** Log output: stderr by default. */
  logStream: Writable;
}

/** Executors and Worker, loaded on first use (the console never needs them). */
export const defaultRuntime: WorkerRuntime = {
  async createExecutor(server, settings) {
    const { createExecutor } = await import('./worker_executor.js');
    return createExecutor(server, settings);
  },
  async createWorker(server, options) {
    const { Worker } = await import('../worker/worker.js');
    return new Worker(server, options);
  },
  signals: process,
  exit: (code) => process.exit(code),
  logStream: process.stderr,
};

/**
 * Runs the worker until it is closed (a signal, or a failure): resolves with the exit code.
 * 0 after a signal-initiated shutdown, 1 when the worker failed (LiveKit unreachable, credentials refused).
 */
export async function runWorker(server: AgentServer<any>, options: WorkerCliOptions, runtime: Partial<WorkerRuntime> = {}): Promise<number> {
  const rt: WorkerRuntime = { ...defaultRuntime, ...runtime };
  const logger = streamLogger({ pretty: options.mode !== 'start', level: options.logLevel }, rt.logStream);
  setRootLogger(logger);
  const production = options.mode === 'start';
  // Job processes (and ctx.deleteRoom()) find the server through the environment, as in LiveKit.
  process.env.LIVEKIT_URL = options.url;
  process.env.LIVEKIT_API_KEY = options.apiKey;
  process.env.LIVEKIT_API_SECRET = options.apiSecret;
  if (!production) process.env.LIVEKIT_DEV_MODE = '1';

  const numIdleProcesses = server.options.numIdleProcesses ?? (production ? defaultNumIdleProcesses() : 0);
  let inspection: Inspection | undefined;
  if (options.inspectPort !== undefined) {
    const { startInspection } = await import('../inspect/inspection.js');
    inspection = await startInspection({ port: options.inspectPort, stately: true });
    logger.info({ inspector: inspection.pageUrl }, '--inspect: jobs run in the worker process, so the inspector sees their actors');
  }
  const executor = await rt.createExecutor(server, { numIdleProcesses, logger, inProcess: inspection !== undefined });
  const worker = await rt.createWorker(server, {
    executor,
    wsUrl: options.url,
    apiKey: options.apiKey,
    apiSecret: options.apiSecret,
    loadThreshold: server.options.loadThreshold ?? (production ? 0.7 : Number.POSITIVE_INFINITY),
    logger,
  });
  // The worker logs its own errors (and emits them on worker.events).

  let health: HealthServer | undefined;
  try {
    health = await startHealthServer({
      status: () => worker.status as HealthStatus,
      host: options.host,
      port: options.port,
      ...(server.options.workerType ? { workerType: server.options.workerType } : {}),
    });
  } catch (error) {
    await worker.aclose().catch(() => {});
    await inspection?.close();
    throw error;
  }
  logger.info({ mode: options.mode, url: options.url, health: health.url, numIdleProcesses, agentName: server.agentName }, 'worker starting');

  if (options.mode === 'connect') {
    const room = options.room!;
    worker.events.once('registered', () => {
      worker.simulateJob(room, options.participantIdentity).then(
        () => logger.info({ room, participant: options.participantIdentity }, 'asked LiveKit for a job in the room'),
        (error: unknown) => logger.error({ err: error, room }, `could not ask for a job in room ${room}: ${describe(error)}`),
      );
    });
  }

  let stopping: Promise<void> | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      rt.exit(1);
      return;
    }
    stopping = (async () => {
      if (production) {
        logger.info({ signal, activeJobs: worker.status.activeJobs }, 'draining the worker');
        await worker.drain().catch((error: unknown) => logger.warn({ err: error }, `drain did not complete (${describe(error)}), forcing shutdown`));
      } else {
        logger.info({ signal }, 'shutting the worker down');
      }
      await worker.aclose();
    })();
  };
  rt.signals.on('SIGTERM', onSignal);
  rt.signals.on('SIGINT', onSignal);
  try {
    await worker.run();
    logger.info('worker closed');
    return 0;
  } catch (error) {
    logger.fatal({ err: error }, `worker failed: ${describe(error)}`);
    await worker.aclose().catch(() => {});
    return 1;
  } finally {
    await stopping?.catch(() => {});
    rt.signals.off('SIGTERM', onSignal);
    rt.signals.off('SIGINT', onSignal);
    await health.close();
    await inspection?.close();
    logger.flush?.();
  }
}
