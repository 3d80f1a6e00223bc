/**
 * Replaces tool implementations in tests, for one agent or for every agent of a class (exported
 * from voxstate/testing; kept with the tools, which the session's tool calls look up here):
 *
 *   const restore = mockTools(DriveThruAgent, { order_item: () => 'ordered' });
 *   ...
 *   restore();
 *
 *   using _ = withMockTools(DriveThruAgent, { orderItem: () => 'ordered' }); // agents-js's form
 *
 * The LLM still sees the real tools (names, descriptions, schemas) and the arguments are still
 * checked against them; only `execute` is replaced. A mock that throws, or returns an Error, is a
 * failing tool.
 */
import type { Agent } from '../agent/agent.js';
import type { ToolOptions } from './function_tool.js';

/** A stand-in for a tool's execute: the same arguments and options, any result. */
export type ToolMock = (args: never, opts: ToolOptions) => unknown;

// biome-ignore lint: any Agent subclass
type AgentClass = abstract new (...args: any[]) => Agent;

const mocks = new Map<Agent | AgentClass, Record<string, ToolMock>>();

/** Installs `implementations` for `target`'s tools; returns the function that removes them. */
export function mockTools(target: Agent | AgentClass, implementations: Record<string, ToolMock>): () => void {
  const installed = { ...implementations };
  mocks.set(target, installed);
  return () => {
    if (mocks.get(target) === installed) mocks.delete(target);
  };
}

/**
 * agents-js's form of mockTools: the mocks stay until the returned object is disposed (`using`,
 * or a call of its `Symbol.dispose`).
 */
export function withMockTools(target: Agent | AgentClass, implementations: Record<string, ToolMock>): Disposable {
  const restore = mockTools(target, implementations);
  return { [Symbol.dispose]: restore };
}

/** The mock for `agent`'s tool `name`, if a test installed one (the agent's own first, then its classes'). */
export function toolMock(agent: Agent, name: string): ToolMock | undefined {
  if (mocks.size === 0) return undefined;
  const own = mocks.get(agent)?.[name];
  if (own) return own;
  for (let proto = Object.getPrototypeOf(agent); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    const byClass = mocks.get(proto.constructor as AgentClass)?.[name];
    if (byClass) return byClass;
  }
  return undefined;
}
