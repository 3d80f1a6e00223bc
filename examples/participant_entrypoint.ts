/**
 * LiveKit "Job lifecycle": participant entrypoints. Each runs once for every participant: those in
 * the room when the job connects and those who join later; several run concurrently. Registered
 * before connect(), they include the participants already present.
 *
 *   npx tsx examples/participant_entrypoint.ts console
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { AgentServer, cli, log, type JobContext, type RemoteParticipant } from '../src/index.js';

export const server = new AgentServer();

server.rtcSession(
  async (ctx: JobContext) => {
    const greetParticipant = async (ctx: JobContext, p: RemoteParticipant) => {
      // Access participant identity, attributes, and metadata
      log().info(`participant joined: ${p.identity}`);
      // Filter out participants you don't need to handle
      if (p.identity === 'some-service-bot') return;
      // Run participant-scoped work
      await ctx.room.localParticipant?.sendText(`Hello, ${p.identity}!`, { topic: 'greeting' });
    };

    const trackParticipantAudio = async (ctx: JobContext, p: RemoteParticipant) => {
      // Multiple entrypoints run concurrently for each participant
      log().info(`tracking audio for ${p.identity}`);
      try {
        await sleep(60_000, undefined, { signal: ctx.signal });
      } catch {
        // The job is shutting down: stop tracking.
      }
    };

    // Register entrypoints before connecting
    ctx.addParticipantEntrypoint(greetParticipant);
    ctx.addParticipantEntrypoint(trackParticipantAudio);
    await ctx.connect();
  },
  { agentName: 'my-agent' },
);

void cli.runApp(server);
