/** What a run produced, in the order it happened (the user's own input is not an event). */
import type { Agent } from '../agent/agent.js';
import type { AgentHandoffItem, ChatMessage, FunctionCall, FunctionCallOutput } from '../llm/chat_context.js';

/** A message the agent said (or, rarely, one a hook added). */
export interface ChatMessageEvent {
  type: 'message';
  item: ChatMessage;
}

/** A call of a tool, as the LLM asked for it. */
export interface FunctionCallEvent {
  type: 'function_call';
  item: FunctionCall;
}

/** What a tool call returned (or how it failed). */
export interface FunctionCallOutputEvent {
  type: 'function_call_output';
  item: FunctionCallOutput;
}

/** A handoff from one agent to another. */
export interface AgentHandoffEvent {
  type: 'agent_handoff';
  item: AgentHandoffItem;
  /** The agent that handed over (none at the session's start). */
  oldAgent?: Agent;
  /** The agent in charge after the handoff. */
  newAgent: Agent;
}

export type RunEvent = ChatMessageEvent | FunctionCallEvent | FunctionCallOutputEvent | AgentHandoffEvent;

export type EventType = RunEvent['type'];

export const isChatMessageEvent = (event: RunEvent): event is ChatMessageEvent => event.type === 'message';
export const isFunctionCallEvent = (event: RunEvent): event is FunctionCallEvent => event.type === 'function_call';
export const isFunctionCallOutputEvent = (event: RunEvent): event is FunctionCallOutputEvent => event.type === 'function_call_output';
export const isAgentHandoffEvent = (event: RunEvent): event is AgentHandoffEvent => event.type === 'agent_handoff';

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
