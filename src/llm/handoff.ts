/**
 * Handoffs from tools: a tool returns `handoff({ agent, returns })` to give the conversation to
 * `agent`, with `returns` as the output the LLM sees for the call. (Returning the Agent itself
 * hands off with an empty output.)
 */
import type { Agent } from '../agent/agent.js';

/** What `handoff()` returns: the agent to hand over to, and the tool's output. */
export class AgentHandoff {
  constructor(
    /** The agent that takes over. */
    readonly agent: Agent,
    /** The tool's output: text as it is, any other value as JSON; none is an empty output. */
    readonly returns?: unknown,
  ) {}
}

/**
 * Hands the conversation over to `agent` once the tool returns, with `returns` (text, or any
 * JSON-able value) as the call's output in the history, where the LLM of the next agent sees it.
 *
 * @example
 * ```ts
 * transferToBilling: llm.tool({
 *   description: 'Transfers the user to billing',
 *   execute: async () => llm.handoff({ agent: new BillingAgent(), returns: 'Transferring you to billing.' }),
 * })
 * ```
 */
export function handoff(options: { agent: Agent; returns?: unknown }): AgentHandoff {
  return new AgentHandoff(options.agent, options.returns);
}
