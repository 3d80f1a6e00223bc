/** The scripted LLM the tests use: voxstate/testing's FakeLLM. */
export { FakeLLM as ScriptedLLM, type ScriptedReply } from '../../src/testing/fake_llm.js';
