/**
 * Testing agents, as LiveKit's `voice.testing`: `session.run({ userInput })` gives the events of the
 * turn with `expect` assertions over them (`judge` has an LLM grade a message against an intent);
 * FakeLLM answers in order or by input; mockTools replaces tool implementations.
 */
export { PendingRunResult, RunResult } from './run_result.js';
export {
  AgentHandoffAssert,
  EventAssert,
  EventRangeAssert,
  FunctionCallAssert,
  FunctionCallOutputAssert,
  MessageAssert,
  RunAssert,
  AssertionError,
  type AgentHandoffAssertOptions,
  type FunctionCallAssertOptions,
  type FunctionCallOutputAssertOptions,
  type MessageAssertOptions,
  type SkipCondition,
} from './run_assert.js';
export {
  formatEvents,
  isAgentHandoffEvent,
  isChatMessageEvent,
  isFunctionCallEvent,
  isFunctionCallOutputEvent,
  type AgentHandoffEvent,
  type ChatMessageEvent,
  type EventType,
  type FunctionCallEvent,
  type FunctionCallOutputEvent,
  type RunEvent,
} from './run_events.js';
export { mockTools, withMockTools, type ToolMock } from '../llm/tool_mocks.js';
export { FakeUser, type SayOptions as FakeSayOptions } from './fake_user.js';
export { FakeTTS } from './fake_tts.js';
export { FakeLLM } from './fake_llm.js';
export { FakeLLMNoReplyError, FakeLLMScriptError, type FakeLLMResponse, type ScriptedReply } from './fake_llm_script.js';
export { testFlow, runFlowPath, FlowPathError, type FlowTestOptions, type FlowTestResult, type FlowPathResult, type FlowStateCheck } from './flow_test.js';
export { flowPaths, type FlowPath, type FlowPathOptions, type FlowStep, type FlowArguments } from './flow_paths.js';
