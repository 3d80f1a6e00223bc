/**
 * voxstate as npm users get it: `npm pack`, then the tarball installed into a fresh project with
 * its production dependencies only, used from there as an application and as a TypeScript project
 * would: every export imported, the declarations type-checked strictly (skipLibCheck off), an
 * example agent run in console mode with plain node on compiled JavaScript and with tsx, and a
 * vitest test written with voxstate/testing. No network: see consumer_project.ts.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROVIDER_KEYS } from '../support/offline.js';
import { childEnv, startProgram } from '../support/program.js';
import { ConsumerProject, REPO, run, succeeded } from './consumer_project.js';

/** Packages `import 'voxstate'` must not load: each is loaded by the feature that needs it. */
const LOADED_ON_USE = ['@dagrejs/dagre', '@statelyai/inspect', 'onnxruntime-node', '@livekit/rtc-node', '@livekit/protocol', 'openai', '@deepgram/sdk', 'livekit-server-sdk', 'ws', 'redis', 'wavefile'];

let project: ConsumerProject;

beforeAll(async () => {
  project = await ConsumerProject.create();
  await project.installProduction();
}, 300_000);
afterAll(() => project?.close());

/** The consumer's programs run offline, without provider credentials (the offline stand-ins answer). */
function consumerEnv(): NodeJS.ProcessEnv {
  const env = childEnv({ LOG_LEVEL: 'warn', FORCE_COLOR: '0', NO_COLOR: '1' });
  for (const key of PROVIDER_KEYS) delete env[key];
  return env;
}

const installed = () => join(project.dir, 'node_modules', 'voxstate');

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

/** Every module specifier a compiled file names: static imports and exports, import() and require() of literals. */
function specifiers(code: string): string[] {
  const found: string[] = [];
  const patterns = [/^\s*(?:import|export)\b[^'"]*?\bfrom\s*['"]([^'"]+)['"]/gm, /^\s*import\s*['"]([^'"]+)['"]/gm, /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g, /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const pattern of patterns) for (const match of code.matchAll(pattern)) found.push(match[1]!);
  return found;
}

const packageName = (specifier: string) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

describe('the package, installed with production dependencies only', () => {
  it('ships the build, README, LICENSE and CHANGELOG, and nothing of the repository besides', async () => {
    const files = (await filesUnder(installed())).map((file) => relative(installed(), file));
    expect(files.filter((file) => !file.startsWith('dist/')).sort()).toEqual(['CHANGELOG.md', 'LICENSE', 'README.md', 'package.json']);
    expect(await readFile(join(installed(), 'LICENSE'), 'utf8')).toContain('Apache License\n                           Version 2.0, January 2004');
    expect(files.filter((file) => /(^|\/)(test|bench|examples)\//.test(file))).toEqual([]);
  });

  it('source maps carry their sources: a stack trace or debugger in the user’s project finds the TypeScript', async () => {
    const maps = (await filesUnder(installed())).filter((file) => file.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(100);
    for (const file of maps) {
      const map = JSON.parse(await readFile(file, 'utf8')) as { sources: string[]; sourcesContent?: Array<string | null> };
      expect(map.sourcesContent?.length, file).toBe(map.sources.length);
      expect(map.sourcesContent!.every((text) => typeof text === 'string' && text.length > 0), file).toBe(true);
    }
  });

  it('runtime code imports only Node built-ins, its own files and the dependencies it declares', async () => {
    const manifest = project.manifest;
    const declared = new Set([manifest.name, ...Object.keys(manifest.dependencies), ...Object.keys(manifest.peerDependencies ?? {})]);
    const builtins = new Set(builtinModules);
    const files = (await filesUnder(join(installed(), 'dist'))).filter((file) => file.endsWith('.js'));
    const undeclared: string[] = [];
    for (const file of files) {
      for (const specifier of specifiers(await readFile(file, 'utf8'))) {
        if (specifier.startsWith('.')) {
          const target = join(file, '..', specifier);
          if (!files.includes(target) && !target.endsWith('.json')) undeclared.push(`${relative(installed(), file)}: ${specifier} (not shipped)`);
        } else if (!specifier.startsWith('node:') && !builtins.has(specifier) && !declared.has(packageName(specifier))) {
          undeclared.push(`${relative(installed(), file)}: ${specifier}`);
        }
      }
    }
    expect(undeclared).toEqual([]);
  });

  it('imports every export of every entry point, and the import loads none of the parts used only on demand', async () => {
    const result = succeeded(await run(process.execPath, ['imports.mjs'], { cwd: project.dir, env: consumerEnv() }), 'node imports.mjs');
    const report = JSON.parse(result.stdout) as { entries: Record<string, { exports: string[]; undefined: string[] }>; version: string; loaded: string[] };
    const sources = {
      voxstate: await import('../../src/index.js'),
      'voxstate/machines': await import('../../machines/index.js'),
      'voxstate/testing': await import('../../src/testing/index.js'),
    };
    for (const [entry, module] of Object.entries(sources)) {
      expect(report.entries[entry]!.exports, entry).toEqual(Object.keys(module).sort());
      expect(report.entries[entry]!.undefined, entry).toEqual([]);
    }
    expect(report.version).toBe(project.manifest.version);
    expect(report.loaded).toContain('xstate');
    expect(report.loaded.filter((name) => LOADED_ON_USE.includes(name))).toEqual([]);
  }, 60_000);

  it('the parts loaded on demand load from the installed dependencies: the inspector page with its diagrams, the Stately bridge, Silero, the provider SDKs', async () => {
    const result = succeeded(await run(process.execPath, ['on_demand.mjs'], { cwd: project.dir, env: consumerEnv() }), 'node on_demand.mjs');
    const report = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({ stately: true, vadSampleRate: 16_000 });
    expect(report.states).toBeGreaterThan(50);
    // Each SDK's own error, recognised by the SDK's classes and typed as voxstate's.
    expect(report.llmError).toEqual({ name: 'ProviderError', recoverable: false, message: expect.stringMatching(/^openai: connection failed: .*\(after 1 attempts\)$/) });
    expect(report.sttError).toEqual({ name: 'ProviderError', recoverable: false, message: expect.stringMatching(/^deepgram: request failed: .*\(after 1 attempts\)$/) });
  }, 60_000);

  it('runs a JavaScript agent\'s job in a job process, without tsx though the project has it', async () => {
    const result = succeeded(await run(process.execPath, ['job_process.mjs', 'run'], { cwd: project.dir, env: consumerEnv() }), 'node job_process.mjs run');
    const report = JSON.parse(result.stdout) as { parent: number; end: { status: string; reason: string } };
    expect(report.end.status).toBe('success');
    // The entrypoint ran in another process, which loaded no tsx.
    const ran = /^ran in pid (\d+) with loaders \[(.*)\]$/.exec(report.end.reason);
    expect(ran, report.end.reason).not.toBeNull();
    expect(Number(ran![1])).not.toBe(report.parent);
    expect(ran![2]).not.toContain('tsx');
  }, 60_000);

  it('require() from CommonJS gets the ES module (Node >= 20.19)', async () => {
    const result = succeeded(await run(process.execPath, ['require.cjs'], { cwd: project.dir, env: consumerEnv() }), 'node require.cjs');
    expect(JSON.parse(result.stdout)).toEqual({ AgentSession: 'function', FakeLLM: 'function' });
  }, 60_000);
});

describe('a TypeScript project using the package', () => {
  beforeAll(async () => {
    await project.installDevTools();
    // The seed example basic_event.ts, as a user would copy it: only its import names the package.
    const example = await readFile(join(REPO, 'examples', 'basic_event.ts'), 'utf8');
    await writeFile(join(project.dir, 'agent.ts'), example.replace("from '../src/index.js'", "from 'voxstate'"));
  }, 300_000);

  it('type-checks with strict, module NodeNext and skipLibCheck off, and compiles', async () => {
    const tsc = await run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { cwd: project.dir, env: consumerEnv() });
    expect(`${tsc.stdout}${tsc.stderr}`).toBe('');
    expect(tsc.code).toBe(0);
  }, 180_000);

  it.each([
    ['plain node on the compiled JavaScript', process.execPath, ['build/agent.js', 'console']],
    ['tsx on the TypeScript', process.execPath, ['node_modules/tsx/dist/cli.mjs', 'agent.ts', 'console']],
  ])('runs the example agent in console mode with %s', async (_, command, args) => {
    const agent = startProgram(command, args, { cwd: project.dir, env: consumerEnv() });
    await agent.until('agent › Hello, Alice!');
    agent.child.stdin.write('hello there\n');
    await agent.until('agent › You said: hello there');
    agent.child.stdin.end();
    expect(await agent.exited).toBe(0);
    expect(agent.out()).toContain('job success (console input ended)');
    expect(agent.out().match(/\[Once\] Greeted Alice/g)).toHaveLength(1);
  }, 60_000);

  it('the voxstate command draws a flow from the user\'s file (npx voxstate viz)', async () => {
    const viz = succeeded(await run(join(project.dir, 'node_modules', '.bin', 'voxstate'), ['viz', 'desk_flow.mjs', '--out', 'drawn'], { cwd: project.dir, env: consumerEnv() }), 'voxstate viz');
    expect(viz.stdout).toContain(join('drawn', 'desk.svg'));
    const svg = await readFile(join(project.dir, 'drawn', 'desk.svg'), 'utf8');
    expect(svg).toContain('agent: billing');
    expect(svg).toContain('tool: to_billing');
  }, 60_000);

  it('runs vitest tests written with voxstate/testing: an agent\'s turn, and a flow by every path', async () => {
    const vitest = await run(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', 'weather_agent.test.ts', 'order_flow.test.ts'], { cwd: project.dir, env: consumerEnv() });
    expect(vitest.code, `${vitest.stdout}\n${vitest.stderr}`).toBe(0);
    expect(vitest.stdout).toMatch(/Tests\s+2 passed/);
  }, 120_000);
});
