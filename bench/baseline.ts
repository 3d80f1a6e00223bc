/**
 * `npm run bench -- <names> --baseline <rev>`: the same benchmarks run on a second checkout (the
 * revision `rev`, e.g. the commit before a change) beside the current one, in the same run, so a
 * before/after comparison shares the machine's state. `--node <path>`: the same benchmarks run by
 * another Node.js binary (e.g. the current LTS beside the machine's own), on this checkout or, with
 * `--baseline`, on `rev`. Each side runs in a fresh child process, in turn (baseline, current, then
 * again `--rounds` times), and the JSON shows each run's results and the Node.js that ran it.
 * The baseline checkout is a temporary git worktree sharing this checkout's node_modules; it is
 * removed at the end, also when a run fails. It runs this checkout's bench/index.ts, and a benchmark
 * file the revision does not have yet (one written after it, a helper one imports) is copied into
 * it: that benchmark then measures the revision's library with this checkout's code.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** What runs the baseline side: a revision of this repository and/or another Node.js binary. */
export interface Baseline {
  rev?: string;
  node?: string;
}

/** One run of `names` by `node` in a child process with cwd `dir`: its JSON document's results. */
function runIn(dir: string, names: string[], node = process.execPath): Record<string, unknown> {
  const child = spawnSync(node, ['--expose-gc', '--import', 'tsx', 'bench/index.ts', ...names], {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (child.error) throw new Error(`${node} did not run: ${child.error.message}`);
  if (child.status !== 0) throw new Error(`the benchmarks in ${dir} exited with ${child.status}`);
  const { node: version, results } = JSON.parse(child.stdout) as { node: string; results: Record<string, unknown> };
  return { node: version, ...results };
}

export function compareWithBaseline(names: string[], baseline: Baseline, rounds: number): Record<string, unknown> {
  const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  const current = { commit: head, uncommittedChanges: dirty() };
  if (baseline.rev === undefined) {
    const runs = alternate(rounds, () => runIn(ROOT, names, baseline.node), () => runIn(ROOT, names));
    return { baseline: { ...current, runs: runs.baseline }, current: { ...current, runs: runs.current } };
  }
  const commit = execFileSync('git', ['rev-parse', '--short', baseline.rev], { cwd: ROOT, encoding: 'utf8' }).trim();
  const dir = mkdtempSync(join(tmpdir(), 'voxstate-baseline-'));
  execFileSync('git', ['worktree', 'add', '--detach', dir, commit], { cwd: ROOT, stdio: 'ignore' });
  try {
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    // This checkout's runner (its list of benchmarks), and the benchmark files the revision lacks.
    for (const file of readdirSync(join(ROOT, 'bench'))) {
      const into = join(dir, 'bench', file);
      if (file.endsWith('.ts') && (file === 'index.ts' || !existsSync(into))) copyFileSync(join(ROOT, 'bench', file), into);
    }
    const runs = alternate(rounds, () => runIn(dir, names, baseline.node), () => runIn(ROOT, names));
    return { baseline: { commit, runs: runs.baseline }, current: { ...current, runs: runs.current } };
  } finally {
    execFileSync('git', ['worktree', 'remove', '--force', dir], { cwd: ROOT, stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `rounds` runs of each side, in turn: baseline first, as a before/after would be. */
function alternate<T>(rounds: number, baseline: () => T, current: () => T): { baseline: T[]; current: T[] } {
  const runs = { baseline: [] as T[], current: [] as T[] };
  for (let round = 0; round < rounds; round++) {
    runs.baseline.push(baseline());
    runs.current.push(current());
  }
  return runs;
}

function dirty(): boolean {
  return execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
}
