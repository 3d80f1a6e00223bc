/**
 * `overlapping_speech`: each time the user speaks over the agent's speech, one event says what it
 * came to — an interruption or not — with when the overlap began and when it was decided.
 */
import { describe, expect, it, vi } from 'vitest';
import type { AgentSession, OverlappingSpeechEvent } from '../../src/index.js';
import { useFakeTime } from '../support/fake_time.js';
import { useVoiceSessions } from '../support/voice_sessions.js';

useFakeTime();
const { listening, talking } = useVoiceSessions();

/** The overlaps, with times relative to `t0`, and the false interruptions, in the order they came. */
function record(session: AgentSession, t0: number) {
  const log: Array<Omit<OverlappingSpeechEvent, 'createdAt'> | string> = [];
  session.on('overlapping_speech', ({ createdAt: _, ...event }) =>
    log.push({ ...event, overlapStartedAt: event.overlapStartedAt - t0, detectedAt: event.detectedAt - t0 }),
  );
  session.on('agent_false_interruption', (event) => log.push(`false interruption (resumed: ${event.resumed})`));
  return log;
}

describe('overlapping_speech', () => {
  it('words while the agent is paused: an interruption, decided when the words came', async () => {
    const { user, session } = await talking();
    const t0 = Date.now();
    const log = record(session, t0);
    const speech = session.say('This is a rather long story.');
    await vi.advanceTimersByTimeAsync(1_000);
    void user.say('wait stop please', { durationMs: 1_000 });
    await vi.advanceTimersByTimeAsync(1_500);
    expect(speech.interrupted).toBe(true);
    // Paused at 512 ms of the user's speech; the interim words that came with that window interrupt it.
    expect(log).toEqual([{ type: 'overlapping_speech', isInterruption: true, overlapStartedAt: 1_000, detectedAt: 1_512, speechId: speech.id }]);
  });

  it('no words before falseInterruptionTimeout: not an interruption, announced before the false interruption', async () => {
    const { user, session } = await talking();
    const t0 = Date.now();
    const log = record(session, t0);
    const speech = session.say('This is a rather long story.');
    await vi.advanceTimersByTimeAsync(1_000);
    void user.say('', { durationMs: 700, noWords: true });
    await vi.advanceTimersByTimeAsync(3_000);
    expect(log).toEqual([
      { type: 'overlapping_speech', isInterruption: false, overlapStartedAt: 1_000, detectedAt: 1_512 + 2_000, speechId: speech.id },
      'false interruption (resumed: true)',
    ]);
  });

  it('speech over the agent shorter than minInterruptionDuration: not an interruption, decided when the user stops', async () => {
    const { user, session } = await talking();
    const log = record(session, Date.now());
    const speech = session.say('This is a rather long story.');
    await vi.advanceTimersByTimeAsync(1_000);
    void user.say('', { durationMs: 300, noWords: true });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(speech.interrupted).toBe(false);
    expect(log).toEqual([{ type: 'overlapping_speech', isInterruption: false, overlapStartedAt: 1_000, detectedAt: 1_300, speechId: speech.id }]);
  });

  it('speech that does not allow interruptions: the user is heard, the overlap is no interruption', async () => {
    const { user, session } = await talking();
    const log = record(session, Date.now());
    const speech = session.say('This is a rather long story.', { allowInterruptions: false });
    await vi.advanceTimersByTimeAsync(1_000);
    void user.say('hey', { durationMs: 600, sttDelayMs: 100 });
    await vi.advanceTimersByTimeAsync(700);
    expect(log).toEqual([{ type: 'overlapping_speech', isInterruption: false, overlapStartedAt: 1_000, detectedAt: 1_600, speechId: speech.id }]);
    expect(speech.interrupted).toBe(false);
  });

  it('an output that cannot pause is interrupted at minInterruptionDuration: an interruption then', async () => {
    const { user, session } = await listening({}, []);
    const log = record(session, Date.now());
    const speech = session.say('a long story about everything');
    await vi.advanceTimersByTimeAsync(100);
    void user.say('', { durationMs: 1_000, noWords: true });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(speech.interrupted).toBe(true);
    expect(log).toEqual([{ type: 'overlapping_speech', isInterruption: true, overlapStartedAt: 100, detectedAt: 612, speechId: speech.id }]);
  });

  it('the user speaking while the agent is silent is no overlap', async () => {
    const { user, session, llm } = await listening({}, [{ text: 'ok' }]);
    const log = record(session, Date.now());
    void user.say('hello there', { durationMs: 700 });
    await vi.advanceTimersByTimeAsync(2_000);
    expect(llm.requests).toHaveLength(1);
    expect(log).toEqual([]);
  });
});
