/**
 * Audio frames entering voxstate: audioFrame(), session.listen() and every VAD and STT stream's
 * pushFrame() refuse a malformed frame with an AudioFrameError that says what is wrong, and go on.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Agent, AgentSession, AudioFrameError, MAX_SAMPLE_RATE, audioFrame, checkAudioFrame, silero, type ErrorEvent } from '../../src/index.js';
import type { AudioFrame } from '../../src/audio/audio_frame.js';
import { DeepgramSTT } from '../../src/plugins/deepgram/stt.js';
import { FakeUser } from '../../src/testing/fake_user.js';
import { FakeDeepgram } from '../plugins/deepgram/fake_deepgram.js';

const ok = new Int16Array(320);

/** Frames built by hand (as a program may), each wrong in one way, and what the error says. */
const malformed: Array<[string, unknown, string]> = [
  ['no frame at all', null, 'expected an AudioFrame (made with audioFrame(data, sampleRate, channels)), got null'],
  ['a string instead of a frame', 'pcm', 'expected an AudioFrame (made with audioFrame(data, sampleRate, channels)), got a string "pcm"'],
  ['null data', { data: null, sampleRate: 16_000, channels: 1, samplesPerChannel: 320 }, 'data must be an Int16Array of 16-bit PCM samples, got null'],
  ['string data', { data: 'abcd', sampleRate: 16_000, channels: 1, samplesPerChannel: 4 }, 'data must be an Int16Array of 16-bit PCM samples, got a string "abcd"'],
  [
    'float samples with a NaN',
    { data: Float32Array.from([0, 0.5, Number.NaN, 0]), sampleRate: 16_000, channels: 1, samplesPerChannel: 4 },
    'data must be an Int16Array of 16-bit PCM samples, got a Float32Array, whose sample 2 is NaN',
  ],
  [
    'an array with Infinity',
    { data: [1, Number.POSITIVE_INFINITY], sampleRate: 16_000, channels: 1, samplesPerChannel: 2 },
    'data must be an Int16Array of 16-bit PCM samples, got an Array, whose sample 1 is Infinity',
  ],
  ['a sample rate of 0', { data: ok, sampleRate: 0, channels: 1, samplesPerChannel: 320 }, `sample rate must be an integer from 1 to ${MAX_SAMPLE_RATE} Hz, got 0`],
  ['a NaN sample rate', { data: ok, sampleRate: Number.NaN, channels: 1, samplesPerChannel: 320 }, 'got NaN'],
  ['a negative sample rate', { data: ok, sampleRate: -16_000, channels: 1, samplesPerChannel: 320 }, 'got -16000'],
  ['a sample rate as text', { data: ok, sampleRate: '16000', channels: 1, samplesPerChannel: 320 }, 'got "16000"'],
  ['a sample rate beyond any device', { data: ok, sampleRate: 1e9, channels: 1, samplesPerChannel: 320 }, 'got 1000000000'],
  ['0 channels', { data: ok, sampleRate: 16_000, channels: 0, samplesPerChannel: 320 }, 'channels must be a positive integer, got 0'],
  ['half a channel', { data: ok, sampleRate: 16_000, channels: 0.5, samplesPerChannel: 640 }, 'channels must be a positive integer, got 0.5'],
  ['samples that do not divide into the channels', { data: ok, sampleRate: 16_000, channels: 3, samplesPerChannel: 106 }, '320 samples do not divide into 3 channels'],
  ['a wrong samplesPerChannel', { data: ok, sampleRate: 16_000, channels: 1, samplesPerChannel: 100 }, 'samplesPerChannel is 100, but 320 samples in 1 channel make 320'],
  ['a missing samplesPerChannel', { data: ok, sampleRate: 16_000, channels: 2 }, 'samplesPerChannel is undefined, but 320 samples in 2 channels make 160'],
];

function refusal(fn: () => unknown): AudioFrameError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AudioFrameError);
    expect((error as AudioFrameError).code).toBe('invalid_audio_frame');
    return error as AudioFrameError;
  }
  throw new Error('not refused');
}

describe('audioFrame()', () => {
  it.each([
    ['a sample rate of 0', () => audioFrame(ok, 0), `sample rate must be an integer from 1 to ${MAX_SAMPLE_RATE} Hz, got 0`],
    ['a NaN sample rate', () => audioFrame(ok, Number.NaN), 'got NaN'],
    ['a negative sample rate', () => audioFrame(ok, -8_000), 'got -8000'],
    ['a fractional sample rate', () => audioFrame(ok, 16_000.5), 'got 16000.5'],
    ['0 channels', () => audioFrame(ok, 16_000, 0), 'channels must be a positive integer, got 0'],
    ['NaN channels', () => audioFrame(ok, 16_000, Number.NaN), 'channels must be a positive integer, got NaN'],
    ['null data', () => audioFrame(null as never, 16_000), 'data must be an Int16Array of 16-bit PCM samples, got null'],
    ['string data', () => audioFrame('abc' as never, 16_000), 'got a string "abc"'],
    ['float data with a NaN', () => audioFrame(Float32Array.of(Number.NaN) as never, 16_000), 'got a Float32Array, whose sample 0 is NaN'],
    ['samples that do not divide into the channels', () => audioFrame(new Int16Array(3), 16_000, 2), '3 samples do not divide into 2 channels'],
  ])('refuses %s with an AudioFrameError', (_label, make, problem) => {
    expect(refusal(make).message).toContain(problem);
  });

  it('makes the frame it is asked for', () => {
    const stereo = audioFrame(new Int16Array(640), 48_000, 2);
    expect(stereo).toMatchObject({ sampleRate: 48_000, channels: 2, samplesPerChannel: 320 });
    expect(() => checkAudioFrame(stereo)).not.toThrow();
  });
});

describe('checkAudioFrame', () => {
  it.each(malformed)('refuses %s', (_label, frame, problem) => {
    const { message } = refusal(() => checkAudioFrame(frame));
    expect(message.startsWith('audio frame: ')).toBe(true);
    expect(message).toContain(problem);
  });
});

describe('every entry of audio refuses a malformed frame, and goes on', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('session.listen(): rejects with the AudioFrameError; the VAD and the STT never see the frame; the session runs on', async () => {
    vi.useFakeTimers();
    const user = new FakeUser();
    const session = new AgentSession({ vad: user.vad, stt: user.stt });
    const errors: ErrorEvent[] = [];
    session.on('error', (event) => errors.push(event));
    await session.start({ agent: new Agent({ instructions: 'x' }) });
    for (const [label, frame, problem] of malformed) {
      async function* frames(): AsyncIterable<AudioFrame> {
        yield audioFrame(ok, 16_000);
        yield frame as AudioFrame;
      }
      const error = await session.listen(frames()).catch((caught: unknown) => caught);
      expect(error, label).toBeInstanceOf(AudioFrameError);
      expect((error as Error).message, label).toContain(problem);
    }
    // A failing VAD or STT would have closed the session (source vad / stt): the frames never reached them.
    expect(errors).toEqual([]);
    expect(session.state).toBe('running');
    // It still listens: speech is heard and the user's state follows.
    void session.listen(user.audio());
    void user.say('still here', { durationMs: 400 });
    await vi.advanceTimersByTimeAsync(100);
    expect(session.userState).toBe('speaking');
    user.close();
    await session.aclose();
  });

  describe('the Silero VAD stream', () => {
    let vad: silero.VAD;
    beforeAll(async () => {
      vad = await silero.VAD.load();
    });

    it('pushFrame() throws the AudioFrameError; the stream takes the next frames and ends normally', async () => {
      const stream = vad.stream();
      for (const [label, frame, problem] of malformed) {
        expect(refusal(() => stream.pushFrame(frame as AudioFrame)).message, label).toContain(problem);
      }
      // One second of silence: 31 whole windows of 512 samples, then the padded rest.
      stream.pushFrame(audioFrame(new Int16Array(16_000), 16_000));
      stream.endInput();
      const events = [];
      for await (const event of stream) events.push(event);
      expect(events.filter((event) => event.type === 'inference_done')).toHaveLength(32);
      expect(events.some((event) => event.type === 'start_of_speech')).toBe(false);
    });
  });

  describe('the Deepgram STT stream (real SDK, fake server on 127.0.0.1)', () => {
    let fake: FakeDeepgram;
    afterEach(async () => {
      await fake?.close();
    });

    it('pushFrame() throws the AudioFrameError and sends nothing; the next frame goes out', async () => {
      fake = await FakeDeepgram.start();
      const stream = new DeepgramSTT({ apiKey: 'test-key', baseUrl: fake.url, conn: { maxRetry: 0, retryIntervalMs: 0, timeoutMs: 2_000 } }).stream();
      try {
        const connection = await fake.connection();
        for (const [label, frame, problem] of malformed) {
          expect(refusal(() => stream.pushFrame(frame as AudioFrame)).message, label).toContain(problem);
        }
        stream.pushFrame(audioFrame(Int16Array.of(1, 2, 3, 4), 16_000));
        stream.flush();
        await connection.untilAudioBytes(8);
        expect(connection.audioBytes).toBe(8);
      } finally {
        await stream.close();
      }
    });
  });
});
