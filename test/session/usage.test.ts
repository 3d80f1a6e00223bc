/**
 * `session.usage` and `session_usage_updated`: what the session's models were used for, summed per
 * model from the metrics they report, through the real provider SDKs against fake servers on
 * 127.0.0.1 — LLM tokens (OpenAI's SSE usage chunk), TTS characters and audio (Cartesia's
 * WebSocket), STT audio (Deepgram's Metadata message). Real timers and sockets: each step waits for
 * the session event it expects.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Agent, AgentSession, PacedAudioOutput, type AgentSessionEvents, type AgentSessionUsage, type SessionUsageUpdatedEvent } from '../../src/index.js';
import { OpenAILLM } from '../../src/plugins/openai/llm.js';
import { useFakeCartesia } from '../plugins/cartesia/setup.js';
import { FakeDeepgram } from '../plugins/deepgram/fake_deepgram.js';
import { deepgramAt, frame } from '../plugins/deepgram/helpers.js';
import { FakeOpenAIServer, textReply } from '../plugins/openai/fake_openai_server.js';

const cartesia = useFakeCartesia();
let openai: FakeOpenAIServer;
let deepgram: FakeDeepgram;
let session: AgentSession | undefined;

beforeEach(async () => {
  openai = await FakeOpenAIServer.start();
  deepgram = await FakeDeepgram.start();
});
afterEach(async () => {
  await session?.aclose();
  session = undefined;
  await openai.close();
  await deepgram.close();
});

/** Resolves once `condition` holds, checked now and after each `event` of the session. */
function when<E extends keyof AgentSessionEvents>(event: E, condition: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (!condition()) return;
      session!.off(event, check as never);
      resolve();
    };
    session!.on(event, check as never);
    check();
  });
}

function observe(s: AgentSession) {
  session = s;
  const updates: SessionUsageUpdatedEvent[] = [];
  const order: string[] = [];
  s.on('metrics_collected', (event) => order.push(event.metrics.type));
  s.on('session_usage_updated', (event) => {
    updates.push(event);
    order.push('usage');
  });
  return { updates, order };
}

describe('session usage', () => {
  it('sums LLM tokens and TTS characters and audio per model, announced after each billable metric', async () => {
    openai.reply(textReply(['Hello ', 'there.'], [12, 3]), textReply(['Bye.'], [20, 2, 8]));
    const llm = new OpenAILLM({ model: 'gpt-4.1-mini', apiKey: 'sk-test-usage', baseURL: openai.baseURL });
    const { tts } = cartesia.tts();
    const s = new AgentSession({ llm, tts, audioOutput: new PacedAudioOutput() });
    const { updates, order } = observe(s);
    expect(s.usage).toEqual({ modelUsage: [], total: totals() });
    await s.start({ agent: new Agent({ instructions: 'x' }) });

    await s.input.text('hi');
    await when('session_usage_updated', () => updates.length === 2);
    // Each of the fake's sentences is 2 chunks of 1000 samples at 24 kHz.
    const afterFirst = {
      modelUsage: [
        { type: 'llm_usage', provider: 'openai', model: 'gpt-4.1-mini', inputTokens: 12, outputTokens: 3 },
        { type: 'tts_usage', provider: 'cartesia', model: 'sonic-3', charactersCount: 'Hello there.'.length, audioDurationMs: expect.closeTo(2_000 / 24, 6) },
      ],
      total: totals({ llmInputTokens: 12, llmOutputTokens: 3, ttsCharactersCount: 12, ttsAudioDurationMs: expect.closeTo(2_000 / 24, 6) }),
    };
    expect(updates.at(-1)!.usage).toEqual(afterFirst);
    expect(s.usage).toEqual(afterFirst);
    // Each billable metric is followed by the usage it changed (the two models report independently).
    expect([order[1], order[3]]).toEqual(['usage', 'usage']);
    expect([order[0], order[2]].sort()).toEqual(['llm_metrics', 'tts_metrics']);

    await when('agent_state_changed', () => s.agentState === 'listening'); // the reply has played out
    await s.input.text('bye');
    await when('session_usage_updated', () => updates.length === 4);
    expect(s.usage).toEqual({
      modelUsage: [
        // The second request had 8 of its prompt's tokens from OpenAI's prompt cache.
        { type: 'llm_usage', provider: 'openai', model: 'gpt-4.1-mini', inputTokens: 32, inputCachedTokens: 8, outputTokens: 5 },
        { type: 'tts_usage', provider: 'cartesia', model: 'sonic-3', charactersCount: 'Hello there.Bye.'.length, audioDurationMs: expect.closeTo(4_000 / 24, 6) },
      ],
      total: totals({ llmInputTokens: 32, llmInputCachedTokens: 8, llmOutputTokens: 5, ttsCharactersCount: 16, ttsAudioDurationMs: expect.closeTo(4_000 / 24, 6) }),
    });
    // What an event carried does not change afterwards.
    expect(updates[1]!.usage).toEqual(afterFirst);
  });

  it('counts the STT audio Deepgram reports; fields still at 0 are left out, as agents-js', async () => {
    const s = new AgentSession({ stt: deepgramAt(deepgram) });
    const { updates, order } = observe(s);
    await s.start({ agent: new Agent({ instructions: 'x' }) });
    void s.listen(
      (async function* () {
        for (let i = 0; i < 5; i++) yield frame(100);
      })(),
    );
    const connection = await deepgram.connection();
    await connection.untilAudioBytes(5 * 1600 * 2);
    connection.sendMetadata(0.5);
    await when('session_usage_updated', () => updates.length === 1);
    expect(order).toEqual(['stt_metrics', 'usage']);
    expect(s.usage).toEqual({ modelUsage: [{ type: 'stt_usage', provider: 'deepgram', model: 'nova-3', audioDurationMs: 500 }], total: totals({ sttAudioDurationMs: 500 }) });
  });

  it('a model shared by two sessions reports each request to the session that made it', async () => {
    openai.reply(textReply(['One.'], [100, 1]), textReply(['Two.'], [7, 2]));
    const llm = new OpenAILLM({ model: 'gpt-4.1-mini', apiKey: 'sk-test-usage', baseURL: openai.baseURL });
    const first = new AgentSession({ llm });
    const second = new AgentSession({ llm });
    const seen = { first: [] as string[], second: [] as string[] };
    first.on('metrics_collected', (event) => seen.first.push(event.metrics.type));
    second.on('metrics_collected', (event) => seen.second.push(event.metrics.type));
    try {
      await first.start({ agent: new Agent({ instructions: 'x' }) });
      await second.start({ agent: new Agent({ instructions: 'x' }) });
      await first.run({ userInput: 'one' });
      await second.run({ userInput: 'two' });
      expect(first.usage.total).toMatchObject({ llmInputTokens: 100, llmOutputTokens: 1 });
      expect(second.usage.total).toMatchObject({ llmInputTokens: 7, llmOutputTokens: 2 });
      expect(seen).toEqual({ first: ['llm_metrics'], second: ['llm_metrics'] });
    } finally {
      await Promise.all([first.aclose(), second.aclose()]);
    }
  });
});

function totals(values: Partial<Record<keyof AgentSessionUsage['total'], unknown>> = {}) {
  return { llmInputTokens: 0, llmInputCachedTokens: 0, llmOutputTokens: 0, ttsCharactersCount: 0, ttsAudioDurationMs: 0, sttAudioDurationMs: 0, vadInferenceDurationMs: 0, ...values };
}

describe('VAD usage', () => {
  it('a Silero VAD counts in usage as vad_usage, reported as metrics, without a usage update each second of audio', async () => {
    const { VAD } = await import('../../src/plugins/silero/index.js');
    const { audioFrame } = await import('../../src/audio/audio_frame.js');
    const s = new AgentSession({ vad: await VAD.load(), userAwayTimeout: null });
    const { updates } = observe(s);
    const vadMetrics: unknown[] = [];
    s.on('metrics_collected', (event) => event.metrics.type === 'vad_metrics' && vadMetrics.push(event.metrics));
    await s.start({ agent: new Agent({ instructions: 'Listen.' }) });
    // 3 s of silence, as a microphone sends it: the VAD reports about once a second.
    async function* microphone() {
      for (let i = 0; i < 300; i++) yield audioFrame(new Int16Array(160), 16000);
    }
    void s.listen(microphone());
    await when('metrics_collected', () => vadMetrics.length >= 2);
    expect(s.usage.modelUsage).toEqual([expect.objectContaining({ type: 'vad_usage', provider: 'silero', inferenceCount: expect.any(Number) })]);
    expect(s.usage.total.vadInferenceDurationMs).toBeGreaterThan(0);
    expect(updates).toEqual([]);
  });
});
