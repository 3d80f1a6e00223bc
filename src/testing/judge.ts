/**
 * LLM-as-judge, as agents-js's `judge`: the LLM is shown a message and an intent, and must answer
 * by calling the `check_intent` tool (tool choice `required`) with `{ success, reason }`. Any voxstate
 * LLM can judge: a provider's (the session's own in real use) or a scripted fake in tests.
 */
import { VoxstateError } from '../errors.js';
import { ChatContext } from '../llm/chat_context.js';
import { functionTool } from '../llm/function_tool.js';
import type { LLM } from '../llm/llm.js';
import { parseToolArguments } from '../llm/tool_parameters.js';
import { z } from 'zod';

export interface Verdict {
  success: boolean;
  reason: string;
}

const INSTRUCTIONS = [
  'You are a test evaluator for conversational agents.',
  'You will be shown a message and a target intent. Determine whether the message accomplishes the intent.',
  'Only respond by calling the `check_intent(success: bool, reason: str)` function with your final judgment.',
  'Be strict: if the message does not clearly fulfill the intent, return `success = false` and explain why.',
].join('\n');

const CHECK_INTENT = functionTool({
  description:
    'Determines whether the message correctly fulfills the given intent. Returns success=true if the message ' +
    'satisfies the intent, false otherwise. Provide a concise reason justifying the result.',
  parameters: z.object({
    success: z.boolean().describe('Whether the message satisfies the intent'),
    reason: z.string().describe('A concise explanation justifying the result'),
  }),
  // Never run: the judge reads the call's arguments.
  execute: (verdict) => verdict,
});

/**
 * The judge's verdict on `message` against `intent`, or what was wrong with its answer (no call of
 * check_intent, or arguments that are not `{ success, reason }`). A failing request rejects with
 * the LLM's own error.
 */
export async function checkIntent(llm: LLM, message: string, intent: string): Promise<Verdict | { problem: string }> {
  if (typeof llm?.chat !== 'function') throw new VoxstateError('invalid_judge', 'judge(llm, { intent }) needs an LLM (an object with chat()), e.g. the session\'s LLM');
  if (typeof intent !== 'string' || intent.trim() === '') throw new VoxstateError('invalid_judge', 'judge(llm, { intent }) needs an intent: what the message should do, in words');
  const chatCtx = new ChatContext();
  chatCtx.addMessage({ role: 'user', content: `Check if the following message fulfills the given intent.\n\nIntent:\n${intent}\n\nMessage:\n${message}` });
  const request = { instructions: INSTRUCTIONS, chatCtx, tools: [{ name: 'check_intent', tool: CHECK_INTENT }], toolChoice: 'required' as const, signal: new AbortController().signal };
  let text = '';
  const calls: Array<{ name: string; arguments: string }> = [];
  for await (const chunk of llm.chat(request)) {
    if (chunk.type === 'content') text += chunk.text;
    else if (chunk.type === 'tool_call') calls.push(chunk);
  }
  const call = calls.find((candidate) => candidate.name === 'check_intent');
  if (!call) {
    const instead = calls.length > 0 ? `it called ${calls.map((c) => c.name).join(', ')}` : `it answered ${text.trim() ? JSON.stringify(text.trim()) : 'nothing'}`;
    return { problem: `the LLM did not call check_intent (${instead})` };
  }
  const verdict = await parseToolArguments(CHECK_INTENT.parameters, call.arguments);
  return verdict.ok ? (verdict.value as Verdict) : { problem: `check_intent was called with bad arguments: ${verdict.problem}` };
}
