/**
 * The realtime model used when no provider is configured (no OPENAI_API_KEY): no network, no
 * credentials, and it says so. It hears nothing (audio goes nowhere), answers what the user types in
 * text, as the offline LLM does (it repeats it, and calls a tool when the user names it), so a
 * realtime agent's lifecycle, tools and handoffs included, can be walked in the console.
 */
import { EventEmitter } from '../events/emitter.js';
import { ChatContext, type FunctionCall } from '../llm/chat_context.js';
import type { NamedTool } from '../llm/tool_set.js';
import type {
  GenerationCreatedEvent,
  MessageGeneration,
  RealtimeCapabilities,
  RealtimeModel,
  RealtimeSession,
  RealtimeSessionEvents,
  RealtimeToolDefinition,
} from '../llm/realtime.js';
import { newId } from '../ids.js';
import { EventChannel } from '../streams/event_channel.js';
import type { OfflineStandIn } from './models.js';
import { OfflineLLM } from './offline_llm.js';

const CAPABILITIES: RealtimeCapabilities = { messageTruncation: false, turnDetection: false, userTranscription: false, audioOutput: false, interruptsItself: false };

export class OfflineRealtimeModel implements RealtimeModel, OfflineStandIn {
  readonly offline = true;
  readonly label: string;
  readonly notice: string;
  readonly capabilities = CAPABILITIES;

  constructor(standsInFor = 'realtime') {
    this.label = `offline (${standsInFor})`;
    this.notice = `realtime model ${standsInFor}: offline stand-in — it hears nothing; type, and it repeats what you say and calls a tool when you name it`;
  }

  session(): RealtimeSession {
    return new OfflineRealtimeSession(new OfflineLLM(this.label));
  }
}

class OfflineRealtimeSession extends EventEmitter<RealtimeSessionEvents> implements RealtimeSession {
  readonly capabilities = CAPABILITIES;
  readonly ready = Promise.resolve();
  /** The conversation as the offline LLM reads it. */
  readonly #conversation = new ChatContext();
  #tools: NamedTool[] = [];

  constructor(private readonly llm: OfflineLLM) {
    super();
  }

  updateInstructions(): void {}

  updateTools(tools: RealtimeToolDefinition[]): void {
    // The offline LLM reads a tool's parameters (to call only tools that need none).
    this.#tools = tools.map(({ name, description, parameters }) => ({ name, tool: { description, parameters } }) as unknown as NamedTool);
  }

  /** (It never loses its conversation: there is no connection to drop.) */
  updateChatCtx(): void {}

  sendUserMessage(text: string): void {
    this.#conversation.addMessage({ role: 'user', content: text });
  }

  sendFunctionOutput(callId: string, output: string): void {
    const call = this.#conversation.items.find((item): item is FunctionCall => item.type === 'function_call' && item.callId === callId);
    this.#conversation.addFunctionCallOutput({ callId, name: call?.name ?? '', output, isError: false });
  }

  pushAudio(): void {}

  commitAudio(): void {}

  clearAudio(): void {}

  async generateReply(): Promise<GenerationCreatedEvent> {
    const messages = new EventChannel<MessageGeneration>();
    const functions = new EventChannel<FunctionCall>();
    const text = new EventChannel<string>();
    const audio = new EventChannel<never>();
    audio.end();
    const generation: GenerationCreatedEvent = { responseId: newId('response'), messageStream: messages, functionStream: functions, userInitiated: true };
    const chunks = this.llm.chat({ instructions: '', chatCtx: this.#conversation.copy(), tools: this.#tools, toolChoice: 'auto', signal: new AbortController().signal });
    void (async () => {
      let said = '';
      for await (const chunk of chunks) {
        if (chunk.type === 'content') {
          if (said === '') messages.push({ messageId: newId('item'), textStream: text, audioStream: audio });
          said += chunk.text;
          text.push(chunk.text);
        } else if (chunk.type === 'tool_call') {
          const call = this.#conversation.addFunctionCall({ callId: chunk.callId, name: chunk.name, arguments: chunk.arguments });
          functions.push(call);
        }
      }
      if (said !== '') this.#conversation.addMessage({ role: 'assistant', content: said });
      text.end();
      messages.end();
      functions.end();
    })();
    return generation;
  }

  interrupt(): void {}

  truncate(): void {}

  async close(): Promise<void> {}
}
