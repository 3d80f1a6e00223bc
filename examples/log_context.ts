/**
 * LiveKit "Job lifecycle": custom fields in the job's logs, and job metadata. Every log line of
 * the job carries the fields set in ctx.logContextFields; the dispatch metadata is JSON text.
 *
 *   npx tsx examples/log_context.ts console --metadata '{"user_id":"u1","user_name":"Ada","user_phone":"+100"}'
 */
import { AgentServer, cli, log, type JobContext } from '../src/index.js';

interface CallerMetadata {
  user_id: string;
  user_name: string;
  user_phone: string;
}

const isCallerMetadata = (value: unknown): value is CallerMetadata =>
  typeof value === 'object' &&
  value !== null &&
  ['user_id', 'user_name', 'user_phone'].every((key) => typeof (value as Record<string, unknown>)[key] === 'string');

export const server = new AgentServer();

server.rtcSession(
  async (ctx: JobContext) => {
    ctx.logContextFields = {
      job_id: ctx.job.id,
      room_name: ctx.room.name,
    };

    // Throws JobMetadataError, saying what is wrong, when the metadata is not what we expect.
    const metadata = ctx.jobMetadata(isCallerMetadata);
    log().info({ user_id: metadata.user_id }, `serving ${metadata.user_name} (${metadata.user_phone})`);

    await ctx.connect();
    const participant = await ctx.waitForParticipant();
    log().info(`connected to room ${ctx.room.name} with participant ${participant.identity}`);
    await ctx.room.localParticipant?.sendText(`Hello ${metadata.user_name}!`, { topic: 'greeting' });
  },
  { agentName: 'my-agent' },
);

void cli.runApp(server);
