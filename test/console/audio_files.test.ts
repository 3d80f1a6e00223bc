/** Console audio files: --input plays a WAV in real time into the VAD; --output records the agent's voice. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Agent, AgentServer, AgentSession, readWavFile, runConsole, silero } from '../../src/index.js';
import { FakeTTS } from '../../src/testing/fake_tts.js';

const FIXTURE = new URL('../fixtures/speech_16k.wav', import.meta.url).pathname;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'voxstate-console-'));
  // Real time is simulated; onnxruntime's own scheduling (setImmediate) stays real.
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
});
afterEach(async () => {
  vi.useRealTimers();
  await rm(dir, { recursive: true, force: true });
});

describe('console audio files', () => {
  it('the input file is heard by the real Silero VAD (the user speaks twice); the agent’s voice is recorded', async () => {
    const server = new AgentServer<{ vad: silero.VAD }>();
    server.setupFnc = async (proc) => {
      proc.userData.vad = await silero.VAD.load();
    };
    server.rtcSession(async (ctx) => {
      const session = new AgentSession({ vad: ctx.proc.userData.vad, tts: new FakeTTS({ ttfbMs: 10, msPerCharacter: 50 }) });
      await session.start({ agent: new Agent({ instructions: 'x' }), room: ctx.room });
      session.say('Welcome.');
    });
    await server.prewarm();
    const input = new PassThrough();
    const output = new PassThrough();
    let printed = '';
    output.on('data', (chunk) => (printed += String(chunk)));
    const recording = join(dir, 'agent.wav');
    const done = runConsole(server, { input, output, handleSignals: false, audioInput: FIXTURE, audioOutput: recording });
    // The VAD runs real inference: count the user's state changes it makes, as printed.
    const edgesOf = (text: string) => {
      const states = [...text.matchAll(/user: (speaking|listening)\)/g)].map((m) => m[1]);
      return states.filter((state, i) => state !== states[i - 1]);
    };
    // The file lasts 7.7 s from when it has been read (real I/O, so not at a fixed simulated time):
    // let it play until the VAD has heard both sentences, with its real inference in between.
    for (let ms = 0; ms < 30_000 && edgesOf(printed).length < 5; ms += 20) {
      await vi.advanceTimersByTimeAsync(20);
      // Give onnxruntime's real scheduling a turn, so inference keeps up with simulated time.
      await new Promise((resolve) => setImmediate(resolve));
    }
    // Inference may still be catching up: wait on the printed states, not on time.
    await new Promise<void>((resolve) => {
      const check = () => edgesOf(printed).length >= 5 && resolve();
      output.on('data', check);
      check();
    });
    input.end();
    await vi.advanceTimersByTimeAsync(1_000);
    const result = await done;
    expect(result.status).toBe('success');
    expect(printed).toContain(`playing ${FIXTURE} as your microphone`);
    expect(printed.match(/user: listening\) │ agent default_agent: active\n[^\n]*user: speaking/g)?.length ?? 0).toBeGreaterThanOrEqual(1);
    expect(edgesOf(printed)).toEqual(['listening', 'speaking', 'listening', 'speaking', 'listening']);
    const wav = await readWavFile(recording);
    // "Welcome." is 8 characters × 50 ms.
    expect((wav.samplesPerChannel / wav.sampleRate) * 1000).toBeCloseTo(400, -2);
    expect(printed).toContain(`ms of the agent's voice to ${recording}`);
  }, 30_000);
});
