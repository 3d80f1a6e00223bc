/**
 * Job processes and threads of an agents-js-shaped program: the pool's children import the agent
 * file by path and take prewarm and entry from its default export (the file's own
 * `cli.runApp(new ServerOptions(...))` doing nothing there); a file whose default export is not a
 * definition is refused in the child with the AgentModuleError's message.
 */
import { threadId } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ProcessStartError } from '../../src/ipc/supervised_process.js';
import { AgentServer } from '../../src/server/agent_server.js';
import { defineAgent } from '../../src/server/define_agent.js';
import { agentServerFor, ServerOptions } from '../../src/server/server_options.js';
import { BOUNDS, EXECUTORS, captureLogs, closeAndCheck, jobInfo, type TestPool } from './executor_harness.js';
import { ProcessPool } from '../../src/ipc/process_pool.js';
import { ThreadExecutor } from '../../src/ipc/thread_executor.js';

const AGENT = fileURLToPath(new URL('../fixtures/agents/agents_js_agent.ts', import.meta.url));

function pool(kind: 'process' | 'thread', server: AgentServer): TestPool {
  const { logger, logs } = captureLogs();
  const options = { room: 'local' as const, numIdleProcesses: 1, ...BOUNDS, logger };
  const made = kind === 'process' ? new ProcessPool(server, options) : new ThreadExecutor(server, options);
  const ids: number[] = [];
  made.on('process_started', (process) => process.id !== undefined && ids.push(process.id));
  return { pool: made, ids, logs };
}

describe.each(EXECUTORS)('%s executor, a defineAgent module', (kind) => {
  let t: TestPool | undefined;
  afterEach(async () => {
    if (t) await closeAndCheck(t, kind);
    t = undefined;
  });

  it("runs the default export's prewarm once where its entry runs, with its userData and the agent name", async () => {
    t = pool(kind, await agentServerFor(new ServerOptions({ agent: AGENT, agentName: 'pooled' })));
    await t.pool.start();
    const info = jobInfo('a');
    const handle = await t.pool.launch({ ...info, job: { ...info.job, metadata: 'report' } });
    const end = await handle.ended;
    expect(end.status, JSON.stringify(end)).toBe('success');
    const report = JSON.parse(end.reason) as { userData: { prewarmedIn: string }; prewarms: number; entryIn: string; room: string };
    expect(report).toMatchObject({ prewarms: 1, room: 'room-a', agentName: 'pooled' });
    expect(report.userData.prewarmedIn).toBe(report.entryIn);
    expect(report.entryIn).not.toBe(`${process.pid}/${threadId}`);
  });

  it('a module whose default export is not a definition fails in the child with the AgentModuleError', async () => {
    // The parent is told the module is fine; the child, importing it by path, finds otherwise.
    const bad = fileURLToPath(new URL('../fixtures/agents/agents_js/not_defined.ts', import.meta.url));
    t = pool(kind, AgentServer.fromAgentDefinition(defineAgent({ entry: async () => {} }), bad, {}));
    const launched = t.pool.launch(jobInfo('b')).catch((error: unknown) => error);
    const error = await launched;
    expect(error).toBeInstanceOf(ProcessStartError);
    expect((error as Error).message).toContain(`the default export of the agent module ${bad} was not made by defineAgent`);
  });
});
