/**
 * A chat context as OpenAI chat messages:
 * - the instructions first, as the system message; `system` and `developer` items as system
 *   messages (OpenAI-compatible servers do not all know the developer role);
 * - consecutive function calls as one assistant message with `tool_calls` (joined to the assistant
 *   text said just before them, as the model produced them), each followed at once by the `tool`
 *   message with its output, as the API requires, even when something was said in between;
 * - calls that have no output yet (their tool is still running) and outputs of calls that are not
 *   in the context are left out: the API refuses either;
 * - agent handoffs are not sent.
 */
import type {
  ChatCompletionAssistantMessageParam,
  ChatCompletionMessageFunctionToolCall,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import type { ChatContext, ChatItem, ChatMessage, FunctionCall, FunctionCallOutput } from '../../llm/chat_context.js';

export function toOpenAIMessages(instructions: string, chatCtx: ChatContext): ChatCompletionMessageParam[] {
  const items = chatCtx.items;
  const outputs = new Map<string, FunctionCallOutput>();
  for (const item of items) {
    if (item.type === 'function_call_output' && !outputs.has(item.callId)) outputs.set(item.callId, item);
  }
  const messages: ChatCompletionMessageParam[] = [];
  if (instructions.trim() !== '') messages.push({ role: 'system', content: instructions });

  for (let i = 0; i < items.length; ) {
    const item = items[i]!;
    if (item.type !== 'function_call') {
      if (item.type === 'message') messages.push(message(item));
      i += 1;
      continue;
    }
    const before = items[i - 1];
    const group: FunctionCall[] = [];
    for (; i < items.length && isCallOrSkipped(items[i]!); i += 1) {
      const call = items[i]!;
      if (call.type === 'function_call' && outputs.has(call.callId)) group.push(call);
    }
    if (group.length === 0) continue;
    const toolCalls = group.map(toolCall);
    const previous = messages[messages.length - 1];
    if (previous?.role === 'assistant' && previous.tool_calls === undefined && before?.type === 'message' && before.role === 'assistant') {
      previous.tool_calls = toolCalls;
    } else {
      messages.push({ role: 'assistant', content: null, tool_calls: toolCalls } satisfies ChatCompletionAssistantMessageParam);
    }
    for (const call of group) messages.push({ role: 'tool', tool_call_id: call.callId, content: outputs.get(call.callId)!.output });
  }
  return messages;
}

/** Items that may sit inside a run of function calls without breaking it. */
function isCallOrSkipped(item: ChatItem): boolean {
  return item.type === 'function_call' || item.type === 'agent_handoff';
}

function message(item: ChatMessage): ChatCompletionMessageParam {
  switch (item.role) {
    case 'user':
      return { role: 'user', content: item.content };
    case 'assistant':
      return { role: 'assistant', content: item.content };
    default:
      return { role: 'system', content: item.content };
  }
}

function toolCall(call: FunctionCall): ChatCompletionMessageFunctionToolCall {
  return {
    id: call.callId,
    type: 'function',
    function: { name: call.name, arguments: call.arguments.trim() === '' ? '{}' : call.arguments },
  };
}
