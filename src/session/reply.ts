/**
 * One reply of the agent: ask the LLM, play its text, then run the tools it called (in parallel,
 * results kept in call order) and, if they produced something to talk about, schedule the
 * follow-up reply. Tokens flow on the LLM's stream straight to the output; only the outcome
 * reaches the session's actors.
 */
import { Agent } from '../agent/agent.js';
import { HookError, ToolArgumentsError, VoxstateError } from '../errors.js';
import type { ChatContext, FunctionCall, FunctionCallOutput } from '../llm/chat_context.js';
import type { FunctionTool } from '../llm/function_tool.js';
import { AgentHandoff } from '../llm/handoff.js';
import type { ChatChunk, LLM, ToolChoice } from '../llm/llm.js';
import { RunContext } from '../llm/run_context.js';
import { ToolError } from '../llm/tool_errors.js';
import { parseToolArguments } from '../llm/tool_parameters.js';
import { toolEntries, type NamedTool } from '../llm/tool_set.js';
import type { SpeechHandle } from '../speech/speech_handle.js';
import { runInSpeech } from '../speech/speech_scope.js';
import { toolMock } from '../llm/tool_mocks.js';
import type { AgentSession } from './agent_session.js';
import type { FunctionToolCompletedEvent, FunctionToolStartedEvent } from './events.js';

export interface ReplyHost {
  readonly history: ChatContext;
  readonly maxToolSteps: number;
  readonly session: AgentSession;
  agent(): Agent;
  llm(): LLM | undefined;
  /** Plays text for `speech` and adds what was heard to the history (announced), also when the playout fails. */
  play(speech: SpeechHandle, text: AsyncIterable<string>): Promise<void>;
  /** The speech's tools are pending (the LLM asked for them) or settled: the agent's state may change. */
  toolsPending(speech: SpeechHandle, pending: boolean): void;
  /** All tools of a step have run: their calls and outputs, in call order. */
  toolsExecuted(calls: FunctionCall[], outputs: FunctionCallOutput[]): void;
  scheduleToolResponse(parent: SpeechHandle): void;
  /** One tool call starts or ends (function_tool_started / function_tool_completed). */
  toolCall(event: FunctionToolStartedEvent | FunctionToolCompletedEvent): void;
  handoff(agent: Agent): void;
  report(error: VoxstateError, source: string): void;
}

export interface ReplyOptions {
  instructions?: string;
  toolChoice?: ToolChoice;
  /** The context to answer from, if not the history (an agent's edited turn context). */
  chatCtx?: ChatContext;
  /** The reply already requested for this turn (preemptive generation). */
  prefetched?: { take(signal: AbortSignal): AsyncIterable<ChatChunk> };
}

interface ToolCall {
  callId: string;
  name: string;
  arguments: string;
}

type ToolResult = { output: string; isError: boolean; error?: VoxstateError; handoff?: Agent; replyRequired: boolean };

export async function runReply(host: ReplyHost, speech: SpeechHandle, options: ReplyOptions): Promise<void> {
  const agent = host.agent();
  let prepared: { llm: LLM; tools: NamedTool[] };
  try {
    prepared = prepare(host, agent, options.toolChoice);
  } catch (error) {
    // A reply that cannot ask the LLM does not hold the output from the next speech.
    speech._releaseOutput();
    throw error;
  }
  const { llm, tools } = prepared;
  const calls: ToolCall[] = [];
  const chunks = options.prefetched?.take(speech.signal) ?? llm.chat({
    instructions: options.instructions ? `${agent.instructions}\n\n${options.instructions}` : agent.instructions,
    chatCtx: options.chatCtx ?? host.history.copy(),
    tools,
    toolChoice: speech.step >= host.maxToolSteps ? 'none' : (options.toolChoice ?? 'auto'),
    signal: speech.signal,
  });
  // The tools count as pending from the moment the LLM asks for them until their follow-up is
  // scheduled, so the agent goes from speaking straight to thinking about their result.
  try {
    await host.play(speech, textOf(chunks, calls, speech, host));
    speech._releaseOutput();
    if (speech.interrupted || calls.length === 0) return;
    await runTools(host, agent, tools, speech, calls);
  } finally {
    if (calls.length > 0) host.toolsPending(speech, false);
  }
}

/** The LLM a reply asks and the tools it offers; a typed error when it cannot ask. */
function prepare(host: ReplyHost, agent: Agent, toolChoice: ToolChoice | undefined): { llm: LLM; tools: NamedTool[] } {
  const llm = host.llm();
  if (llm === undefined) throw new VoxstateError('no_llm', 'generateReply() needs an LLM: give one to the AgentSession or to the Agent');
  const tools = toolEntries(agent.tools, `agent ${agent.id}`);
  if (typeof toolChoice === 'object' && toolChoice !== null) {
    const named = toolChoice.function?.name;
    if (typeof named !== 'string' || !tools.some((entry) => entry.name === named)) {
      throw new VoxstateError('invalid_tool_choice', `toolChoice names the tool ${JSON.stringify(named)}, but agent ${agent.id} has no tool of that name`);
    }
  }
  return { llm, tools };
}

async function runTools(host: ReplyHost, agent: Agent, tools: readonly NamedTool[], speech: SpeechHandle, calls: ToolCall[]): Promise<void> {
  const functionCalls = calls.map((call) => host.history.addFunctionCall(call));
  speech.chatItems.push(...functionCalls);
  const results = await Promise.all(functionCalls.map((call) => execute(host, agent, tools, speech, call)));
  const functionCallOutputs = results.map((result, i) =>
    host.history.addFunctionCallOutput({ callId: calls[i]!.callId, name: calls[i]!.name, output: result.output, isError: result.isError }),
  );
  speech.chatItems.push(...functionCallOutputs);
  host.toolsExecuted(functionCalls, functionCallOutputs);
  // The handoff is decided in call order, whatever order the tools finished in.
  const handoffs = results.filter((result) => result.handoff !== undefined);
  if (handoffs.length > 1) {
    host.report(new VoxstateError('multiple_handoffs', `${handoffs.length} tools handed off in one step; the first in call order wins`), 'tool');
  }
  if (handoffs[0]?.handoff) host.handoff(handoffs[0].handoff);
  else if (results.some((result) => result.replyRequired) && !speech.interrupted) host.scheduleToolResponse(speech);
}

async function* textOf(chunks: AsyncIterable<ChatChunk>, calls: ToolCall[], speech: SpeechHandle, host: ReplyHost): AsyncIterable<string> {
  for await (const chunk of chunks) {
    if (speech.signal.aborted) return;
    if (chunk.type === 'content') yield chunk.text;
    else if (chunk.type === 'tool_call') {
      if (calls.length === 0) host.toolsPending(speech, true);
      calls.push({ callId: chunk.callId, name: chunk.name, arguments: chunk.arguments });
    }
  }
}

async function execute(host: ReplyHost, agent: Agent, tools: readonly NamedTool[], speech: SpeechHandle, call: FunctionCall): Promise<ToolResult> {
  const startedAt = Date.now();
  const { callId, name } = call;
  host.toolCall({ type: 'function_tool_started', speechId: speech.id, callId, name, arguments: call.arguments, createdAt: startedAt });
  // Announced synchronously at each return, so that observing a call adds no step (no await)
  // between the tool's end and its output reaching the history.
  const done = (result: ToolResult): ToolResult => {
    const endedAt = Date.now();
    const { output, isError } = result;
    const error = result.error ?? null;
    host.toolCall({ type: 'function_tool_completed', speechId: speech.id, callId, name, arguments: call.arguments, output, isError, error, durationMs: endedAt - startedAt, createdAt: endedAt });
    return result;
  };
  const tool = tools.find((entry) => entry.name === name)?.tool as FunctionTool<unknown> | undefined;
  if (tool === undefined) {
    return done(failure(host, new ToolArgumentsError(name, `agent ${agent.id} has no tool named "${name}"`)));
  }
  const checked = await parseToolArguments(tool.parameters, call.arguments);
  if (!checked.ok) return done(failure(host, new ToolArgumentsError(name, checked.problem)));
  try {
    const execute = (toolMock(agent, name) ?? tool.execute) as FunctionTool<unknown>['execute'];
    const value = await runInSpeech(speech, () =>
      execute(checked.value, { ctx: new RunContext(host.session, speech, call), toolCallId: callId, abortSignal: speech.signal }),
    );
    if (value instanceof Error) throw value;
    return done(outcome(value));
  } catch (error) {
    // A ToolError is the tool's answer to the LLM, not a fault: its message goes as it is.
    if (error instanceof ToolError) return done({ output: error.message, isError: true, error, replyRequired: true });
    return done(failure(host, new HookError(`tool ${name}`, agent.id, error)));
  }
}

/** What a tool's return value tells the LLM, and whether it hands the conversation over. */
function outcome(value: unknown): ToolResult {
  if (value instanceof Agent) return { output: '', isError: false, handoff: value, replyRequired: false };
  if (value instanceof AgentHandoff) {
    if (!(value.agent instanceof Agent)) throw new TypeError('handoff() needs an Agent to hand over to');
    return { output: outputText(value.returns), isError: false, handoff: value.agent, replyRequired: false };
  }
  return { output: outputText(value), isError: false, replyRequired: value !== undefined && value !== null };
}

/** Text as it is, other values as JSON, nothing as nothing. */
function outputText(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
}

function failure(host: ReplyHost, error: VoxstateError): ToolResult {
  host.report(error, 'tool');
  return { output: error.message, isError: true, error, replyRequired: true };
}
