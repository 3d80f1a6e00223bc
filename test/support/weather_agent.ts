/** The agent most tests talk to: one tool, `get_weather`, that answers "sunny in <city>". */
import { z } from 'zod';
import { Agent, functionTool } from '../../src/index.js';

export const getWeather = functionTool({
  description: 'The weather in a city',
  parameters: z.object({ city: z.string() }),
  execute: async ({ city }) => `sunny in ${city}`,
});

export class WeatherAgent extends Agent {
  constructor() {
    super({ instructions: 'You tell the weather.' });
  }
  override tools: Agent['tools'] = { get_weather: getWeather };
}
