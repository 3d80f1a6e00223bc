/**
 * Runs every benchmark module and prints one JSON document: `{ node, date, results: { name: … } }`.
 * `npm run bench` runs it as `node --expose-gc --import tsx bench/index.ts`.
 *
 * Each module exports `async function run(): Promise<Record<string, unknown>>`; adding one is one
 * line in the list below. `npm run bench -- emitter` runs only the named ones;
 * `npm run bench -- turn --baseline <rev> [--rounds N]` runs them on a checkout of `rev` and on this
 * one, in turn, in the same run; `--node <path>` runs them by another Node.js binary beside this one
 * (see baseline.ts).
 */
import { createLogger, setRootLogger } from '../src/log/logger.js';

// Benchmarks measure the work, not the logging of it.
setRootLogger(createLogger(process.stderr, { level: process.env.LOG_LEVEL ?? 'silent' }));

type BenchModule = { run: () => Promise<Record<string, unknown>> };

const benches: Array<{ name: string; load: () => Promise<BenchModule> }> = [
  { name: 'import', load: () => import('./import.js') },
  { name: 'emitter', load: () => import('./emitter.js') },
  { name: 'bus', load: () => import('./bus.js') },
  { name: 'session', load: () => import('./session.js') },
  { name: 'vad', load: () => import('./vad.js') },
  { name: 'frame', load: () => import('./frame.js') },
  { name: 'xstate', load: () => import('./xstate.js') },
  { name: 'turn', load: () => import('./turn.js') },
  { name: 'job_start', load: () => import('./job_start.js') },
  { name: 'spread', load: () => import('./spread.js') },
  { name: 'density_sdks', load: () => import('./density_sdks.js') },
  { name: 'realtime', load: () => import('./realtime.js') },
];

const args = process.argv.slice(2);
const option = (flag: string) => {
  const at = args.indexOf(flag);
  if (at < 0) return undefined;
  const [, value] = args.splice(at, 2);
  if (value === undefined) throw new Error(`${flag} needs a value`);
  return value;
};
const rev = option('--baseline');
const node = option('--node');
const rounds = Number(option('--rounds') ?? 1);
const only = args;

if (rev !== undefined || node !== undefined) {
  const { compareWithBaseline } = await import('./baseline.js');
  const comparison = compareWithBaseline(only, { ...(rev === undefined ? {} : { rev }), ...(node === undefined ? {} : { node }) }, rounds);
  console.log(JSON.stringify({ node: process.version, date: new Date().toISOString(), ...comparison }, null, 2));
} else {
  const results: Record<string, unknown> = {};
  for (const { name, load } of benches) {
    if (only.length > 0 && !only.includes(name)) continue;
    const bench = await load();
    results[name] = await bench.run();
  }
  console.log(JSON.stringify({ node: process.version, date: new Date().toISOString(), results }, null, 2));
}
