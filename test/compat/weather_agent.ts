/**
 * Port check (issue 13): a voice agent with tools, metrics logging and typed userData, written the
 * way an agents-js 1.x user writes one. It differs from its agents-js version only in its import
 * lines: `@livekit/agents` and `@livekit/agents-plugin-silero` become voxstate (an application
 * imports 'voxstate'; this repository's own tests import its sources). Everything below them is
 * agents-js code.
 *
 *   npx tsx test/compat/weather_agent.ts console
 */
import { type JobContext, type JobProcess, ServerOptions, cli, defineAgent, inference, llm, log, metrics, voice } from '../../src/index.js';
import { silero } from '../../src/index.js';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export type WeatherUserData = {
  unit: 'celsius' | 'fahrenheit';
  lookups: string[];
};

export class WeatherAgent extends voice.Agent<WeatherUserData> {
  constructor() {
    super({
      instructions:
        'You are a friendly weather assistant. Use the getWeather tool for any question about the weather, and setUnit when the user names a unit. Keep answers short.',
      tools: {
        getWeather: llm.tool({
          description: 'Get the current weather for a location.',
          parameters: z.object({
            location: z.string().describe('The city to get the weather for'),
          }),
          execute: async ({ location }, { ctx }: llm.ToolOptions<WeatherUserData>) => {
            ctx.userData.lookups.push(location);
            const temperature = ctx.userData.unit === 'celsius' ? '21 degrees Celsius' : '70 degrees Fahrenheit';
            return `It is sunny and ${temperature} in ${location}.`;
          },
        }),
        setUnit: llm.tool({
          description: 'Remember the temperature unit the user prefers.',
          parameters: z.object({
            unit: z.enum(['celsius', 'fahrenheit']).describe('The unit to use from now on'),
          }),
          execute: async ({ unit }, { ctx }: llm.ToolOptions<WeatherUserData>) => {
            ctx.userData.unit = unit;
            return `Temperatures are now in ${unit}.`;
          },
        }),
      },
    });
  }

  override async onEnter(): Promise<void> {
    this.session.say('Hi! Ask me about the weather anywhere.');
  }
}

export default defineAgent({
  prewarm: async (proc: JobProcess) => {
    proc.userData.vad = await silero.VAD.load();
  },
  entry: async (ctx: JobContext) => {
    const logger = log();

    const session = new voice.AgentSession<WeatherUserData>({
      vad: ctx.proc.userData.vad as silero.VAD,
      stt: new inference.STT({ model: 'deepgram/nova-3', language: 'en' }),
      llm: new inference.LLM({ model: 'openai/gpt-4.1-mini' }),
      tts: new inference.TTS({ model: 'cartesia/sonic-3', voice: '9626c31c-bec5-4cca-baa8-f8ba9e84c8bc' }),
      userData: { unit: 'celsius', lookups: [] },
      turnHandling: {
        endpointing: { minDelay: 500, maxDelay: 3000 },
        interruption: { minDuration: 500, falseInterruptionTimeout: 2000, resumeFalseInterruption: true },
        preemptiveGeneration: { enabled: true },
      },
    });

    session.on(voice.AgentSessionEventTypes.MetricsCollected, (ev) => {
      metrics.logMetrics(ev.metrics);
    });

    ctx.addShutdownCallback(async () => {
      logger.info({ usage: session.usage, lookups: session.userData.lookups }, 'session usage summary');
    });

    await session.start({ agent: new WeatherAgent(), room: ctx.room });
    await ctx.connect();
  },
});

cli.runApp(new ServerOptions({ agent: fileURLToPath(import.meta.url) }));
