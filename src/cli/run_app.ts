/**
 * The command line of an agent program, as LiveKit's `cli.run_app(server)`:
 *
 *   npx tsx my_agent.ts console [--inspect]
 *   npx tsx my_agent.ts start | dev [--inspect] | connect --room NAME
 *   npx tsx my_agent.ts start | dev | connect --room NAME   (a LiveKit worker: see run_worker.ts)
 *
 * runApp acts only when the file that registered the server's entrypoint is the program being run
 * (so importing an agent module, e.g. in a test, starts nothing).
 */
import { realpathSync } from 'node:fs';
import { runConsole } from '../console/console.js';
import type { AgentServer } from '../server/agent_server.js';
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

worker options (start, dev, connect):
  --url URL            LiveKit server (default env LIVEKIT_URL)
  --api-key KEY        default env LIVEKIT_API_KEY
  --api-secret SECRET  default env LIVEKIT_API_SECRET
  --log-level LEVEL    trace|debug|info|warn|error|fatal|silent (default env LOG_LEVEL, else
                       info for start, debug for dev)
  --host HOST          health server interface (default 127.0.0.1)
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

export async function runApp<U extends Record<string, unknown>>(server: AgentServer<U>, options: RunAppOptions = {}): Promise<number | undefined> {
  if (options.argv === undefined && !isMainModule(server.module)) return undefined;
  try {
    return await run(server, options);
  } catch (error) {
    // A failure of the program itself (not of a job, which reports its own): say it and exit non-zero.
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    if (options.argv === undefined) process.exit(1);
    return 1;
  }
}

async function run<U extends Record<string, unknown>>(server: AgentServer<U>, options: RunAppOptions): Promise<number> {
  const argv = options.argv ?? process.argv.slice(2);
  const [command, ...rest] = argv;
  const flag = (name: string) => rest.includes(name);
  const value = (name: string) => {
    const at = rest.indexOf(name);
    return at >= 0 ? rest[at + 1] : undefined;
  };
  switch (command) {
    case 'console': {
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
      const result = await runConsole(server, {
        ...(metadata === undefined ? {} : { metadata }),
        ...(audioInput === undefined ? {} : { audioInput }),
        ...(audioOutput === undefined ? {} : { audioOutput }),
      });
      await stopInspector?.();
      const code = result.status === 'success' ? 0 : 1;
      if (options.argv === undefined) process.exit(code);
      return code;
    }
    case 'start':
    case 'dev':
    case 'connect': {
      // Loaded on demand, like the inspector: console mode never pays for the worker.
      const { parseWorkerArgs, runWorker, UsageError } = await import('./run_worker.js');
      let code: number;
      try {
        code = await runWorker(server, parseWorkerArgs(command, rest, process.env, server), options.runtime ?? {});
      } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        process.stderr.write(`${error.message}\n`);
        code = 2;
      }
      if (options.argv === undefined) process.exit(code);
      return code;
    }
    default:
      process.stderr.write(USAGE);
      if (options.argv === undefined) process.exit(command === undefined || command === 'help' || command === '--help' ? 0 : 2);
      return 2;
  }
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
