#!/usr/bin/env node
/**
 * The `voxstate` command: what a developer does with their files without running an agent.
 *
 *   voxstate viz <file> [--out DIR]   draw the flows and machines <file> exports (see src/viz/draw_module.ts)
 *   voxstate replay <report.json> [--port N]   play a session report back on the inspector page
 *
 * Agent programs have their own command line (run_app.ts: `npx tsx my_agent.ts console`).
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const USAGE = `usage: voxstate <command>

commands:
  viz <file> [--out DIR]  write <id>.mmd and <id>.svg for every flow (defineFlow) and state machine
                          <file> exports (TypeScript through tsx), into DIR (default: a
                          visualizations/ folder beside the file); prints the paths written
  replay <report.json> [--port N]
                          serve the inspector page on a session report (a recording's .json,
                          ctx.makeSessionReport()): its timeline on the diagrams, with a time
                          slider, the events and the transcript; port 8080 by default, 0 = free
`;

/** Runs the command line `argv` (the arguments after `voxstate`); resolves with its exit code. */
export async function voxstateCommand(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'viz': {
      // Loaded on demand: the layout's dagre is for this verb only.
      const { runDrawModule } = await import('../viz/run_draw_module.js');
      const [file, ...options] = rest;
      return runDrawModule(file, options, 'voxstate viz <file> [--out DIR]');
    }
    case 'replay': {
      const [file, ...options] = rest;
      const portAt = options.indexOf('--port');
      const port = portAt >= 0 ? Number(options[portAt + 1]) : 8080;
      const known = portAt >= 0 ? 2 : 0;
      if (file === undefined || file.startsWith('--') || options.length !== known || !Number.isInteger(port) || port < 0 || port > 65535) {
        process.stderr.write(`usage: voxstate replay <report.json> [--port N]\n`);
        return 2;
      }
      // The console's replay: the page until Ctrl+C or the end of input.
      const { replayInConsole } = await import('../console/replay.js');
      return replayInConsole(file, { port });
    }
    default:
      process.stderr.write(USAGE);
      return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
  }
}

function isProgram(): boolean {
  const main = process.argv[1];
  if (!main) return false;
  try {
    return realpathSync(main) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isProgram()) {
  const code = await voxstateCommand(process.argv.slice(2));
  // A user's module may leave a timer or a socket open: the command is done all the same.
  process.exit(code);
}
