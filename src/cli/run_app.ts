/**
 * The command line of an agent program, as LiveKit's `cli.run_app(server)` and agents-js's
 * `cli.runApp(new ServerOptions({ agent }))`:
 *
 *   npx tsx my_agent.ts console [--inspect]
 *   npx tsx my_agent.ts console --replay report.json   (a finished conversation on the inspector page)
 *   npx tsx my_agent.ts start | dev [--inspect] | connect --room NAME   (a LiveKit worker: see run_worker.ts)
 *
 * runApp acts only when the agent program's file is the program being run (so importing an agent
 * module, e.g. in a test or a job process, starts nothing).
 */
import { realpathSync } from 'node:fs';
import { runConsole } from '../console/console.js';
import type { AgentServer } from '../server/agent_server.js';
import { callerModule } from '../server/caller_module.js';
import { ConfigurationError } from '../errors.js';
import { UsageError } from './usage_error.js';
import { agentServerFor, ServerOptions } from '../server/server_options.js';
import type { WorkerRuntime } from './run_worker.js';

const USAGE = `usage: <agent file> <command> [options]

commands:
  console              talk with the agent in this terminal (no server, no credentials needed)
  start                run the worker for production: takes jobs from LiveKit, JSON logs,
                       drains running jobs on SIGTERM/SIGINT
  dev                  run the worker for development: pretty logs, no idle processes
  connect --room NAME  a dev worker that asks LiveKit for a job in room NAME
                       [--participant-identity ID]

console options:
  --inspect            serve voxstate's inspector page (works offline) and the Stately Inspector
                       bridge beside it on 127.0.0.1, and connect every actor to both
  --inspect-port N     port of the inspector page (default 8080; the bridge takes N+1; 0 = free)
  --metadata TEXT      job metadata for the entrypoint
  --input FILE.wav     play a WAV file in real time as your microphone (needs a VAD or STT)
  --output FILE.wav    record the agent's voice to a WAV file (needs a TTS)
  --record DIR         record the conversation into DIR: the user's and the agent's audio in one
                       stereo WAV, and the session report (JSON) beside it
  --replay FILE.json   instead of running the agent, open the inspector page on a session report
                       and play it back (diagrams, events and transcript at a time slider's
                       position) until Ctrl+C; --inspect-port sets the page's port

worker options (start, dev, connect):
  --url URL            LiveKit server (default env LIVEKIT_URL)
  --api-key KEY        default env LIVEKIT_API_KEY
  --api-secret SECRET  default env LIVEKIT_API_SECRET
  --log-level LEVEL    trace|debug|info|warn|error|fatal|silent (default env LOG_LEVEL, else
                       info for start, debug for dev)
  --host HOST          health server interface (default 0.0.0.0, all interfaces, for start;
                       127.0.0.1 for dev and connect)
  --port N             health server port (default 8081 for start, a free one for dev; 0 = free)
  --inspect            dev and connect: as in console, with the jobs run in the worker's process
  --inspect-port N     as in console
`;

export interface RunAppOptions {
  /** Arguments after the program name; defaults to process.argv.slice(2) when this file is the program. */
  argv?: string[];
  /** Worker verbs: replaces parts of the worker's runtime (executor, worker, signals), for tests. */
  runtime?: Partial<WorkerRuntime>;
}

/**
 * Runs the command line of an agent program: `runApp(server)` (an AgentServer, as LiveKit
 * Python's `cli.run_app`) or `runApp(new ServerOptions({ agent }))` (agents-js's form: the module
 * `agent` names exports the agent by default, `defineAgent(...)`).
 *
 * Without `argv`, it acts only when the program being run is the module that registered the
 * server's entrypoint (`runApp(server)`) or that called runApp (`runApp(options)`), so importing
 * an agent module (in a test, or in a job process) starts nothing. It then ends the process with
 * the command's exit code: 0, 1 when the job or worker failed, 2 for a usage mistake or a bad
 * agent module (one line on stderr). In agents-js's form it returns at once: the program's
 * default export can only be read once its module has finished loading.
 *
 * With `argv`, it runs the command and resolves with its exit code, for tests.
 */
export function runApp<U extends Record<string, unknown>>(app: AgentServer<U> | ServerOptions, options: RunAppOptions = {}): Promise<number | undefined> {
  const asProgram = options.argv === undefined;
  if (asProgram && !isMainModule(app instanceof ServerOptions ? callerModule() : app.module)) return Promise.resolve(undefined);
  const exitCode = execute(app, options);
  if (!asProgram) return exitCode;
  void exitCode.then((code) => process.exit(code));
  return app instanceof ServerOptions ? Promise.resolve(undefined) : exitCode;
}

/** Runs the command; resolves with its exit code, having said on stderr what went wrong. */
// biome-ignore lint: the command line runs a server of any user data
async function execute(app: AgentServer<any> | ServerOptions, options: RunAppOptions): Promise<number> {
  try {
    return await run(app instanceof ServerOptions ? await agentServerFor(app) : app, options);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    // Bad input is a usage mistake; anything else is a failure of the program itself (not of a job, which reports its own).
    return error instanceof ConfigurationError ? 2 : 1;
  }
}

// biome-ignore lint: the command line runs a server of any user data
async function run(server: AgentServer<any>, options: RunAppOptions): Promise<number> {
  const argv = options.argv ?? process.argv.slice(2);
  const [command, ...rest] = argv;
  const flag = (name: string) => rest.includes(name);
  const value = (name: string) => {
    const at = rest.indexOf(name);
    return at >= 0 ? rest[at + 1] : undefined;
  };
  switch (command) {
    case 'console': {
      if (flag('--replay')) {
        const file = value('--replay');
        if (file === undefined || file.startsWith('--')) throw new UsageError('--replay needs a session report file: --replay report.json');
        const port = Number(value('--inspect-port') ?? 8080);
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--inspect-port must be an integer 0..65535, got ${JSON.stringify(value('--inspect-port'))}`);
        // Loaded on demand, as the inspector: a console that talks never pays for the replay.
        const { replayInConsole } = await import('../console/replay.js');
        return replayInConsole(file, { port });
      }
      let stopInspector: (() => Promise<void>) | undefined;
      if (flag('--inspect')) {
        // Loaded on demand: the inspector's dependencies cost start-up time nobody else should pay.
        const { startInspection } = await import('../inspect/inspection.js');
        const inspection = await startInspection({ port: Number(value('--inspect-port') ?? 8080), stately: true });
        stopInspector = () => inspection.close();
      }
      const metadata = value('--metadata');
      const audioInput = value('--input');
      const audioOutput = value('--output');
      const record = value('--record');
      if (flag('--record') && (record === undefined || record.startsWith('--'))) throw new UsageError('--record needs a directory');
      const result = await runConsole(server, {
        ...(record === undefined ? {} : { record: { dir: record } }),
        ...(metadata === undefined ? {} : { metadata }),
        ...(audioInput === undefined ? {} : { audioInput }),
        ...(audioOutput === undefined ? {} : { audioOutput }),
      });
      await stopInspector?.();
      return result.status === 'success' ? 0 : setUpWrong(result.error) ? 2 : 1;
    }
    case 'start':
    case 'dev':
    case 'connect': {
      // Loaded on demand, like the inspector: console mode never pays for the worker.
      const { parseWorkerArgs, runWorker } = await import('./run_worker.js');
      return runWorker(server, parseWorkerArgs(command, rest, process.env, server), options.runtime ?? {});
    }
    default:
      process.stderr.write(USAGE);
      return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
  }
}

/** Whether a job failed because the program is set up wrong (an error in its cause chain says so). */
function setUpWrong(error: unknown): boolean {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 8; cause = cause.cause, depth++) {
    if (cause instanceof ConfigurationError) return true;
  }
  return false;
}

function isMainModule(module: string | undefined): boolean {
  const main = process.argv[1];
  if (!module || !main) return false;
  try {
    return realpathSync(main) === realpathSync(module);
  } catch {
    return false;
  }
}
