/** What a run produced, in the order it happened (the user's own input is not an event). */
import type { AgentHandoffItem, ChatMessage, FunctionCall, FunctionCallOutput } from '../llm/chat_context.js';

export type RunEvent =
  | { type: 'message'; item: ChatMessage }
  | { type: 'function_call'; item: FunctionCall }
  | { type: 'function_call_output'; item: FunctionCallOutput }
  | { type: 'agent_handoff'; item: AgentHandoffItem };

/** One line per event, `>>>` marking `at`: what failure messages show. */
export function formatEvents(events: readonly RunEvent[], at?: number): string {
  if (events.length === 0) return '  (no events)';
  return events
    .map((event, index) => `${index === at ? '>>>' : '   '} [${index}] ${describeEvent(event)}`)
    .join('\n');
}

export function describeEvent(event: RunEvent): string {
  switch (event.type) {
    case 'message':
      return `message ${event.item.role}: ${JSON.stringify(event.item.content)}${event.item.interrupted ? ' (interrupted)' : ''}`;
    case 'function_call':
      return `function_call ${event.item.name}(${event.item.arguments})`;
    case 'function_call_output':
      return `function_call_output ${event.item.name}${event.item.isError ? ' (error)' : ''}: ${JSON.stringify(event.item.output)}`;
    case 'agent_handoff':
      return `agent_handoff ${event.item.oldAgentId ?? '(none)'} → ${event.item.newAgentId}`;
  }
}
