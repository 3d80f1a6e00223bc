/**
 * `npm run bench -- <names> --baseline <rev>`: the same benchmarks run on a second checkout (the
 * revision `rev`, e.g. the commit before a change) beside the current one, in the same run, so a
 * before/after comparison shares the machine's state. Each side runs in a fresh child process, in
 * turn (baseline, current, then again `--rounds` times), and the JSON shows each run's results.
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

/** One run of `names` in a child process with cwd `dir`: its JSON document's results. */
function runIn(dir: string, names: string[]): Record<string, unknown> {
  const child = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/index.ts', ...names], {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (child.status !== 0) throw new Error(`the benchmarks in ${dir} exited with ${child.status}`);
  return (JSON.parse(child.stdout) as { results: Record<string, unknown> }).results;
}

export function compareWithBaseline(names: string[], rev: string, rounds: number): Record<string, unknown> {
  const commit = execFileSync('git', ['rev-parse', '--short', rev], { cwd: ROOT, encoding: 'utf8' }).trim();
  const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  const dir = mkdtempSync(join(tmpdir(), 'voxstate-baseline-'));
  execFileSync('git', ['worktree', 'add', '--detach', dir, commit], { cwd: ROOT, stdio: 'ignore' });
  try {
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    // This checkout's runner (its list of benchmarks), and the benchmark files the revision lacks.
    for (const file of readdirSync(join(ROOT, 'bench'))) {
      const into = join(dir, 'bench', file);
      if (file.endsWith('.ts') && (file === 'index.ts' || !existsSync(into))) copyFileSync(join(ROOT, 'bench', file), into);
    }
    const baseline: Array<Record<string, unknown>> = [];
    const current: Array<Record<string, unknown>> = [];
    for (let round = 0; round < rounds; round++) {
      baseline.push(runIn(dir, names));
      current.push(runIn(ROOT, names));
    }
    return { baseline: { commit, runs: baseline }, current: { commit: head, uncommittedChanges: dirty(), runs: current } };
  } finally {
    execFileSync('git', ['worktree', 'remove', '--force', dir], { cwd: ROOT, stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
}

function dirty(): boolean {
  return execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
}
