/**
 * ServerOptions and defineAgent from the API: agents-js's option names and defaults, the one
 * AgentServer they build (AgentServer's names, its module the agent file), and a typed error for
 * each bad option or bad agent module.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { JobType } from '@livekit/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadAgentDefinition } from '../../src/server/agent_module.js';
import { WorkerPermissions } from '../../src/server/agent_server.js';
import { defineAgent, isAgent } from '../../src/server/define_agent.js';
import { AgentModuleError, ServerOptionsError } from '../../src/server/errors.js';
import { agentServerFor, ServerOptions, WorkerOptions } from '../../src/server/server_options.js';
import { parseWorkerArgs } from '../../src/cli/run_worker.js';
import { LocalRoom } from '../../src/room/local_room.js';
import definition from '../fixtures/agents/agents_js_agent.js';

const AGENT = fileURLToPath(new URL('../fixtures/agents/agents_js_agent.ts', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/agents/agents_js/${name}`, import.meta.url));

async function caught(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

afterEach(() => vi.unstubAllEnvs());

describe('ServerOptions', () => {
  it("holds agents-js's defaults; the ones the CLI verb decides stay unset", () => {
    vi.stubEnv('LIVEKIT_AGENT_NAME', '');
    const options = new ServerOptions({ agent: AGENT });
    expect(options).toMatchObject({
      agent: AGENT,
      drainTimeout: 3_600_000,
      shutdownProcessTimeout: 60_000,
      initializeProcessTimeout: 10_000,
      agentName: '',
      serverType: JobType.JT_ROOM,
      maxRetry: 10,
      production: false,
      jobMemoryWarnMB: 1000,
      jobMemoryLimitMB: 0,
    });
    expect(options.permissions).toEqual(new WorkerPermissions(true, true, true, true, [], false));
    for (const key of ['loadThreshold', 'numIdleProcesses', 'host', 'port', 'logLevel', 'wsURL', 'apiKey', 'apiSecret'] as const) expect(options[key]).toBeUndefined();
    expect(WorkerOptions).toBe(ServerOptions);
  });

  it('agentName defaults to LIVEKIT_AGENT_NAME', () => {
    vi.stubEnv('LIVEKIT_AGENT_NAME', 'from-env');
    expect(new ServerOptions({ agent: AGENT }).agentName).toBe('from-env');
    expect(new ServerOptions({ agent: AGENT, agentName: 'given' }).agentName).toBe('given');
  });

  it("build one AgentServer: the agent file's entry and prewarm, the options under AgentServer's names", async () => {
    const requestFunc = async () => {};
    const loadFunc = async () => 0.5;
    const server = await agentServerFor(
      new ServerOptions({
        agent: AGENT,
        agentName: 'named',
        requestFunc,
        loadFunc,
        loadThreshold: 0.9,
        numIdleProcesses: 2,
        serverType: JobType.JT_PUBLISHER,
        wsURL: 'ws://127.0.0.1:7880',
        apiKey: 'key',
        apiSecret: 'secret',
        port: 9000,
        logLevel: 'warn',
        jobMemoryWarnMB: 700,
        jobMemoryLimitMB: 900,
      }),
    );
    expect(server.module).toBe(realpathSync(AGENT));
    expect(server.entryFrom).toBe('defaultExport');
    expect(server.agentName).toBe('named');
    expect(server.entrypoint).toBe(definition.entry);
    expect(server.setupFnc).toBe(definition.prewarm);
    expect(server.options).toMatchObject({
      requestFnc: requestFunc,
      loadFnc: loadFunc,
      loadThreshold: 0.9,
      numIdleProcesses: 2,
      drainTimeout: 3_600_000,
      shutdownProcessTimeout: 60_000,
      initializeProcessTimeout: 10_000,
      workerType: 'publisher',
      maxRetry: 10,
      wsUrl: 'ws://127.0.0.1:7880',
      apiKey: 'key',
      apiSecret: 'secret',
      port: 9000,
      logLevel: 'warn',
      jobMemoryWarnMb: 700,
      jobMemoryLimitMb: 900,
    });
    // The server runs jobs as any other: prewarm first, its userData in the entry.
    const job = await server.startJob({ room: new LocalRoom({ name: 'r' }), job: { metadata: 'report' } });
    const result = await job.result;
    expect(JSON.parse(result.reason)).toMatchObject({ prewarms: 1, room: 'r', userData: { greeting: `Hello from prewarm 1 in ${process.pid}` } });
  });

  it("the health server's interface is the verb's, as with AgentServer (all interfaces for start, 127.0.0.1 for dev), unless host is given", async () => {
    const env = { LIVEKIT_URL: 'ws://127.0.0.1:7880', LIVEKIT_API_KEY: 'key', LIVEKIT_API_SECRET: 'secret' };
    const byVerb = await agentServerFor(new ServerOptions({ agent: AGENT }));
    expect(byVerb.options.host).toBeUndefined();
    expect(parseWorkerArgs('start', [], env, byVerb).host).toBe('0.0.0.0');
    expect(parseWorkerArgs('dev', [], env, byVerb).host).toBe('127.0.0.1');
    const given = await agentServerFor(new ServerOptions({ agent: AGENT, host: '::' }));
    expect(parseWorkerArgs('dev', [], env, given).host).toBe('::');
    expect(parseWorkerArgs('start', ['--host', '10.0.0.5'], env, given).host).toBe('10.0.0.5');
  });

  it.each([
    [{ agent: '' }, 'ServerOptions: agent is required'],
    [{ agent: AGENT, workerToken: 'wt' }, 'workerToken (LiveKit Cloud agent deployments) is not supported by voxstate'],
    [{ agent: AGENT, simulation: true }, 'simulation (runs driven by `lk simulate`) is not supported by voxstate'],
    [{ agent: AGENT, serverType: JobType.JT_PARTICIPANT }, 'serverType 2 is not supported: use JobType.JT_ROOM or JobType.JT_PUBLISHER'],
    [{ agent: AGENT, wsUrl: 'ws://x' }, 'unknown option "wsUrl"'],
  ])('%j is a ServerOptionsError', async (init, message) => {
    const options = new ServerOptions(init as never); // never throws: the module's top level runs in every job process
    const error = await caught(agentServerFor(options));
    expect(error).toBeInstanceOf(ServerOptionsError);
    expect(error).toMatchObject({ code: 'server_options_invalid' });
    expect(error.message).toContain(message);
  });

  it('simulation: false and workerToken: undefined are no problem', async () => {
    await expect(agentServerFor(new ServerOptions({ agent: AGENT, simulation: false, workerToken: undefined } as never))).resolves.toBeDefined();
  });
});

describe('defineAgent and the agent module', () => {
  it('marks its definition; isAgent tells it apart', () => {
    const entry = async () => {};
    const agent = defineAgent({ entry });
    expect(agent.entry).toBe(entry);
    expect(isAgent(agent)).toBe(true);
    expect(isAgent({ entry })).toBe(false);
    expect(isAgent(null)).toBe(false);
    expect(() => defineAgent(undefined as never)).toThrow(AgentModuleError);
  });

  it('loads the default export of a path or a file: URL, relative paths from the working directory', async () => {
    for (const path of [AGENT, pathToFileURL(AGENT).href, 'test/fixtures/agents/agents_js_agent.ts']) {
      const loaded = await loadAgentDefinition(path);
      expect(loaded).toEqual({ file: realpathSync(AGENT), definition });
    }
  });

  it.each([
    ['nowhere.ts', 'agent_not_found', 'does not exist'],
    ['.', 'agent_not_found', 'is not a file'],
    [fixture('no_default_export.ts'), 'agent_no_default_export', 'has no default export'],
    [fixture('not_defined.ts'), 'agent_not_defined', 'was not made by defineAgent'],
    [fixture('no_entry.ts'), 'agent_definition_invalid', 'has no entry function'],
  ])('%s: an AgentModuleError (%s)', async (path, code, message) => {
    const error = await caught(loadAgentDefinition(path));
    expect(error).toBeInstanceOf(AgentModuleError);
    expect(error).toMatchObject({ code });
    expect(error.message).toContain(message);
    // agentServerFor says the same.
    expect((await caught(agentServerFor(new ServerOptions({ agent: path })))).message).toBe(error.message);
  });
});
