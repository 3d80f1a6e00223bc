/**
 * The errors of function tools: the one a tool throws to answer the LLM with an error, and the one
 * a tool (or an agent's set of tools) gets when it is declared wrongly.
 */
import { ConfigurationError, VoxstateError } from '../errors.js';

/**
 * Throw it from a tool to tell the LLM that the call failed and why: its message is the tool's
 * output, marked as an error, as it is (other errors reach the LLM prefixed with where they
 * came from). It is the tool's answer, not a fault, so the session does not report it as an
 * `error` event; `function_tool_completed` carries it.
 *
 * @example
 * ```ts
 * execute: async ({ orderId }) => {
 *   const order = await orders.find(orderId);
 *   if (!order) throw new ToolError(`there is no order ${orderId}`);
 *   return order;
 * }
 * ```
 */
export class ToolError extends VoxstateError {
  constructor(message: string) {
    super('tool_error', message);
  }
}

/** A function tool, or an agent's set of tools, was declared wrongly. Thrown where it is declared. */
export class ToolDeclarationError extends ConfigurationError {
  constructor(tool: string, problem: string) {
    super('invalid_tool', `${tool}: ${problem}`);
  }
}
