/**
 * The LLM used when no provider is configured: it needs no network and no credentials, and says so.
 * It answers by repeating what the user said, and calls a tool when the user names it ("end
 * session" calls `end_session`; arguments as key=value: "slot chosen slot='Tuesday 10:00'"), so
 * every lifecycle path, handoffs, flows and goodbyes included, can be walked in the console.
 */
import type { ChatChunk, ChatRequest, LLM } from '../llm/llm.js';
import { toJsonSchema } from '../llm/tool_parameters.js';
import type { OfflineStandIn } from './models.js';

export class OfflineLLM implements LLM, OfflineStandIn {
  readonly offline = true;
  readonly label: string;
  readonly notice: string;

  constructor(standsInFor = 'llm') {
    this.label = `offline (${standsInFor})`;
    this.notice = `LLM ${standsInFor}: offline stand-in — it repeats what you say and calls a tool when you name it`;
  }

  async *chat(request: ChatRequest): AsyncIterable<ChatChunk> {
    const items = request.chatCtx.items;
    const last = items[items.length - 1];
    if (last?.type === 'function_call_output') {
      yield* words(last.isError ? `${last.name} failed: ${last.output}` : `Done: ${last.name}${last.output ? ` → ${last.output}` : ''}.`);
      return;
    }
    const said = [...items].reverse().find((item) => item.type === 'message' && item.role === 'user');
    const text = said?.type === 'message' ? said.content : '';
    const { toolChoice } = request;
    const allowed = typeof toolChoice === 'object' ? request.tools.filter((entry) => entry.name === toolChoice.function.name) : request.tools;
    const call = toolChoice === 'none' ? undefined : namedTool(text, allowed);
    if (call) {
      yield { type: 'tool_call', callId: `call_${Date.now().toString(36)}`, name: call.name, arguments: JSON.stringify(call.arguments) };
      return;
    }
    yield* words(text ? `You said: ${text}` : 'Hello! I am an offline stand-in: type something and I will repeat it.');
  }
}

function* words(text: string): Iterable<ChatChunk> {
  for (const piece of text.match(/\S+\s*/g) ?? []) yield { type: 'content', text: piece };
}

const normalize = (text: string) => text.toLowerCase().replace(/[_\-\s]+/g, ' ').trim();

/** A tool whose name the user said, with its required arguments given as key=value, if any. */
function namedTool(text: string, tools: ChatRequest['tools']): { name: string; arguments: Record<string, unknown> } | undefined {
  const args = keyValues(text);
  const said = ` ${normalize(text.replace(KEY_VALUE, ' '))} `;
  for (const { name, tool } of tools) {
    const required = toJsonSchema(tool.parameters, `tool ${name}`).required ?? [];
    if (required.every((key) => key in args) && said.includes(` ${normalize(name)} `)) return { name, arguments: args };
  }
  return undefined;
}

const KEY_VALUE = /(\w+)=(?:"([^"]*)"|'([^']*)'|(\S+))/g;

/** key=value pairs in what the user said: quoted values keep their spaces; numbers and booleans are read as such. */
function keyValues(text: string): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const [, key, double, single, bare] of text.matchAll(KEY_VALUE)) {
    const value = double ?? single ?? bare!;
    args[key!] = bare !== undefined && /^(-?\d+(\.\d+)?|true|false)$/.test(bare) ? JSON.parse(bare) : value;
  }
  return args;
}
