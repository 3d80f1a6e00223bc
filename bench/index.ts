/**
 * Runs every benchmark module and prints one JSON document: `{ node, date, results: { name: … } }`.
 * `npm run bench` runs it as `node --expose-gc --import tsx bench/index.ts`.
 *
 * Each module exports `async function run(): Promise<Record<string, unknown>>`; adding one is one
 * line in the list below. `npm run bench -- emitter` runs only the named ones.
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
  { name: 'turn', load: () => import('./turn.js') },
  { name: 'job_start', load: () => import('./job_start.js') },
];

const only = process.argv.slice(2);
const results: Record<string, unknown> = {};
for (const { name, load } of benches) {
  if (only.length > 0 && !only.includes(name)) continue;
  const bench = await load();
  results[name] = await bench.run();
}
console.log(JSON.stringify({ node: process.version, date: new Date().toISOString(), results }, null, 2));
