/**
 * One reply of the agent: ask the LLM, play its text, then run the tools it called (in parallel,
 * results kept in call order) and, if they produced something to talk about, schedule the
 * follow-up reply. Tokens flow on the LLM's stream straight to the output; only the outcome
 * reaches the session's actors (the speech's: its tools pending and settled; the session's: what
 * the tools did).
 */
import { Agent } from '../agent/agent.js';
import { HookError, NotStartedError, ToolArgumentsError, VoxstateError } from '../errors.js';
import type { ChatContext, FunctionCall, FunctionCallOutput } from '../llm/chat_context.js';
import type { FunctionTool } from '../llm/function_tool.js';
import { AgentHandoff } from '../llm/handoff.js';
import type { ChatChunk, LLM, ToolChoice } from '../llm/llm.js';
import { RunContext } from '../llm/run_context.js';
import { ToolError } from '../llm/tool_errors.js';
import { parseToolArguments } from '../llm/tool_parameters.js';
import type { NamedTool } from '../llm/tool_set.js';
import type { SpeechHandle } from '../speech/speech_handle.js';
import { runInSpeech } from '../speech/speech_scope.js';
import { toolMock } from '../llm/tool_mocks.js';
import type { AgentSession } from './agent_session.js';
import { isRealtimeModel } from './realtime_link.js';
import type { FunctionToolCompletedEvent, FunctionToolStartedEvent } from './events.js';

/**
 * What a reply needs from the session that runs it beyond the session's own API (its agent, LLM
 * and history; its events; handing over to another agent).
 */
export interface ReplyScope {
  /** The session: tools get it in their RunContext. */
  readonly session: AgentSession;
  /** Most LLM steps one user turn may take through tool calls. */
  readonly maxToolSteps: number;
  /**
   * Plays text for `speech`, then releases its output (with the `toolCalls` its LLM asked for by
   * then, to run next), and adds what was heard to the history (announced), also when the playout fails.
   */
  play(speech: SpeechHandle, text: AsyncIterable<string>, toolCalls: () => number): Promise<void>;
  /** What a step's tools returned, once they all have (before a follow-up or handoff). */
  toolOutputs(outputs: readonly FunctionCallOutput[]): void;
  /** Schedules the reply to what the tools of `parent` returned. */
  followUp(parent: SpeechHandle): void;
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

export async function runReply(scope: ReplyScope, speech: SpeechHandle, options: ReplyOptions): Promise<void> {
  let prepared: { agent: Agent; llm: LLM; tools: NamedTool[] };
  try {
    prepared = prepare(scope.session, options.toolChoice);
  } catch (error) {
    // A reply that cannot ask the LLM does not hold the output from the next speech.
    speech._release(0);
    throw error;
  }
  const { agent, llm, tools } = prepared;
  const calls: ToolCall[] = [];
  const chunks = options.prefetched?.take(speech.signal) ?? llm.chat({
    instructions: options.instructions ? `${agent.instructions}\n\n${options.instructions}` : agent.instructions,
    chatCtx: options.chatCtx ?? scope.session.history.copy(),
    tools,
    toolChoice: speech.step >= scope.maxToolSteps ? 'none' : (options.toolChoice ?? 'auto'),
    signal: speech.signal,
  });
  // The tools the LLM asked for run once the output is released, which passes them on, so the agent
  // goes from speaking straight to thinking about them; they are settled when their follow-up is scheduled.
  try {
    await scope.play(speech, textOf(chunks, calls, speech), () => calls.length);
    if (speech.interrupted || calls.length === 0) return;
    await runTools(scope, agent, tools, speech, calls);
  } finally {
    if (calls.length > 0) speech._toolsSettled();
  }
}

/** The agent in charge, the LLM a reply asks and the tools it offers; a typed error when it cannot ask. */
function prepare(session: AgentSession, toolChoice: ToolChoice | undefined): { agent: Agent; llm: LLM; tools: NamedTool[] } {
  const agent = session.currentAgent;
  if (!agent) throw new NotStartedError('AgentSession', 'generateReply()');
  const llm = agent.llm ?? session.llm;
  if (llm === undefined) throw new VoxstateError('no_llm', 'generateReply() needs an LLM: give one to the AgentSession or to the Agent');
  // A realtime model answers through the session's realtime path, never through this pipeline.
  if (isRealtimeModel(llm)) throw new VoxstateError('realtime_llm', 'this reply needs an LLM to chat with, and the session has a realtime model');
  const tools = session._toolsOf(agent);
  if (typeof toolChoice === 'object' && toolChoice !== null) {
    const named = toolChoice.function?.name;
    if (typeof named !== 'string' || !tools.some((entry) => entry.name === named)) {
      throw new VoxstateError('invalid_tool_choice', `toolChoice names the tool ${JSON.stringify(named)}, but agent ${agent.id} has no tool of that name`);
    }
  }
  return { agent, llm, tools };
}

/**
 * Runs the tools a realtime model called in `speech` (after its output is released), as a reply's:
 * their calls and outputs go into the history and are announced; a follow-up or handoff follows.
 */
export async function runRealtimeToolCalls(scope: ReplyScope, speech: SpeechHandle, calls: readonly ToolCall[]): Promise<void> {
  const agent = scope.session.currentAgent;
  if (!agent) throw new NotStartedError('AgentSession', 'a tool call');
  await runTools(scope, agent, scope.session._toolsOf(agent), speech, [...calls]);
}

async function runTools(scope: ReplyScope, agent: Agent, tools: readonly NamedTool[], speech: SpeechHandle, calls: ToolCall[]): Promise<void> {
  const { session } = scope;
  const functionCalls = calls.map((call) => session.history.addFunctionCall(call));
  speech.chatItems.push(...functionCalls);
  const results = await Promise.all(functionCalls.map((call) => execute(scope, agent, tools, speech, call)));
  const functionCallOutputs = results.map((result, i) =>
    session.history.addFunctionCallOutput({ callId: calls[i]!.callId, name: calls[i]!.name, output: result.output, isError: result.isError }),
  );
  speech.chatItems.push(...functionCallOutputs);
  scope.toolOutputs(functionCallOutputs);
  session._announce('function_tools_executed', { functionCalls, functionCallOutputs });
  // The handoff is decided in call order, whatever order the tools finished in.
  const handoffs = results.filter((result) => result.handoff !== undefined);
  if (handoffs.length > 1) {
    scope.report(new VoxstateError('multiple_handoffs', `${handoffs.length} tools handed off in one step; the first in call order wins`), 'tool');
  }
  if (handoffs[0]?.handoff) session.updateAgent(handoffs[0].handoff);
  else if (results.some((result) => result.replyRequired) && !speech.interrupted) scope.followUp(speech);
}

async function* textOf(chunks: AsyncIterable<ChatChunk>, calls: ToolCall[], speech: SpeechHandle): AsyncIterable<string> {
  for await (const chunk of chunks) {
    if (speech.signal.aborted) return;
    if (chunk.type === 'content') yield chunk.text;
    else if (chunk.type === 'tool_call') calls.push({ callId: chunk.callId, name: chunk.name, arguments: chunk.arguments });
  }
}

/** One tool call starts or ends: announced to the session's listeners (not through its actor: per-call progress is for observers, not the lifecycle). */
function announce(session: AgentSession, event: FunctionToolStartedEvent | FunctionToolCompletedEvent): void {
  session.emit(event.type, event as never);
}

async function execute(scope: ReplyScope, agent: Agent, tools: readonly NamedTool[], speech: SpeechHandle, call: FunctionCall): Promise<ToolResult> {
  const { session } = scope;
  const startedAt = Date.now();
  const { callId, name } = call;
  announce(session, { type: 'function_tool_started', speechId: speech.id, callId, name, arguments: call.arguments, createdAt: startedAt });
  // Announced synchronously at each return, so that observing a call adds no step (no await)
  // between the tool's end and its output reaching the history.
  const done = (result: ToolResult): ToolResult => {
    const endedAt = Date.now();
    const { output, isError } = result;
    const error = result.error ?? null;
    announce(session, { type: 'function_tool_completed', speechId: speech.id, callId, name, arguments: call.arguments, output, isError, error, durationMs: endedAt - startedAt, createdAt: endedAt });
    return result;
  };
  const tool = tools.find((entry) => entry.name === name)?.tool as FunctionTool<unknown> | undefined;
  if (tool === undefined) {
    return done(failure(scope, new ToolArgumentsError(name, `agent ${agent.id} has no tool named "${name}"`)));
  }
  const checked = await parseToolArguments(tool.parameters, call.arguments);
  if (!checked.ok) return done(failure(scope, new ToolArgumentsError(name, checked.problem)));
  try {
    const execute = (toolMock(agent, name) ?? tool.execute) as FunctionTool<unknown>['execute'];
    const value = await runInSpeech(speech, () =>
      execute(checked.value, { ctx: new RunContext(session, speech, call), toolCallId: callId, abortSignal: speech.signal }),
    );
    if (value instanceof Error) throw value;
    return done(outcome(value));
  } catch (error) {
    // A ToolError is the tool's answer to the LLM, not a fault: its message goes as it is.
    if (error instanceof ToolError) return done({ output: error.message, isError: true, error, replyRequired: true });
    return done(failure(scope, new HookError(`tool ${name}`, agent.id, error)));
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

function failure(scope: ReplyScope, error: VoxstateError): ToolResult {
  scope.report(error, 'tool');
  return { output: error.message, isError: true, error, replyRequired: true };
}
