/**
 * ServerOptions: agents-js's way to configure an agent program, with its option names and
 * defaults. It runs on the same machinery as AgentServer: `cli.runApp(options)` loads the module
 * `agent` names and builds an AgentServer from its default export (agentServerFor below); job
 * processes import that module by path.
 *
 *   export default defineAgent({ entry: async (ctx) => { ... } });
 *   cli.runApp(new ServerOptions({ agent: fileURLToPath(import.meta.url), agentName: 'support' }));
 *
 * The constructor never throws, as the module's top level runs again in every job process: what
 * is wrong is reported by runApp (one line, exit code 2) or agentServerFor (a typed error).
 */
import type { JobType } from '@livekit/protocol';
import { loadAgentDefinition } from './agent_module.js';
import { AgentServer, WorkerPermissions, type JobRequest, type LoadedWorker } from './agent_server.js';
import { ServerOptionsError } from './errors.js';

/** LiveKit's JobType values a worker can register for (the numbers of @livekit/protocol's JobType, not loaded here). */
const SERVER_TYPES = new Map<number, 'room' | 'publisher'>([
  [0 satisfies JobType.JT_ROOM, 'room'],
  [1 satisfies JobType.JT_PUBLISHER, 'publisher'],
]);

/** ServerOptions' constructor argument: agents-js's names; `agent` is required. */
export interface ServerOptionsInit {
  /** Path of the module whose default export is the agent's defineAgent(...) (e.g. `fileURLToPath(import.meta.url)`). */
  agent: string;
  /** Decides on each job LiveKit offers: `job.accept()` or `job.reject()` (default: accept). */
  requestFunc?: (job: JobRequest) => unknown;
  /** The worker's load, 0..1, sampled every 2.5 s (default: the machine's CPU use). */
  loadFunc?: (worker: LoadedWorker) => number | Promise<number>;
  /** At or above this load the worker takes no jobs (default 0.7 with `start`, none with `dev`). */
  loadThreshold?: number;
  /** Prewarmed idle job processes (default with `start`: the CPUs, up to 4; 0 with `dev`). */
  numIdleProcesses?: number;
  /** How long draining waits for running jobs, in ms (default 3600000: an hour). */
  drainTimeout?: number;
  /** Bound of a job's shutdown callbacks, then its process is killed, in ms (default 60000). */
  shutdownProcessTimeout?: number;
  /** Bound of importing the agent module and running `prewarm` in a new process, in ms (default 10000). */
  initializeProcessTimeout?: number;
  /** The agent's permissions in its rooms (default: all but hidden). */
  permissions?: WorkerPermissions | Partial<WorkerPermissions>;
  /** Non-empty: explicit dispatch, by this name (default env LIVEKIT_AGENT_NAME, else ''). */
  agentName?: string;
  /** JobType.JT_ROOM (default: a job per room) or JobType.JT_PUBLISHER (a job per publisher). JT_PARTICIPANT is not supported. */
  serverType?: JobType;
  /** Reconnections to LiveKit in a row before the worker gives up (default 10). */
  maxRetry?: number;
  /** LiveKit server URL (default: --url, else env LIVEKIT_URL; voxstate has no localhost fallback). */
  wsURL?: string;
  /** Default: --api-key, else env LIVEKIT_API_KEY. */
  apiKey?: string;
  /** Default: --api-secret, else env LIVEKIT_API_SECRET. */
  apiSecret?: string;
  /** The health server's interface (default: all interfaces (0.0.0.0) with `start`, so container probes reach it; 127.0.0.1 with `dev`). */
  host?: string;
  /** The health server's port (default 8081 with `start`, a free one with `dev`). */
  port?: number;
  /** Log level when neither --log-level nor LOG_LEVEL says (default info with `start`, debug with `dev`). */
  logLevel?: string;
  /** Ignored: the CLI verb decides (`start` is production), as agents-js's CLI overrides it. */
  production?: boolean;
  /** Warn when a job process uses more than this, in MB (default 1000; 0 = never). */
  jobMemoryWarnMB?: number;
  /** Kill a job process using more than this, in MB (default 0 = no limit). */
  jobMemoryLimitMB?: number;
}

const KNOWN = new Set<string>([
  'agent',
  'requestFunc',
  'loadFunc',
  'loadThreshold',
  'numIdleProcesses',
  'drainTimeout',
  'shutdownProcessTimeout',
  'initializeProcessTimeout',
  'permissions',
  'agentName',
  'serverType',
  'maxRetry',
  'wsURL',
  'apiKey',
  'apiSecret',
  'host',
  'port',
  'logLevel',
  'production',
  'jobMemoryWarnMB',
  'jobMemoryLimitMB',
]);

/** agents-js options voxstate has no feature for: an error, saying why, rather than silence. */
const UNSUPPORTED: Record<string, string> = {
  workerToken: 'workerToken (LiveKit Cloud agent deployments) is not supported by voxstate',
  simulation: 'simulation (runs driven by `lk simulate`) is not supported by voxstate',
};

/**
 * How an agents-js program configures its worker (`WorkerOptions` is the same class). Fields not
 * given hold agents-js's defaults; the ones that depend on the CLI verb (loadThreshold,
 * numIdleProcesses, host, port, logLevel) stay undefined until the verb is known, as AgentServer's.
 */
export class ServerOptions {
  agent: string;
  requestFunc: ((job: JobRequest) => unknown) | undefined;
  loadFunc: ((worker: LoadedWorker) => number | Promise<number>) | undefined;
  loadThreshold: number | undefined;
  numIdleProcesses: number | undefined;
  drainTimeout: number;
  shutdownProcessTimeout: number;
  initializeProcessTimeout: number;
  permissions: WorkerPermissions | Partial<WorkerPermissions>;
  agentName: string;
  serverType: JobType;
  maxRetry: number;
  wsURL: string | undefined;
  apiKey: string | undefined;
  apiSecret: string | undefined;
  host: string | undefined;
  port: number | undefined;
  logLevel: string | undefined;
  production: boolean;
  jobMemoryWarnMB: number;
  jobMemoryLimitMB: number;
  /** Problems with the options as given, reported by agentServerFor. */
  readonly #problems: string[] = [];

  constructor(init: ServerOptionsInit) {
    const given = (typeof init === 'object' && init !== null ? init : {}) as Partial<ServerOptionsInit>;
    for (const key of Object.keys(given)) {
      if (UNSUPPORTED[key] !== undefined) {
        if ((given as Record<string, unknown>)[key] !== undefined && (given as Record<string, unknown>)[key] !== false) this.#problems.push(UNSUPPORTED[key]);
      } else if (!KNOWN.has(key)) this.#problems.push(`unknown option ${JSON.stringify(key)}`);
    }
    this.agent = given.agent as string;
    this.requestFunc = given.requestFunc;
    this.loadFunc = given.loadFunc;
    this.loadThreshold = given.loadThreshold;
    this.numIdleProcesses = given.numIdleProcesses;
    this.drainTimeout = given.drainTimeout ?? 3_600_000;
    this.shutdownProcessTimeout = given.shutdownProcessTimeout ?? 60_000;
    this.initializeProcessTimeout = given.initializeProcessTimeout ?? 10_000;
    this.permissions = given.permissions ?? new WorkerPermissions();
    this.agentName = given.agentName || process.env.LIVEKIT_AGENT_NAME || '';
    this.serverType = given.serverType ?? (0 satisfies JobType.JT_ROOM);
    this.maxRetry = given.maxRetry ?? 10;
    this.wsURL = given.wsURL;
    this.apiKey = given.apiKey;
    this.apiSecret = given.apiSecret;
    this.host = given.host;
    this.port = given.port;
    this.logLevel = given.logLevel;
    this.production = given.production ?? false;
    this.jobMemoryWarnMB = given.jobMemoryWarnMB ?? 1000;
    this.jobMemoryLimitMB = given.jobMemoryLimitMB ?? 0;
  }

  /** What is wrong with these options, if anything (a ServerOptionsError says it). */
  get problems(): readonly string[] {
    const problems = [...this.#problems];
    if (typeof this.agent !== 'string' || this.agent === '') {
      problems.unshift('agent is required: the path of the module whose default export is defineAgent(...), e.g. fileURLToPath(import.meta.url)');
    }
    if (!SERVER_TYPES.has(this.serverType)) {
      problems.push(`serverType ${String(this.serverType)} is not supported: use JobType.JT_ROOM or JobType.JT_PUBLISHER`);
    }
    return problems;
  }
}

/**
 * agents-js's older name for ServerOptions (deprecated there), and LiveKit Python's name for its
 * options: the same class.
 */
export const WorkerOptions = ServerOptions;
export type WorkerOptions = ServerOptions;

/**
 * The AgentServer that `options` describe: its module loaded (its default export must be a
 * defineAgent definition), and the options under AgentServer's names. Throws a ServerOptionsError
 * for bad options and an AgentModuleError for a bad module.
 */
export async function agentServerFor(options: ServerOptions): Promise<AgentServer> {
  const problems = options.problems;
  if (problems.length > 0) throw new ServerOptionsError(`ServerOptions: ${problems.join('; ')}`);
  const { file, definition } = await loadAgentDefinition(options.agent);
  return AgentServer.fromAgentDefinition(definition, file, {
    agentName: options.agentName,
    ...(options.requestFunc ? { requestFnc: options.requestFunc } : {}),
    ...(options.loadFunc ? { loadFnc: options.loadFunc } : {}),
    ...(options.loadThreshold === undefined ? {} : { loadThreshold: options.loadThreshold }),
    ...(options.numIdleProcesses === undefined ? {} : { numIdleProcesses: options.numIdleProcesses }),
    drainTimeout: options.drainTimeout,
    shutdownProcessTimeout: options.shutdownProcessTimeout,
    initializeProcessTimeout: options.initializeProcessTimeout,
    permissions: options.permissions,
    workerType: SERVER_TYPES.get(options.serverType)!,
    maxRetry: options.maxRetry,
    ...(options.wsURL ? { wsUrl: options.wsURL } : {}),
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
    ...(options.apiSecret ? { apiSecret: options.apiSecret } : {}),
    ...(options.host === undefined ? {} : { host: options.host }),
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.logLevel ? { logLevel: options.logLevel } : {}),
    jobMemoryWarnMb: options.jobMemoryWarnMB,
    jobMemoryLimitMb: options.jobMemoryLimitMB,
  });
}
