/**
 * What `import 'voxstate'` costs an application: wall time of the import and the process's RSS
 * after it, in fresh Node processes on the compiled package (`npm run build` first, as users get
 * it), beside two baselines measured in the same run: Node alone, and Node importing xstate alone
 * (the floor: voxstate cannot cost less than its core dependency). Also which packages the import
 * loads: the inspector's diagram layout, onnxruntime-node and rtc-node must not be among them.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUNS = 9;

/** One fresh process: imports `specifiers` in order, prints { ms, rssMb }. */
const PROBE = `
const start = performance.now();
for (const specifier of JSON.parse(process.argv[1])) await import(specifier);
const ms = performance.now() - start;
console.log(JSON.stringify({ ms, rssMb: process.memoryUsage().rss / 2 ** 20 }));
`;

/** The packages an import loads, seen by a resolve hook (which costs time and memory of its own, so it is a separate run). */
const LOADED = `
import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
const { port1, port2 } = new MessageChannel();
const loaded = new Set();
port1.on('message', (name) => loaded.add(name));
port1.unref();
register('data:text/javascript,' + encodeURIComponent(\`
  let port;
  export function initialize(data) { port = data.port; }
  export async function resolve(specifier, context, next) {
    const result = await next(specifier, context);
    const match = /\\\\/node_modules\\\\/((?:@[^/]+\\\\/)?[^/]+)\\\\//.exec(result.url);
    if (match) port.postMessage(match[1]);
    return result;
  }\`), { data: { port: port2 }, transferList: [port2] });
for (const specifier of JSON.parse(process.argv[1])) await import(specifier);
await new Promise((resolve) => setImmediate(resolve));
console.log(JSON.stringify([...loaded].sort()));
`;

function node<T>(script: string, specifiers: string[]): T {
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(specifiers)], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`import probe failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const round = (value: number) => Math.round(value * 10) / 10;

function measure(specifiers: string[]) {
  const probes: Array<{ ms: number; rssMb: number }> = [];
  for (let i = 0; i < RUNS; i++) probes.push(node(PROBE, specifiers));
  return { importMsP50: round(median(probes.map((p) => p.ms))), rssMbP50: round(median(probes.map((p) => p.rssMb))) };
}

export async function run(): Promise<Record<string, unknown>> {
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
  const dist = (path: string) => new URL(`../dist/${path}`, import.meta.url).href;
  const alone = measure([]);
  const xstate = measure(['xstate']);
  const voxstate = measure([dist('src/index.js')]);
  const all = measure([dist('src/index.js'), dist('machines/index.js'), dist('src/testing/index.js')]);
  return {
    runs: RUNS,
    baseline: { nodeAlone: { rssMbP50: alone.rssMbP50 }, xstateAlone: { importMsP50: xstate.importMsP50, rssMbP50: xstate.rssMbP50 } },
    voxstate: { ...voxstate, packagesLoaded: node<string[]>(LOADED, [dist('src/index.js')]) },
    everyEntry: all,
    addedOverNode: { rssMb: round(voxstate.rssMbP50 - alone.rssMbP50) },
  };
}
