// A consumer's own agent, typed against the published declarations.
import { Agent, AgentSession, functionTool, type AgentStateChangedEvent, type ChatItem } from 'voxstate';
import { z } from 'zod';

export class WeatherAgent extends Agent {
  constructor() {
    super({ instructions: 'You tell the weather.' });
  }
  override tools = {
    get_weather: functionTool({
      description: 'The weather in a city',
      parameters: z.object({ city: z.string() }),
      execute: async ({ city }) => `sunny in ${city}`,
    }),
  };
}

/** Every agent state the session goes through, as the session's typed event reports it. */
export function recordStates(session: AgentSession): string[] {
  const states: string[] = [];
  session.on('agent_state_changed', (event: AgentStateChangedEvent) => states.push(event.newState));
  return states;
}

export function lastText(items: readonly ChatItem[]): string | undefined {
  const last = items.at(-1);
  return last?.type === 'message' ? last.content : undefined;
}
