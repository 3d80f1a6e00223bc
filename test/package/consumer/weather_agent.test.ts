// A test a user writes with voxstate/testing and vitest, as the README shows.
import { describe, expect, it } from 'vitest';
import { AgentSession } from 'voxstate';
import { FakeLLM } from 'voxstate/testing';
import { WeatherAgent, lastText, recordStates } from './weather_agent.js';

describe('WeatherAgent', () => {
  it('calls the tool and answers with its result', async () => {
    const session = new AgentSession({
      llm: new FakeLLM([{ toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }] }, { text: 'It is sunny in Paris.' }]),
    });
    const states = recordStates(session);
    await session.start({ agent: new WeatherAgent() });
    const result = await session.run({ userInput: 'Weather in Paris?' });
    result.expect.nextEvent().isFunctionCall({ name: 'get_weather', args: { city: 'Paris' } });
    result.expect.nextEvent().isFunctionCallOutput({ output: 'sunny in Paris', isError: false });
    result.expect.nextEvent().isMessage({ role: 'assistant', content: 'It is sunny in Paris.' });
    result.expect.noMoreEvents();
    expect(lastText(session.history.items)).toBe('It is sunny in Paris.');
    expect(states).toContain('thinking');
    await session.aclose();
  });
});
