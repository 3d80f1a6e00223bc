/**
 * The session under agents-js's names: the `voice` namespace, AgentSessionEventTypes with typed
 * listeners, CloseReason as a value, and close() beside the Python-shaped aclose().
 */
import { describe, expect, it } from 'vitest';
import * as voice from '../../src/voice/index.js';
import { Agent, AgentSession, ClosedError, StopResponse } from '../../src/index.js';
import * as metrics from '../../src/metrics/index.js';
import { FakeLLM } from '../../src/testing/index.js';
import { captureLogs } from '../bus/log_lines.js';
import { MeteredLLM } from '../support/metered_llm.js';
import { ScriptedOutput } from '../support/scripted_output.js';
import { flush, useFakeTime } from '../support/fake_time.js';

useFakeTime();
const logs = captureLogs();

class Greeter extends voice.Agent {
  exits = 0;
  override async onExit() {
    this.exits += 1;
    await this.session.say('Goodbye!');
  }
}

async function started() {
  const session = new voice.AgentSession({ llm: new FakeLLM([{ text: 'Hello there.' }]) });
  const output = new ScriptedOutput();
  session.output = output;
  const agent = new Greeter({ instructions: 'x' });
  await session.start({ agent });
  return { session, output, agent };
}

describe('the voice namespace', () => {
  it('holds the same classes as the top level, and voice.testing the testing helpers', () => {
    expect([voice.Agent, voice.AgentTask, voice.StopResponse, voice.AgentSession]).toEqual([Agent, voice.AgentTask, StopResponse, AgentSession]);
    expect(voice.testing.FakeLLM).toBe(FakeLLM);
    expect(typeof voice.testing.mockTools).toBe('function');
  });

  it('AgentSessionEventTypes names the events a listener receives, typed by the name', async () => {
    const { session, output } = await started();
    const seen: string[] = [];
    session.on(voice.AgentSessionEventTypes.AgentStateChanged, (ev) => seen.push(`agent ${ev.oldState}→${ev.newState}`));
    session.on(voice.AgentSessionEventTypes.SpeechCreated, (ev) => seen.push(`speech ${ev.source}`));
    session.on(voice.AgentSessionEventTypes.ConversationItemAdded, (ev) => seen.push(`item ${ev.item.type === 'message' ? ev.item.role : ev.item.type}`));
    session.on(voice.AgentSessionEventTypes.Close, (ev) => seen.push(`close ${ev.reason}`));
    await session.input.text('hi');
    await flush();
    await output.finish();
    await flush();
    expect(seen).toEqual(['item user', 'speech generate_reply', 'agent listening→thinking', 'agent thinking→speaking', 'agent speaking→listening', 'item assistant']);
    expect(Object.values(voice.AgentSessionEventTypes)).toContain('session_usage_updated');
    expect(Object.values(voice.AgentSessionEventTypes)).toContain('overlapping_speech');
  });

  it("agents-js's metrics idiom: MetricsCollected to metrics.logMetrics, SessionUsageUpdated with the session's usage", async () => {
    const session = new voice.AgentSession({ llm: new MeteredLLM([{ text: 'Hello there.' }]) });
    session.output = new ScriptedOutput();
    const usage: metrics.AgentSessionUsage[] = [];
    session.on(voice.AgentSessionEventTypes.MetricsCollected, (ev) => metrics.logMetrics(ev.metrics));
    session.on(voice.AgentSessionEventTypes.SessionUsageUpdated, (ev) => usage.push(ev.usage));
    await session.start({ agent: new voice.Agent({ instructions: 'x' }) });
    await session.input.text('hi');
    await flush();
    expect(logs.lines.filter((line) => line.msg === 'LLM metrics')).toEqual([
      expect.objectContaining({ label: 'fake/scripted-1', inputTokens: 10, outputTokens: 2 }),
    ]);
    expect(usage).toEqual([
      {
        modelUsage: [{ type: 'llm_usage', provider: 'fake', model: 'scripted-1', inputTokens: 10, inputCachedTokens: 4, outputTokens: 2 }],
        total: { llmInputTokens: 10, llmInputCachedTokens: 4, llmOutputTokens: 2, ttsCharactersCount: 0, ttsAudioDurationMs: 0, sttAudioDurationMs: 0, vadInferenceDurationMs: 0 },
      },
    ]);
    expect(session.usage).toEqual(usage[0]);
  });

  it('CloseReason is a value too, as agents-js writes it', async () => {
    const { session, output } = await started();
    const closes: string[] = [];
    session.on('close', (ev) => closes.push(ev.reason));
    session.shutdown({ reason: voice.CloseReason.JOB_SHUTDOWN, drain: false });
    await output.finish(); // the goodbye of onExit
    await session.closed();
    expect(closes).toEqual([voice.CloseReason.JOB_SHUTDOWN]);
    expect(voice.CloseReason).toEqual({ ERROR: 'error', JOB_SHUTDOWN: 'job_shutdown', PARTICIPANT_DISCONNECTED: 'participant_disconnected', USER_INITIATED: 'user_initiated' });
  });
});

describe('close()', () => {
  it('closes as aclose() does: onExit once (it may still speak), one close event, then the promise resolves', async () => {
    const { session, output, agent } = await started();
    const timeline: string[] = [];
    session.on('close', (ev) => timeline.push(`close ${ev.reason}`));
    session.on('agent_state_changed', (ev) => timeline.push(`agent ${ev.newState}`));
    const closing = session.close();
    const again = session.aclose();
    // One promise for both names, however often they are called.
    expect(again).toBe(closing);
    expect(session.close()).toBe(closing);
    await output.finish(); // onExit's goodbye plays out before the session closes
    await closing.then(() => timeline.push('close() resolved'));
    expect(agent.exits).toBe(1);
    expect(timeline).toEqual(['agent speaking', 'agent listening', 'agent idle', 'close user_initiated', 'close() resolved']);
    expect(session.history.messages().map((m) => m.content)).toEqual(['Goodbye!']);
    expect(session.state).toBe('closed');
    expect(session.agentState).toBe('idle');
    expect(() => session.say('hi')).toThrow(ClosedError);
    await session.close();
  });

  it('on a session that never started, resolves at once with its close', async () => {
    const session = new AgentSession();
    const reasons: string[] = [];
    session.on('close', (ev) => reasons.push(ev.reason));
    await session.close();
    expect(reasons).toEqual(['user_initiated']);
    expect(session.agentState).toBe('idle');
  });
});
