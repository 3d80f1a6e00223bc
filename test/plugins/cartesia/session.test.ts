/**
 * End to end: an AgentSession whose TTS is the Cartesia TTS (the real SDK) against the fake server,
 * playing into a PacedAudioOutput. Only setTimeout and clearTimeout are faked (the playout, the
 * session's delays and the TTS's time bounds); the sockets are real.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Agent, AgentSession, PacedAudioOutput, type ErrorEvent } from '../../../src/index.js';
import { useFakeCartesia } from './setup.js';

const h = useFakeCartesia();

afterEach(() => {
  vi.useRealTimers();
});

/** Lets real I/O run, the fake clock standing still, until `condition` holds (a turn count, not a time, bounds it). */
async function until(condition: () => boolean, maxTurns = 1_000): Promise<void> {
  for (let turn = 0; !condition(); turn++) {
    if (turn >= maxTurns) throw new Error(`the condition did not hold after ${maxTurns} turns`);
    await vi.advanceTimersByTimeAsync(0);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

describe('AgentSession with the Cartesia TTS', () => {
  it('say() against a server that sends audio and then never done ends timeoutMs after the last frame, with a typed error', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    h.fake.answer = (request, connection) => {
      if (request.transcript) connection.sendAudio(request.context_id!, 1, 1);
    };
    const { tts } = h.tts({ conn: { maxRetry: 3, retryIntervalMs: 0, timeoutMs: 3_000 } });
    const session = new AgentSession({ tts, audioOutput: new PacedAudioOutput() });
    const errors: ErrorEvent[] = [];
    session.on('error', (event) => errors.push(event));
    await session.start({ agent: new Agent({ instructions: 'x' }) });

    const speech = session.say('Hello.');
    await until(() => session.agentState === 'speaking');
    await vi.advanceTimersByTimeAsync(2_999);
    expect(speech.done).toBe(false);
    expect(errors).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await until(() => speech.done);
    expect(errors).toEqual([
      expect.objectContaining({
        source: 'tts',
        error: expect.objectContaining({ recoverable: false, message: 'cartesia: no answer within 3000 ms, after audio began (not replayed)' }),
      }),
    ]);
    expect(session.agentState).toBe('listening');
    expect(h.fake.upgrades).toBe(1);
    await session.aclose();
  });
});
