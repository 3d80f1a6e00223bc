/**
 * A fresh project that depends on voxstate as npm users get it: the tarball `npm pack` makes,
 * installed with npm into a temporary folder. No network: the project gets a lockfile made from
 * voxstate's own (the same versions, with their integrity), so `npm ci --offline` takes every
 * package from npm's cache, which installing voxstate itself has just filled.
 *
 * Installed in two steps, as the package test needs them: first voxstate with its production
 * dependencies only (nothing else in node_modules, so an import of anything voxstate does not
 * declare fails), then the consumer's own dev tools (typescript, tsx, vitest, @types/node).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childEnv } from '../support/program.js';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const CONSUMER_FILES = fileURLToPath(new URL('./consumer', import.meta.url));

/** The consumer's dev tools, at the versions voxstate itself is developed with. */
const TOOLS = ['typescript', 'tsx', 'vitest', '@types/node'];

interface LockEntry {
  version?: string;
  dev?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  [field: string]: unknown;
}
interface Lock {
  packages: Record<string, LockEntry>;
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end; its output is kept for the assertion's message. */
export function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; input?: string }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? childEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += String(chunk)));
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** Fails with everything the program printed when it did not succeed. */
export function succeeded(result: Run, what: string): Run {
  if (result.code !== 0) throw new Error(`${what} exited with ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`);
  return result;
}

export class ConsumerProject {
  private constructor(
    readonly dir: string,
    readonly tarball: string,
    readonly manifest: {
      name: string;
      version: string;
      dependencies: Record<string, string>;
      bin?: Record<string, string>;
      peerDependencies?: Record<string, string>;
      peerDependenciesMeta?: Record<string, { optional?: boolean }>;
    },
  ) {}

  /** Packs voxstate (`npm pack`, which builds it first) and lays out a consumer project around the tarball. */
  static async create(): Promise<ConsumerProject> {
    const dir = await mkdtemp(join(tmpdir(), 'voxstate-consumer-'));
    try {
      const packed = succeeded(await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: REPO }), 'npm pack');
      const [{ filename }] = JSON.parse(packed.stdout) as [{ filename: string }];
      const manifest = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as ConsumerProject['manifest'];
      const project = new ConsumerProject(dir, filename, manifest);
      await project.#writeManifests();
      await cp(CONSUMER_FILES, dir, { recursive: true });
      return project;
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** `npm ci` of voxstate and its production dependencies only. */
  async installProduction(): Promise<void> {
    succeeded(await this.npm('ci', '--offline', '--omit=dev', '--no-audit', '--no-fund'), 'npm ci --omit=dev');
  }

  /** Adds the consumer's dev tools beside what is installed. */
  async installDevTools(): Promise<void> {
    succeeded(await this.npm('install', '--offline', '--no-audit', '--no-fund'), 'npm install (dev tools)');
  }

  npm(...args: string[]): Promise<Run> {
    return run('npm', args, { cwd: this.dir });
  }

  /** Removes the project, tarball and all. */
  async close(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }

  /** package.json and a lockfile holding voxstate's locked tree plus the closure of the dev tools. */
  async #writeManifests(): Promise<void> {
    const lock = JSON.parse(await readFile(join(REPO, 'package-lock.json'), 'utf8')) as Lock;
    const tarball = `file:${this.tarball}`;
    const integrity = `sha512-${createHash('sha512').update(await readFile(join(this.dir, this.tarball))).digest('base64')}`;
    const devDependencies = Object.fromEntries(TOOLS.map((tool) => [tool, lock.packages[`node_modules/${tool}`]!.version!]));
    // The consumer declares its tools' parameters with zod, as agents-js users do.
    const dependencies = { voxstate: tarball, zod: lock.packages['node_modules/zod']!.version! };
    // voxstate's tree is what its declared dependencies reach in its own lock, nothing else: a
    // package it imports without declaring is not installed, whatever voxstate's checkout has.
    const production = closure(lock, Object.keys(this.manifest.dependencies).map((name) => resolveIn(lock, 'node_modules/voxstate', name)!));
    const tools = closure(lock, TOOLS.map((tool) => `node_modules/${tool}`));
    const packages: Record<string, LockEntry> = {
      '': { name: 'consumer', dependencies, devDependencies },
      'node_modules/voxstate': {
        version: this.manifest.version,
        resolved: tarball,
        integrity,
        dependencies: this.manifest.dependencies,
        // npm links a package's commands from its lock entry, as a registry lock has them.
        ...(this.manifest.bin ? { bin: this.manifest.bin } : {}),
        peerDependencies: this.manifest.peerDependencies,
        peerDependenciesMeta: this.manifest.peerDependenciesMeta,
      },
    };
    for (const path of [...production, ...tools].sort()) {
      const { dev: _dev, devOptional: _devOptional, ...entry } = lock.packages[path]!;
      // Where npm left the tarball's address out of the lock (omit-lockfile-registry-resolved), it
      // would ask the registry for the package's metadata to find it: given here, the tarball is
      // taken from the cache by its integrity alone.
      entry.resolved ??= registryTarball(path, entry.version!);
      packages[path] = production.has(path) ? entry : { ...entry, dev: true };
    }
    const manifest = {
      name: 'consumer',
      private: true,
      type: 'module',
      dependencies,
      devDependencies,
      // What the README tells users: onnxruntime-node's install step only fetches GPU libraries.
      allowScripts: { 'onnxruntime-node': false, esbuild: true },
    };
    await writeFile(join(this.dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    // The line the README gives for every npm (npm 10 ignores allowScripts and would fetch from NuGet).
    await writeFile(join(this.dir, '.npmrc'), 'onnxruntime-node-install=skip\n');
    await writeFile(join(this.dir, 'package-lock.json'), `${JSON.stringify({ name: 'consumer', lockfileVersion: 3, requires: true, packages }, null, 2)}\n`);
  }
}

/** The registry's address of a package's tarball: `<registry>/<name>/-/<name without scope>-<version>.tgz`. */
function registryTarball(path: string, version: string): string {
  const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
  const registry = (process.env.npm_config_registry ?? 'https://registry.npmjs.org/').replace(/\/?$/, '/');
  return `${registry}${name}/-/${name.split('/').pop()}-${version}.tgz`;
}

/** Every lock path reachable from `roots`, resolving each dependency as Node does (nearest node_modules up). */
function closure(lock: Lock, roots: string[]): Set<string> {
  const found = new Set<string>();
  const pending = [...roots];
  for (let path = pending.pop(); path !== undefined; path = pending.pop()) {
    if (found.has(path)) continue;
    found.add(path);
    const entry = lock.packages[path]!;
    for (const name of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies })) {
      const target = resolveIn(lock, path, name);
      if (target !== undefined) pending.push(target);
    }
  }
  return found;
}

function resolveIn(lock: Lock, from: string, name: string): string | undefined {
  for (let dir = from; ; ) {
    const candidate = `${dir}/node_modules/${name}`;
    if (lock.packages[candidate]) return candidate;
    const up = dir.lastIndexOf('/node_modules/');
    if (up < 0) return lock.packages[`node_modules/${name}`] ? `node_modules/${name}` : undefined;
    dir = dir.slice(0, up);
  }
}
