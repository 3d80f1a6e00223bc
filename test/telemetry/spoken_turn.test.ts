/**
 * The trace of a spoken turn with a tool call, in a job: the user asks for the weather, the LLM
 * calls get_weather, then answers aloud. Every span is under the job's, each where it belongs.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AgentServer, AgentSession, LocalRoom, PacedAudioOutput } from '../../src/index.js';
import { FakeUser } from '../../src/testing/fake_user.js';
import { useFakeTime } from '../support/fake_time.js';
import { deferred } from '../support/deferred.js';
import { WeatherAgent } from '../support/weather_agent.js';
import { useInMemoryTracing } from './in_memory_tracing.js';
import { MeteredLLM } from '../support/metered_llm.js';
import { MeteredTTS } from './metered_tts.js';
import { durationMs, only, parentOf, spanTree } from './span_tree.js';

useFakeTime();
const tracing = useInMemoryTracing();
const users: FakeUser[] = [];
afterEach(() => {
  for (const user of users.splice(0)) user.close();
});

const API_KEY = 'sk-live-0123456789abcdefghij';

/** A job whose entrypoint starts a voice session with the weather agent; resolves once it listens. */
async function weatherJob() {
  const user = new FakeUser();
  users.push(user);
  const llm = new MeteredLLM([{ toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }], ttftMs: 300 }, { text: 'It is sunny in Paris.', ttftMs: 200 }], { label: 'fake/weather-1', promptTokens: 12 });
  const tts = new MeteredTTS({ ttfbMs: 120, msPerCharacter: 20 });
  const listening = deferred<AgentSession>();
  const server = new AgentServer();
  server.rtcSession(async (ctx) => {
    ctx.logContextFields = { user_id: 'u-7', plan: 'pro', apiKey: API_KEY };
    const session = new AgentSession({ vad: user.vad, stt: user.stt, llm, tts, audioOutput: new PacedAudioOutput() });
    await session.start({ agent: new WeatherAgent() });
    void session.listen(user.audio());
    listening.resolve(session);
  });
  const job = await server.startJob({ room: new LocalRoom({ name: 'weather-room' }), job: { id: 'job-7' } });
  await vi.advanceTimersByTimeAsync(0);
  const session = await listening.promise;
  return { user, job, session };
}

describe('the trace of a spoken turn with a tool call', () => {
  it('is one tree under the job: session, activation, user turn, its recognition and the two replies with their requests and the tool call', async () => {
    const { user, job, session } = await weatherJob();
    void user.say('what is the weather in Paris', { durationMs: 900, sttDelayMs: 200 });
    await vi.advanceTimersByTimeAsync(6_000);
    expect(session.history.messages().map((m) => `${m.role}: ${m.content}`)).toEqual(['user: what is the weather in Paris', 'assistant: It is sunny in Paris.']);
    job.ctx.shutdown('test over');
    await vi.advanceTimersByTimeAsync(1_000);
    await job.result;

    const spans = tracing.spans();
    expect(tracing.open()).toEqual([]);
    expect(spanTree(spans)).toEqual([
      'job_entrypoint',
      '  agent_session',
      '    agent_activity',
      '      on_enter',
      '      user_turn',
      '        stt_request',
      '        agent_turn',
      '          llm_request',
      '          function_tool',
      '        agent_turn',
      '          llm_request',
      '          tts_request',
      '      on_exit',
    ]);

    // The job's context fields, on the job and on the session; a credential among them redacted.
    const context = { 'voxstate.context.user_id': 'u-7', 'voxstate.context.plan': 'pro', 'voxstate.context.apiKey': '[redacted]' };
    expect(only(spans, 'job_entrypoint').attributes).toMatchObject({ 'lk.job_id': 'job-7', 'voxstate.job.status': 'success', 'lk.shutdown.reason': 'test over', ...context });
    expect(only(spans, 'agent_session').attributes).toMatchObject({ 'lk.job_id': 'job-7', 'lk.close_reason': 'job_shutdown', ...context });
    expect(only(spans, 'agent_activity').attributes).toMatchObject({ 'lk.agent_label': 'weather_agent', 'voxstate.agent.task': false });

    // The user spoke for 900 ms; the final transcript came 200 ms later; the turn ended 500 ms after the speech.
    const turn = only(spans, 'user_turn');
    expect(turn.attributes).toMatchObject({ 'lk.transcription_delay': 0.2, 'lk.end_of_turn_delay': 0.5 });
    expect(turn.attributes['lk.e2e_latency']).toBeGreaterThan(0.5);
    const stt = only(spans, 'stt_request');
    expect(durationMs(stt)).toBe(1_100);
    expect(stt.attributes).toMatchObject({ 'voxstate.stt.label': 'fake/stt', 'lk.transcription_delay': 0.2 });

    // The first reply is the LLM's tool call, the second its answer, spoken.
    const [first, second] = spans.filter((span) => span.name === 'agent_turn').sort((a, b) => Number(a.attributes['voxstate.speech.step']) - Number(b.attributes['voxstate.speech.step']));
    expect(first!.attributes).toMatchObject({ 'voxstate.speech.source': 'generate_reply', 'lk.interrupted': false });
    expect(second!.attributes).toMatchObject({ 'voxstate.speech.source': 'tool_response', 'lk.interrupted': false });
    const [firstLLM, secondLLM] = spans.filter((span) => span.name === 'llm_request').sort((a, b) => String(a.attributes['gen_ai.response.id']).localeCompare(String(b.attributes['gen_ai.response.id'])));
    expect(parentOf(spans, firstLLM!)).toBe(first);
    expect(parentOf(spans, secondLLM!)).toBe(second);
    const model = { 'gen_ai.provider.name': 'fake', 'gen_ai.request.model': 'weather-1', 'gen_ai.usage.input_tokens': 12, 'gen_ai.usage.cache_read.input_tokens': 4 };
    expect(firstLLM!.attributes).toMatchObject({ ...model, 'lk.response.ttft': 0.3, 'gen_ai.usage.output_tokens': 0 });
    expect(secondLLM!.attributes).toMatchObject({ ...model, 'lk.response.ttft': 0.2, 'gen_ai.usage.output_tokens': 5 });
    expect(durationMs(firstLLM!)).toBe(300);
    const tool = only(spans, 'function_tool');
    expect(tool.attributes).toMatchObject({ 'lk.function_tool.name': 'get_weather', 'lk.function_tool.id': 'call_1', 'lk.function_tool.is_error': false });
    const tts = only(spans, 'tts_request');
    expect(tts.attributes).toMatchObject({ 'lk.tts.label': 'fake/tts', 'lk.response.ttfb': 0.12 });

    // Content stays out by default, and no credential is anywhere.
    const everything = JSON.stringify(spans.map((span) => [span.attributes, span.events, span.status]));
    expect(everything).not.toContain(API_KEY);
    expect(everything).not.toContain('Paris');
    expect(Object.keys(turn.attributes)).not.toContain('lk.pii.user_transcript');
  });
});
