/**
 * A realtime (speech-to-speech) agent: OpenAI's Realtime API hears the user, decides the turns,
 * calls the agent's tools and answers with its own voice. Without OPENAI_API_KEY the model is an
 * offline stand-in that answers typed turns (the console says so).
 *
 *   npx tsx examples/realtime_agent.ts console
 */
import { Agent, AgentServer, AgentSession, cli, functionTool, inference, type JobContext } from '../src/index.js';

export class Assistant extends Agent {
  constructor() {
    super({
      instructions: 'You are a friendly voice assistant. Keep your answers short.',
      tools: {
        tell_joke: functionTool({
          description: 'Tells a short joke',
          execute: async () => 'Why did the statechart cross the road? To reach its final state',
        }),
      },
    });
  }

  override async onEnter(): Promise<void> {
    this.session.generateReply({ instructions: 'Greet the user and offer your help.' });
  }
}

export const server = new AgentServer();

server.rtcSession(async (ctx: JobContext) => {
  const session = new AgentSession({
    llm: inference.RealtimeModel({ model: 'openai/gpt-realtime', voice: 'marin' }),
  });
  await session.start({ agent: new Assistant(), room: ctx.room });
  await ctx.connect();
});

void cli.runApp(server);
