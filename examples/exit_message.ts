/**
 * LiveKit example "Exit Message", in TypeScript: an `end_session` tool drains and closes the
 * session, and onExit says "Goodbye!" before the session ends.
 *
 *   npx tsx examples/exit_message.ts console      (then type "end session")
 */
import {
  Agent,
  AgentServer,
  AgentSession,
  cli,
  functionTool,
  inference,
  log,
  silero,
  type JobContext,
  type JobProcess,
} from '../src/index.js';

type UserData = { vad: silero.VAD };

export class GoodbyeAgent extends Agent {
  constructor() {
    super({
      instructions: `You are a helpful agent.
When the user wants to stop talking to you, use the end_session function to close the session.`,
    });
  }

  override tools = {
    end_session: functionTool({
      description: 'When the user wants to stop talking to you, use this function to close the session.',
      execute: async () => {
        await this.session.drain();
        await this.session.aclose();
      },
    }),
  };

  override async onExit(): Promise<void> {
    await this.session.say('Goodbye!');
  }
}

export const server = new AgentServer<UserData>();

async function prewarm(proc: JobProcess<UserData>): Promise<void> {
  proc.userData.vad = await silero.VAD.load();
}

server.setupFnc = prewarm;

server.rtcSession(async (ctx: JobContext<UserData>) => {
  ctx.logContextFields = { room: ctx.room.name };
  log().info('exit-message agent starting');

  const session = new AgentSession({
    stt: inference.STT({ model: 'deepgram/nova-3-general' }),
    llm: inference.LLM({ model: 'openai/gpt-4.1-mini' }),
    tts: inference.TTS({ model: 'cartesia/sonic-3', voice: '9626c31c-bec5-4cca-baa8-f8ba9e84c8bc' }),
    vad: ctx.proc.userData.vad,
    preemptiveGeneration: true,
  });

  await session.start({ agent: new GoodbyeAgent(), room: ctx.room });
  await ctx.connect();
});

void cli.runApp(server);
