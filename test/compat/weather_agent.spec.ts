/**
 * Port check (issue 13): a unit test in agents-js's `voice.testing` style, with `judge`, written the
 * way an agents-js 1.x user writes one. It differs from its agents-js version only in its import
 * lines (`@livekit/agents` and `@livekit/agents-plugin-openai` become voxstate).
 *
 * Like agents-js's own such tests, it talks to a real LLM: the OpenAI plugin, with OPENAI_API_KEY
 * and OPENAI_BASE_URL from the environment. test/compat/ports.test.ts runs it against a fake OpenAI
 * server on 127.0.0.1.
 */
import { initializeLogger, voice } from '../../src/index.js';
import { openai } from '../../src/index.js';
import { afterEach, beforeEach, describe, it } from 'vitest';
import { WeatherAgent, type WeatherUserData } from './weather_agent.js';

initializeLogger({ pretty: false, level: 'warn' });

describe('WeatherAgent', () => {
  let session: voice.AgentSession<WeatherUserData>;
  let judgeLlm: openai.LLM;

  beforeEach(async () => {
    judgeLlm = new openai.LLM({ model: 'gpt-4.1-mini' });
    session = new voice.AgentSession<WeatherUserData>({
      llm: new openai.LLM({ model: 'gpt-4.1-mini' }),
      userData: { unit: 'celsius', lookups: [] },
    });
    await session.start({ agent: new WeatherAgent() });
  });

  afterEach(async () => {
    await session.close();
  });

  it('looks the weather up with the tool and reports it', async () => {
    const result = await session.run({ userInput: 'What is the weather in Tokyo?' }).wait();

    result.expect.skipNextEventIf({ type: 'message', role: 'assistant' });
    result.expect.nextEvent().isFunctionCall({ name: 'getWeather', args: { location: 'Tokyo' } });
    result.expect.nextEvent().isFunctionCallOutput();
    await result.expect
      .nextEvent()
      .isMessage({ role: 'assistant' })
      .judge(judgeLlm, { intent: 'Reports that the weather in Tokyo is sunny, with a temperature in Celsius.' });
    result.expect.noMoreEvents();
  });
});
