/**
 * agents-js's `turnHandling` options drive the same behaviour as the flat (Python-shaped) ones, on
 * virtual time with a scripted user; what voxstate cannot honour is refused at construction with
 * one error naming each key and what is accepted.
 */
import { describe, expect, it, vi } from 'vitest';
import { AgentSession, InvalidOptionsError, addInspector, type AgentSessionOptions } from '../../src/index.js';
import { useFakeTime } from '../support/fake_time.js';
import { ScriptedLLM } from '../support/scripted_llm.js';
import { useVoiceSessions } from '../support/voice_sessions.js';

useFakeTime();

const { listening, talking } = useVoiceSessions();

describe('turnHandling.endpointing', () => {
  it('minDelay ends a transcribed turn that long after the end of speech', async () => {
    const { user, llm } = await listening({ turnHandling: { endpointing: { mode: 'fixed', minDelay: 200 } } });
    void user.say('what time is it', { durationMs: 640, sttDelayMs: 100 });
    await vi.advanceTimersByTimeAsync(640 + 190);
    expect(llm.requests).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(20);
    expect(llm.requests).toHaveLength(1);
  });

  it('maxDelay ends a turn without words that long after the end of speech (the user-turn actor, as an inspector sees it)', async () => {
    let turn = '';
    const removeInspector = addInspector((event) => {
      if (event.type === '@xstate.snapshot' && (event.actorRef as { logic?: { id?: string } }).logic?.id === 'userTurn') {
        turn = JSON.stringify((event.snapshot as unknown as { value: unknown }).value);
      }
    });
    try {
      const { user, llm } = await listening({ turnHandling: { endpointing: { maxDelay: 1_000 } } });
      void user.say('', { durationMs: 640, noWords: true });
      await vi.advanceTimersByTimeAsync(640 + 990);
      expect(turn).toBe('{"endpointing":"awaitingTranscript"}');
      await vi.advanceTimersByTimeAsync(20);
      expect(turn).toBe('"idle"');
      expect(llm.requests).toHaveLength(0);
    } finally {
      removeInspector();
    }
  });
});

describe('turnHandling.interruption', () => {
  it('minDuration and falseInterruptionTimeout: a shorter overlap pauses the agent, resumed sooner', async () => {
    const { user, audio, session, events } = await talking({ turnHandling: { interruption: { mode: 'vad', minDuration: 200, falseInterruptionTimeout: 800 } } });
    const speech = session.say('This is a rather long story.'); // 2.8 s of audio
    await vi.advanceTimersByTimeAsync(1_000);
    void user.say('', { durationMs: 700, noWords: true });
    await vi.advanceTimersByTimeAsync(250);
    expect(session.agentState).toBe('listening'); // paused after 224 ms of the user's speech
    const held = audio.playedMs;
    await vi.advanceTimersByTimeAsync(700);
    expect(audio.playedMs).toBe(held);
    expect(events).toEqual([]);
    await vi.advanceTimersByTimeAsync(100);
    expect(events).toEqual(['false interruption (resumed: true)']);
    expect(session.agentState).toBe('speaking');
    await vi.advanceTimersByTimeAsync(3_000);
    expect(speech.done && !speech.interrupted).toBe(true);
  });

  it('resumeFalseInterruption: false interrupts at once instead of pausing', async () => {
    const { user, session, events } = await talking({ turnHandling: { interruption: { resumeFalseInterruption: false } } });
    const speech = session.say('This is a rather long story.');
    await vi.advanceTimersByTimeAsync(1_000);
    void user.say('', { durationMs: 700, noWords: true });
    await vi.advanceTimersByTimeAsync(520);
    expect(speech.interrupted).toBe(true);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(events).toEqual([]);
    expect(session.history.messages()[0]).toMatchObject({ interrupted: true });
  });

  it('enabled: false makes speech uninterruptible by default; the user is still heard, and a say() may still allow it', async () => {
    const { user, session } = await talking({ turnHandling: { interruption: { enabled: false } } });
    const speech = session.say('This is a rather long story.');
    expect(speech.allowInterruptions).toBe(false);
    await vi.advanceTimersByTimeAsync(1_000);
    void user.say('stop stop stop', { durationMs: 1_000 });
    await vi.advanceTimersByTimeAsync(2_000);
    expect(speech.interrupted).toBe(false);
    expect(session.history.messages().map((m) => m.content)).toContain('stop stop stop');
    await vi.advanceTimersByTimeAsync(2_000);
    expect(session.say('Another story.', { allowInterruptions: true }).allowInterruptions).toBe(true);
    expect(session.generateReply().allowInterruptions).toBe(false);
  });
});

describe('interruption policy per agent state (turnHandling.interruption.whileThinking / whileSpeaking)', () => {
  /** A session whose reply takes 3 s to come, then speaks for 2.4 s; the user speaks over it while it thinks. */
  async function thinkingThenSpeaking(options: AgentSessionOptions) {
    const llm = new ScriptedLLM([{ text: 'The answer is forty-two.', ttftMs: 3_000 }]);
    const { user, session, events } = await talking({ llm, ...options });
    const overlaps: boolean[] = [];
    session.on('overlapping_speech', (event) => overlaps.push(event.isInterruption));
    const reply = session.generateReply();
    await vi.advanceTimersByTimeAsync(500);
    expect(session.agentState).toBe('thinking');
    void user.say('', { durationMs: 1_000, noWords: true });
    await vi.advanceTimersByTimeAsync(700);
    return { user, session, events, reply, overlaps };
  }

  it('by default, user speech while the agent thinks pauses it too (the agent listens, then thinks on)', async () => {
    const { session, reply, events } = await thinkingThenSpeaking({});
    expect(session.agentState).toBe('listening');
    await vi.advanceTimersByTimeAsync(2_000);
    expect(events).toEqual(['false interruption (resumed: true)']);
    expect(reply.interrupted).toBe(false);
  });

  it('whileThinking.enabled: false leaves the reply being thought out alone; once it speaks, user speech pauses it', async () => {
    const { user, session, reply, events } = await thinkingThenSpeaking({ turnHandling: { interruption: { whileThinking: { enabled: false } } } });
    expect(session.agentState).toBe('thinking');
    await vi.advanceTimersByTimeAsync(2_000);
    expect(session.agentState).toBe('speaking');
    expect(events).toEqual([]);
    void user.say('', { durationMs: 700, noWords: true });
    await vi.advanceTimersByTimeAsync(600);
    expect(session.agentState).toBe('listening');
    await vi.advanceTimersByTimeAsync(2_000);
    expect(events).toEqual(['false interruption (resumed: true)']);
    await vi.advanceTimersByTimeAsync(3_000);
    expect([reply.done, reply.interrupted]).toEqual([true, false]);
  });

  it('whileThinking.enabled: false: a turn typed while the agent thinks is kept, not answered, and does not cut the reply', async () => {
    const llm = new ScriptedLLM([{ text: 'First answer.', ttftMs: 3_000 }, { text: 'never asked' }]);
    const { session } = await talking({ llm, turnHandling: { interruption: { whileThinking: { enabled: false } } } });
    const reply = session.generateReply();
    await vi.advanceTimersByTimeAsync(500);
    await session.input.text('and also');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(llm.requests).toHaveLength(1);
    expect([reply.done, reply.interrupted]).toEqual([true, false]);
    expect(session.history.messages().map((m) => m.content)).toEqual(['and also', 'First answer.']);
  });

  it('speakingMinInterruptionDuration: shorter user speech over the speaking agent does not pause it; longer does, at that duration', async () => {
    const { user, session, events } = await talking({ speakingMinInterruptionDuration: 1_500 });
    const overlaps: boolean[] = [];
    session.on('overlapping_speech', (event) => overlaps.push(event.isInterruption));
    session.say('This is a rather long story, long enough.');
    await vi.advanceTimersByTimeAsync(500);
    void user.say('', { durationMs: 1_000, noWords: true });
    await vi.advanceTimersByTimeAsync(1_200);
    expect(session.agentState).toBe('speaking');
    expect(overlaps).toEqual([false]);
    void user.say('', { durationMs: 2_000, noWords: true });
    await vi.advanceTimersByTimeAsync(1_400);
    expect(session.agentState).toBe('speaking');
    await vi.advanceTimersByTimeAsync(200);
    expect(session.agentState).toBe('listening');
    await vi.advanceTimersByTimeAsync(2_000);
    expect(events).toEqual(['false interruption (resumed: true)']);
  });
});

describe('turnHandling.preemptiveGeneration', () => {
  for (const preemptiveGeneration of [true, { enabled: true }, {}] as const) {
    it(`${JSON.stringify(preemptiveGeneration)} requests the reply at the final transcript`, async () => {
      const { user, llm } = await listening({ turnHandling: { preemptiveGeneration } }, [{ text: 'Hi!', ttftMs: 300 }]);
      void user.say('hello', { durationMs: 600, sttDelayMs: 100 });
      await vi.advanceTimersByTimeAsync(701);
      expect(llm.requests).toHaveLength(1); // 400 ms before the turn ends
    });
  }

  it('false or { enabled: false } waits for the end of the turn', async () => {
    for (const preemptiveGeneration of [false, { enabled: false }]) {
      const { user, llm } = await listening({ turnHandling: { preemptiveGeneration } }, [{ text: 'Hi!' }]);
      void user.say('hello', { durationMs: 600, sttDelayMs: 100 });
      await vi.advanceTimersByTimeAsync(701);
      expect(llm.requests).toHaveLength(0);
    }
  });
});

describe('what cannot be honoured is refused at construction, with every problem named', () => {
  const refused = (options: AgentSessionOptions) => {
    try {
      new AgentSession(options);
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidOptionsError);
      expect(error).toMatchObject({ code: 'invalid_options', owner: 'AgentSession' });
      return (error as InvalidOptionsError).message;
    }
    throw new Error('the options were accepted');
  };

  it('modes voxstate does not have, and minWords', () => {
    expect(refused({ turnHandling: { endpointing: { mode: 'dynamic' }, interruption: { mode: 'adaptive', minWords: 2 } } })).toBe(
      'AgentSession options: ' +
        'turnHandling.endpointing.mode: "dynamic" is not supported: voxstate ends a turn a fixed delay after the end of speech, it has no dynamic endpointing; accepted: "fixed"; ' +
        'turnHandling.interruption.mode: "adaptive" is not supported: voxstate interrupts on voice activity, it has no adaptive interruption model; accepted: "vad"; ' +
        'turnHandling.interruption.minWords: 2 is not supported: voxstate does not count words before interrupting; accepted: 0',
    );
  });

  it('unknown keys at every level, each with what is accepted there', () => {
    const options = {
      turnHandling: {
        turnDetection: 'vad',
        endpointing: { minDelay: 300, alpha: 0.9 },
        interruption: { backchannelBoundary: null, whileThinking: { minWords: 2 } },
        preemptiveGeneration: { enabled: true, preemptiveTts: true },
      },
    } as unknown as AgentSessionOptions;
    expect(refused(options)).toBe(
      'AgentSession options: ' +
        'turnHandling.turnDetection: not an option voxstate has; accepted: endpointing, interruption, preemptiveGeneration; ' +
        'turnHandling.endpointing.alpha: not an option voxstate has; accepted: mode, minDelay, maxDelay; ' +
        'turnHandling.interruption.backchannelBoundary: not an option voxstate has; accepted: enabled, mode, minDuration, minWords, falseInterruptionTimeout, resumeFalseInterruption, whileThinking, whileSpeaking; ' +
        'turnHandling.interruption.whileThinking.minWords: not an option voxstate has; accepted: enabled, minDuration; ' +
        'turnHandling.preemptiveGeneration.preemptiveTts: not an option voxstate has; accepted: enabled',
    );
  });

  it('one setting given in both shapes', () => {
    expect(refused({ minEndpointingDelay: 300, preemptiveGeneration: true, turnHandling: { endpointing: { minDelay: 400 }, preemptiveGeneration: {} } })).toBe(
      'AgentSession options: minEndpointingDelay and turnHandling.endpointing.minDelay set the same thing: give only one; ' +
        'preemptiveGeneration and turnHandling.preemptiveGeneration.enabled set the same thing: give only one',
    );
    expect(refused({ falseInterruptionTimeout: 1_000, turnHandling: { interruption: { falseInterruptionTimeout: 1_000 } } })).toContain(
      'falseInterruptionTimeout and turnHandling.interruption.falseInterruptionTimeout set the same thing',
    );
    expect(refused({ speakingMinInterruptionDuration: 800, turnHandling: { interruption: { whileSpeaking: { minDuration: 900 } } } })).toBe(
      'AgentSession options: speakingMinInterruptionDuration and turnHandling.interruption.whileSpeaking.minDuration set the same thing: give only one',
    );
  });

  it('values of the wrong kind, in either shape, and a minimum above the maximum', () => {
    const options = {
      minInterruptionDuration: -1,
      thinkingMinInterruptionDuration: 'long',
      turnHandling: {
        endpointing: { minDelay: 4_000 },
        interruption: { enabled: 'yes', falseInterruptionTimeout: Number.NaN, whileThinking: { enabled: 1 }, whileSpeaking: true },
        preemptiveGeneration: 'soon',
      },
    } as unknown as AgentSessionOptions;
    expect(refused(options)).toBe(
      'AgentSession options: ' +
        'turnHandling.interruption.enabled: must be true or false (got "yes"); ' +
        'turnHandling.interruption.falseInterruptionTimeout: must be a number of ms, 0 or more (got NaN); ' +
        'turnHandling.interruption.whileThinking.enabled: must be true or false (got 1); ' +
        'turnHandling.interruption.whileSpeaking: must be an object (got true); ' +
        'turnHandling.preemptiveGeneration: must be true, false or an object (got "soon"); ' +
        'minInterruptionDuration: must be a number of ms, 0 or more (got -1); ' +
        'thinkingMinInterruptionDuration: must be a number of ms, 0 or more (got "long"); ' +
        'turnHandling.endpointing.minDelay (4000 ms) is more than the maximum endpointing delay (3000 ms)',
    );
    expect(refused({ turnHandling: [] as never })).toBe('AgentSession options: turnHandling: must be an object (got [])');
  });

  it('the flat shape alone is still accepted, and the two shapes may share the work', () => {
    expect(() => new AgentSession({ minEndpointingDelay: 300, maxEndpointingDelay: 2_000, minInterruptionDuration: 400, falseInterruptionTimeout: 1_000, preemptiveGeneration: true })).not.toThrow();
    expect(() => new AgentSession({ minEndpointingDelay: 300, turnHandling: { endpointing: { maxDelay: 2_000 }, interruption: { minDuration: 300, minWords: 0 } } })).not.toThrow();
  });
});
