/**
 * Recording a conversation: the user's audio on the left, the agent's on the right, each where it
 * was heard, in one stereo WAV (read back with wavefile), the session report beside it; a directory
 * that cannot be written is refused before the session starts.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import wavefile from 'wavefile';
import { Agent, AgentSession, audioFrame, PacedAudioOutput, type SessionReport } from '../../src/index.js';
import { RecordingError } from '../../src/recording/session_recording.js';
import { readReport } from '../../src/inspect/report_check.js';
import { SESSION_REPORT_VERSION } from '../../src/report/session_report.js';
import { FakeLLM, FakeTTS, FakeUser } from '../../src/testing/index.js';
import { useFakeTime } from '../support/fake_time.js';

useFakeTime();
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'voxstate-recording-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** `ms` of 10 ms frames at 16 kHz, each at `level`, paced in (virtual) real time. */
async function* microphone(ms: number, level: number) {
  for (let t = 0; t < ms; t += 10) {
    yield audioFrame(new Int16Array(160).fill(level), 16_000);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The mean absolute level of `samples` (Int16) from `fromMs` to `toMs` at `rate`. */
function level(samples: ArrayLike<number>, rate: number, fromMs: number, toMs: number): number {
  let sum = 0;
  const from = Math.round((fromMs * rate) / 1000);
  const to = Math.round((toMs * rate) / 1000);
  for (let i = from; i < to; i++) sum += Math.abs(samples[i]!);
  return sum / Math.max(1, to - from);
}

describe('recording a session', () => {
  it('writes one stereo WAV (user left, agent right, each where it was heard) and the report beside it', async () => {
    const user = new FakeUser();
    const tts = new FakeTTS({ ttfbMs: 50, msPerCharacter: 100, level: 12_000 });
    const session = new AgentSession({ vad: user.vad, stt: user.stt, tts, llm: new FakeLLM([{ text: 'Hi there.' }]), audioOutput: new PacedAudioOutput(), record: { dir, sampleRate: 16_000 } });
    await session.start({ agent: new Agent({ instructions: 'x' }) });
    const listening = session.listen(microphone(800, 6_000));
    void user.say('hello', { durationMs: 800 });
    // The user speaks 0–800 ms; the turn ends 500 ms later; the TTS answers 50 ms after: 1350–2250 ms.
    await vi.advanceTimersByTimeAsync(3_000);
    await listening;
    await session.aclose();
    user.close();

    const files = readdirSync(dir).sort();
    expect(files).toHaveLength(2);
    expect(files[0]).toMatch(/^session-.*\.json$/);
    expect(files[1]).toMatch(/^session-.*\.wav$/);
    const wav = new wavefile.WaveFile(readFileSync(join(dir, files[1]!)));
    expect(wav.fmt).toMatchObject({ numChannels: 2, sampleRate: 16_000, bitsPerSample: 16 });
    const [left, right] = wav.getSamples(false, Int16Array) as unknown as [Int16Array, Int16Array];
    expect(level(left, 16_000, 50, 750)).toBeCloseTo(6_000, -1);
    expect(level(left, 16_000, 900, 2_200)).toBe(0);
    expect(level(right, 16_000, 0, 1_300)).toBe(0);
    expect(level(right, 16_000, 1_400, 2_200)).toBeCloseTo(12_000, -1);

    const text = readFileSync(join(dir, files[0]!), 'utf8');
    const report = JSON.parse(text) as SessionReport;
    expect(report.version).toBe(1);
    // What the inspector page's replay reads it with finds nothing wrong.
    expect(readReport(text, SESSION_REPORT_VERSION)).toEqual({ report });
    expect(report.history.map((item) => (item.type === 'message' ? item.content : item.type))).toEqual(['hello', 'Hi there.']);
    expect(report.events.at(-1)).toMatchObject({ type: 'close', reason: 'user_initiated' });
  });

  it('an interruption cuts the agent\'s side where the user stopped hearing it', async () => {
    const tts = new FakeTTS({ ttfbMs: 0, msPerCharacter: 100, level: 10_000 });
    const session = new AgentSession({ tts, audioOutput: new PacedAudioOutput(), record: { dir, sampleRate: 16_000 } });
    await session.start({ agent: new Agent({ instructions: 'x' }) });
    const speech = session.say('A long sentence that will not be heard to its end.');
    await vi.advanceTimersByTimeAsync(1_000);
    speech.interrupt();
    await vi.advanceTimersByTimeAsync(2_000);
    await session.aclose();
    const wavName = readdirSync(dir).find((name) => name.endsWith('.wav'))!;
    const [, right] = new wavefile.WaveFile(readFileSync(join(dir, wavName))).getSamples(false, Int16Array) as unknown as [Int16Array, Int16Array];
    expect(level(right, 16_000, 100, 900)).toBeCloseTo(10_000, -1);
    // Queued ahead of playout, never played: not in the recording.
    expect(right.length / 16).toBeLessThan(1_200);
  });

  it('a directory that cannot be written: start() fails with a RecordingError, the session does not start', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const session = new AgentSession({ record: { dir: join(file, 'recordings') } });
    const error = await session.start({ agent: new Agent({ instructions: 'x' }) }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(RecordingError);
    expect((error as Error).message).toMatch(/^cannot record into .*a-file\/recordings: (ENOTDIR|EEXIST)$/);
    expect(session.state).toBe('idle');
  });
});
