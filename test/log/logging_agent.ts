/**
 * An agent module for the job log tests, run in a job process (or thread) or as a console program.
 * A caller asks for a lookup; the lookup tool logs, then fails; the agent apologises; the caller
 * leaves. In a job process the room is empty, so a scripted caller joins, and its words come from
 * outside the job's code, as a real room's events do; in console mode the terminal is the caller.
 * With job metadata {"crash": true} an error nobody catches is thrown instead, also from outside.
 * With VOXSTATE_TEST_LOG set, the process (thread) logs to that file, at debug.
 */
// Narrow imports (not src/index.ts and its provider plugins): a job process starts in a fraction of the time.
import { AsyncLocalStorage } from 'node:async_hooks';
import { pino } from 'pino';
import { Agent } from '../../src/agent/agent.js';
import { runApp } from '../../src/cli/run_app.js';
import type { JobContext } from '../../src/job/job_context.js';
import { functionTool } from '../../src/llm/function_tool.js';
import { createLogger, log, setRootLogger } from '../../src/log/logger.js';
import { LocalRoom } from '../../src/room/local_room.js';
import { AgentServer } from '../../src/server/agent_server.js';
import { AgentSession } from '../../src/session/agent_session.js';
import { FakeLLM } from '../../src/testing/fake_llm.js';

const file = process.env.VOXSTATE_TEST_LOG;
if (file) setRootLogger(createLogger(pino.destination({ dest: file, sync: true }), { level: 'debug' }));

// Taken while the module loads, outside any job: the scripted caller acts from here.
const outsideTheJob = AsyncLocalStorage.snapshot();

export const APOLOGY = 'Sorry, the lookup failed.';

export class LookupAgent extends Agent {
  constructor() {
    super({ instructions: 'You look things up.' });
  }
  override tools = {
    lookup: functionTool({
      description: 'Looks it up',
      execute: async () => {
        log().info('looking it up');
        throw new Error('the directory is down');
      },
    }),
  };
  override async onExit(): Promise<void> {
    log().info('leaving the conversation');
  }
}

export const server = new AgentServer();

server.rtcSession(async (ctx: JobContext) => {
  ctx.logContextFields = { tenant: 'acme' };
  const session = new AgentSession({ llm: new FakeLLM([{ toolCalls: [{ name: 'lookup' }] }, { text: APOLOGY }]) });
  await session.start({ agent: new LookupAgent(), room: ctx.room });
  if (ctx.job.metadata !== '' && (JSON.parse(ctx.job.metadata) as { crash?: boolean }).crash) {
    outsideTheJob(() =>
      setImmediate(() => {
        throw new Error('scripted crash');
      }),
    );
    return;
  }
  if (ctx.room.remoteParticipants.size > 0 || !(ctx.room instanceof LocalRoom)) return;
  const room = ctx.room;
  outsideTheJob(() => {
    const caller = room.join({ identity: 'caller' });
    caller.onText((text) => text.text === APOLOGY && caller.leave());
    caller.sendText('please look it up');
  });
});

void runApp(server);
