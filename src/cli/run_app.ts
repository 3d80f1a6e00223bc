/**
 * The command line of an agent program, as LiveKit's `cli.run_app(server)`:
 *
 *   npx tsx my_agent.ts console [--inspect]
 *
 * runApp acts only when the file that registered the server's entrypoint is the program being run
 * (so importing an agent module, e.g. in a test, starts nothing).
 */
import { realpathSync } from 'node:fs';
import { runConsole } from '../console/console.js';
import { addInspector } from '../inspect/registry.js';
import type { AgentServer } from '../server/agent_server.js';

const USAGE = `usage: <agent file> <command> [options]

commands:
  console              talk with the agent in this terminal (no server, no credentials needed)

options:
  --inspect            serve the Stately Inspector bridge on 127.0.0.1 and connect every actor to it
  --inspect-port N     port for --inspect (default 8080)
  --metadata TEXT      job metadata for the entrypoint (console)
  --input FILE.wav     play a WAV file in real time as your microphone (console; needs a VAD or STT)
  --output FILE.wav    record the agent's voice to a WAV file (console; needs a TTS)
`;

export interface RunAppOptions {
  /** Arguments after the program name; defaults to process.argv.slice(2) when this file is the program. */
  argv?: string[];
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
        const { startStatelyInspector } = await import('../inspect/stately.js');
        const inspector = await startStatelyInspector({ port: Number(value('--inspect-port') ?? 8080) });
        const remove = addInspector(inspector.inspect);
        process.stdout.write(`Stately Inspector bridge: ${inspector.url}\n`);
        stopInspector = async () => {
          remove();
          await inspector.close();
        };
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
    case 'connect':
      process.stderr.write(`"${command}" needs the LiveKit worker, which this build does not include yet; use "console".\n`);
      if (options.argv === undefined) process.exit(2);
      return 2;
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
