/**
 * Port check (issue 13): a multi-agent story with typed userData and handoffs that return text,
 * written the way an agents-js 1.x user writes one. It differs from its agents-js version only in
 * its import line (`@livekit/agents` becomes voxstate; an application imports 'voxstate').
 *
 *   npx tsx test/compat/story_agent.ts console
 */
import { type JobContext, ServerOptions, cli, defineAgent, inference, llm, voice } from '../../src/index.js';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export type StoryData = {
  name?: string;
  location?: string;
};

export class IntroAgent extends voice.Agent<StoryData> {
  override async onEnter(): Promise<void> {
    this.session.generateReply({
      instructions: 'Greet the user and ask for their name and where they are from.',
    });
  }

  static create(): IntroAgent {
    return new IntroAgent({
      instructions:
        'You are a storyteller. Gather the user’s name and where they are from, then call informationGathered.',
      tools: [
        llm.tool({
          name: 'informationGathered',
          description: 'Called when the user has given their name and location.',
          parameters: z.object({
            name: z.string().describe('The name of the user'),
            location: z.string().describe('Where the user is from'),
          }),
          execute: async ({ name, location }, { ctx }: llm.ToolOptions<StoryData>) => {
            ctx.userData.name = name;
            ctx.userData.location = location;
            return llm.handoff({ agent: StoryAgent.create(name, location), returns: "Let's start the story!" });
          },
        }),
      ],
    });
  }
}

export class StoryAgent extends voice.Agent<StoryData> {
  override async onEnter(): Promise<void> {
    this.session.generateReply();
  }

  static create(name: string, location: string): StoryAgent {
    return new StoryAgent({
      instructions: `You are a storyteller. Tell a short story for ${name}, who is from ${location}.`,
    });
  }
}

export default defineAgent({
  entry: async (ctx: JobContext) => {
    const userData: StoryData = {};

    const session = new voice.AgentSession<StoryData>({
      stt: new inference.STT({ model: 'deepgram/nova-3', language: 'en' }),
      llm: new inference.LLM({ model: 'openai/gpt-4.1-mini' }),
      tts: new inference.TTS({ model: 'cartesia/sonic-3', voice: '9626c31c-bec5-4cca-baa8-f8ba9e84c8bc' }),
      userData,
    });

    await session.start({ agent: IntroAgent.create(), room: ctx.room });

    const participant = await ctx.waitForParticipant();
    console.log('participant joined:', participant.identity);
  },
});

cli.runApp(new ServerOptions({ agent: fileURLToPath(import.meta.url) }));
