/** Failures the session cannot get past: LLM and TTS after maxUnrecoverableErrors, STT at once. */
import { describe, expect, it, vi } from 'vitest';
import { Agent, AgentSession, type MetricsCollectedEvent } from '../../src/index.js';
import { PacedAudioOutput } from '../../src/audio/audio_output.js';
import { ProviderError } from '../../src/provider/provider_error.js';
import { FakeTTS } from '../../src/testing/fake_tts.js';
import { FakeUser } from '../../src/testing/fake_user.js';
import { ScriptedLLM } from '../support/scripted_llm.js';
import { useFakeTime } from '../support/fake_time.js';

useFakeTime();

describe('unrecoverable failures', () => {
  it('the session closes with reason error after maxUnrecoverableErrors LLM failures in a row; recoverable ones do not count', async () => {
    const llm = new ScriptedLLM([
      { error: new ProviderError('openai', true, 'overloaded, retrying') },
      { error: new ProviderError('openai', false, 'down') },
      { error: new ProviderError('openai', false, 'down') },
    ]);
    const session = new AgentSession({ llm, maxUnrecoverableErrors: 2 });
    const closes: string[] = [];
    session.on('close', (event) => closes.push(`${event.reason}: ${event.error?.message}`));
    await session.start({ agent: new Agent({ instructions: 'x' }) });
    for (const text of ['one', 'two']) {
      await session.input.text(text);
      await vi.advanceTimersByTimeAsync(0);
    }
    expect(session.state).toBe('running');
    await session.input.text('three');
    await vi.advanceTimersByTimeAsync(0);
    expect(closes).toEqual(['error: openai: down']);
  });

  it('speaking in between resets the count', async () => {
    const llm = new ScriptedLLM([{ error: new Error('bad') }, { text: 'fine' }, { error: new Error('bad') }]);
    const session = new AgentSession({ llm, maxUnrecoverableErrors: 2 });
    await session.start({ agent: new Agent({ instructions: 'x' }) });
    for (const text of ['one', 'two', 'three']) {
      await session.input.text(text);
      await vi.advanceTimersByTimeAsync(0);
    }
    expect(session.state).toBe('running');
  });

  it('a failed STT closes the session at once: it can no longer hear the user', async () => {
    const user = new FakeUser();
    const session = new AgentSession({ vad: user.vad, stt: user.stt });
    await session.start({ agent: new Agent({ instructions: 'x' }) });
    void session.listen(user.audio());
    await vi.advanceTimersByTimeAsync(10);
    for (const stream of user.stt.streams.open) stream.fail(new ProviderError('deepgram', false, 'socket closed for good'));
    await vi.advanceTimersByTimeAsync(0);
    expect(session.state).toBe('closed');
    expect((await session.closed()).reason).toBe('error');
  });
});

describe('turn metrics', () => {
  it('measure from the end of speech: transcription, end of utterance, first audio', async () => {
    const user = new FakeUser();
    const session = new AgentSession({
      vad: user.vad,
      stt: user.stt,
      tts: new FakeTTS({ ttfbMs: 80 }),
      llm: new ScriptedLLM([{ text: 'Hi.' }]),
      audioOutput: new PacedAudioOutput(),
    });
    const metrics: MetricsCollectedEvent['metrics'][] = [];
    session.on('metrics_collected', (event) => metrics.push(event.metrics));
    await session.start({ agent: new Agent({ instructions: 'x' }) });
    void session.listen(user.audio());
    void user.say('hello', { durationMs: 600, sttDelayMs: 150 });
    await vi.advanceTimersByTimeAsync(2_000);
    expect(metrics).toEqual([
      expect.objectContaining({ type: 'turn_metrics', transcriptionDelayMs: 150, endOfUtteranceDelayMs: 500, e2eLatencyMs: 580 }),
    ]);
    user.close();
  });
});
