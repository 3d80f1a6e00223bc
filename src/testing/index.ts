/**
 * Testing agents, as LiveKit's RunResult API: `await session.run({ userInput })` returns the events
 * of the turn with `expect` assertions over them; mockTools replaces tool implementations.
 */
export { RunResult } from '../testing/run_result.js';
export { RunAssert, EventAssert, RunAssertionError } from './run_assert.js';
export { formatEvents, type RunEvent } from './run_events.js';
export { mockTools, type ToolMock } from './mock_tools.js';
export { FakeUser, type SayOptions as FakeSayOptions } from './fake_user.js';
export { FakeTTS } from './fake_tts.js';
export { FakeLLM, type ScriptedReply } from './fake_llm.js';
