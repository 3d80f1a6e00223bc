/**
 * Without an OpenTelemetry SDK (the API's default no-op provider), tracing is there and costs next
 * to nothing: a spoken turn with a tool call in a job runs as ever, nothing fails and nothing is
 * recorded anywhere.
 */
import { trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AgentServer, AgentSession, LocalRoom, PacedAudioOutput, type ErrorEvent } from '../../src/index.js';
import { FakeUser } from '../../src/testing/fake_user.js';
import { deferred } from '../support/deferred.js';
import { useFakeTime } from '../support/fake_time.js';
import { WeatherAgent } from '../support/weather_agent.js';
import { useInMemoryTracing } from './in_memory_tracing.js';
import { MeteredLLM } from '../support/metered_llm.js';
import { MeteredTTS } from './metered_tts.js';

useFakeTime();
// An SDK that is not registered: it must see nothing.
const unregistered = useInMemoryTracing({ global: false });
const users: FakeUser[] = [];
afterEach(() => {
  for (const user of users.splice(0)) user.close();
});

describe('without an OpenTelemetry SDK', () => {
  it('a spoken turn with a tool call in a job runs as ever: no error, nothing recorded', async () => {
    expect(trace.getTracer('voxstate').startSpan('probe').isRecording()).toBe(false);
    const user = new FakeUser();
    users.push(user);
    const llm = new MeteredLLM([{ toolCalls: [{ name: 'get_weather', arguments: { city: 'Rome' } }], ttftMs: 300 }, { text: 'It is sunny in Rome.', ttftMs: 200 }], { label: 'fake/weather-1', promptTokens: 12 });
    const errors: ErrorEvent[] = [];
    const listening = deferred<AgentSession>();
    const server = new AgentServer();
    server.rtcSession(async (ctx) => {
      ctx.logContextFields = { user_id: 'u-1' };
      const session = new AgentSession({ vad: user.vad, stt: user.stt, llm, tts: new MeteredTTS({ ttfbMs: 100 }), audioOutput: new PacedAudioOutput() });
      session.on('error', (event) => errors.push(event));
      await session.start({ agent: new WeatherAgent() });
      void session.listen(user.audio());
      listening.resolve(session);
    });
    const job = await server.startJob({ room: new LocalRoom() });
    const jobErrors: string[] = [];
    job.ctx.on('error', (event) => jobErrors.push(event.error.message));
    await vi.advanceTimersByTimeAsync(0);
    const session = await listening.promise;
    void user.say('what is the weather in Rome', { durationMs: 900 });
    await vi.advanceTimersByTimeAsync(6_000);
    expect(session.history.messages().map((m) => m.content)).toEqual(['what is the weather in Rome', 'It is sunny in Rome.']);
    job.ctx.shutdown('test over');
    await vi.advanceTimersByTimeAsync(1_000);
    expect((await job.result).status).toBe('success');
    expect(errors).toEqual([]);
    expect(jobErrors).toEqual([]);
    expect(unregistered.spans()).toEqual([]);
    expect(unregistered.open()).toEqual([]);
  });
});
