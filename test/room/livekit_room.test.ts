/**
 * What LiveKitRoom does without a LiveKit server: the mappings, frame conversion and resampling,
 * the agent's audio output on a real rtc AudioSource, connection failures (a closed port, a
 * server that never answers) and the closed-room rules.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audioFrame, frameDurationMs, type AudioFrame } from '../../src/audio/audio_frame.js';
import { ClosedError, TimeoutError, VoxstateError } from '../../src/errors.js';
import { audioSourceSink, FrameConverter, LiveKitAudioOutput, type AudioSink } from '../../src/room/livekit_audio_output.js';
import { apiUrl, disconnectReasonText, fromRtcFrame, ownedSamples, participantKindFromRtc } from '../../src/room/livekit_mapping.js';
import { LiveKitAudioTrack } from '../../src/room/livekit_audio_track.js';
import { LiveKitLocalParticipant } from '../../src/room/livekit_participant.js';
import { LiveKitRoom } from '../../src/room/livekit_room.js';
import { loadRtc, type Rtc } from '../../src/room/livekit_rtc.js';

/** Waits (on real time: rtc-node's audio runs natively) until `condition` holds; only the test's timeout bounds it. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

let rtc: Rtc;
beforeAll(async () => {
  rtc = await loadRtc();
});

const tone = (ms: number, rate: number, channels = 1, hz = 440): AudioFrame => {
  const n = Math.round((rate * ms) / 1000);
  const data = new Int16Array(n * channels);
  for (let i = 0; i < n; i++) for (let c = 0; c < channels; c++) data[i * channels + c] = Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / rate));
  return audioFrame(data, rate, channels);
};

describe('mappings', () => {
  it('maps every rtc ParticipantKind to its voxstate kind', () => {
    const K = rtc.ParticipantKind;
    expect([K.STANDARD, K.INGRESS, K.EGRESS, K.SIP, K.AGENT, K.CONNECTOR, K.BRIDGE].map(participantKindFromRtc)).toEqual([
      'standard',
      'ingress',
      'egress',
      'sip',
      'agent',
      'connector',
      'bridge',
    ]);
    expect(participantKindFromRtc(99)).toBe('standard');
    expect(participantKindFromRtc(undefined)).toBe('standard');
  });

  it('names every rtc DisconnectReason', () => {
    const reasons = Object.entries(rtc.DisconnectReason).filter(([, value]) => typeof value === 'number') as Array<[string, number]>;
    expect(reasons.length).toBeGreaterThan(10);
    for (const [name, value] of reasons) {
      const expected = name === 'UNKNOWN_REASON' ? 'unknown reason' : name.toLowerCase().replaceAll('_', ' ');
      expect(disconnectReasonText(value)).toBe(expected);
    }
    expect(disconnectReasonText(250)).toBe('disconnect reason 250');
  });

  it('turns a ws(s) server URL into its API URL', () => {
    expect(apiUrl('wss://my.livekit.cloud')).toBe('https://my.livekit.cloud');
    expect(apiUrl('ws://127.0.0.1:7880/')).toBe('http://127.0.0.1:7880');
    expect(apiUrl('https://host/base/')).toBe('https://host/base');
    expect(() => apiUrl('ftp://host')).toThrow(/not a LiveKit URL/);
    expect(() => apiUrl('nonsense')).toThrow(/not a LiveKit URL/);
  });
});

describe('frames', () => {
  it('converts rtc frames to voxstate frames and back without losing samples', () => {
    const rtcFrame = new rtc.AudioFrame(Int16Array.from([1, 2, 3, 4]), 16000, 2, 2);
    const frame = fromRtcFrame(rtcFrame);
    expect(frame).toMatchObject({ sampleRate: 16000, channels: 2, samplesPerChannel: 2 });
    expect([...frame.data]).toEqual([1, 2, 3, 4]);
  });

  it('gives rtc-node a buffer of the frame own (rtc-node sends the whole underlying buffer)', () => {
    const whole = Int16Array.from([9, 9, 1, 2, 3, 9]);
    const view = whole.subarray(2, 5);
    const owned = ownedSamples(view);
    expect(owned).not.toBe(view);
    expect([...new Int16Array(owned.buffer)]).toEqual([1, 2, 3]);
    const alone = Int16Array.from([1, 2]);
    expect(ownedSamples(alone)).toBe(alone);
  });

  it('FrameConverter: 48 kHz stereo to 24 kHz mono in chunks of 20 ms, nothing lost', () => {
    const converter = new FrameConverter(24000);
    const out: AudioFrame[] = [];
    for (let i = 0; i < 10; i++) out.push(...converter.push(tone(10, 48000, 2)));
    out.push(...converter.flush());
    expect(out.every((frame) => frame.sampleRate === 24000 && frame.channels === 1 && frame.samplesPerChannel <= 480)).toBe(true);
    expect(out.reduce((n, frame) => n + frame.samplesPerChannel, 0)).toBe(2400);
    // Each chunk owns its buffer.
    expect(out.every((frame) => frame.data.byteOffset === 0 && frame.data.buffer.byteLength === frame.data.byteLength)).toBe(true);
  });

  it('FrameConverter: same rate passes through (split), a rate change flushes the previous resampler', () => {
    const converter = new FrameConverter(24000);
    const same = converter.push(tone(50, 24000));
    expect(same.map((frame) => frame.samplesPerChannel)).toEqual([480, 480, 240]);
    const first = converter.push(tone(100, 16000));
    const switched = converter.push(tone(100, 48000));
    const tail = converter.flush();
    const total = [...first, ...switched, ...tail].reduce((n, frame) => n + frame.samplesPerChannel, 0);
    expect(total).toBe(2400 + 2400);
  });

  it('resamples real audio faithfully: a 440 Hz tone keeps its frequency', () => {
    const converter = new FrameConverter(24000);
    const out = [...converter.push(tone(200, 16000)), ...converter.flush()];
    const samples = Int16Array.from(out.flatMap((frame) => [...frame.data]));
    let crossings = 0;
    for (let i = 1; i < samples.length; i++) if (samples[i - 1]! < 0 && samples[i]! >= 0) crossings++;
    expect(crossings).toBeGreaterThanOrEqual(87);
    expect(crossings).toBeLessThanOrEqual(89);
  });
});

/** A sink that records frames and plays them in real time (as the native queue does), with a 100 ms queue. */
function fakeSink(options: { fail?: Error } = {}) {
  const captured: AudioFrame[] = [];
  let clears = 0;
  const sink: AudioSink & { captured: AudioFrame[]; clears: () => number } = {
    sampleRate: 24000,
    captured,
    clears: () => clears,
    async capture(frame) {
      if (options.fail) throw options.fail;
      captured.push(frame);
    },
    clear: () => {
      clears++;
    },
    queuedMs: () => 0,
    waitForPlayout: async () => {},
  };
  return sink;
}

describe('LiveKitAudioOutput', () => {
  it('plays on a real rtc AudioSource at real-time pace; playedMs follows what was heard', async () => {
    const source = new rtc.AudioSource(24000, 1, 100);
    const output = new LiveKitAudioOutput(audioSourceSink(rtc, source));
    const started = performance.now();
    for (let i = 0; i < 15; i++) await output.captureFrame(tone(20, 24000));
    await output.flush();
    // A real-time source cannot have played 300 ms of audio in less (its queue holds 100 ms).
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    expect(output.playedMs).toBeGreaterThanOrEqual(290);
    expect(output.playedMs).toBeLessThanOrEqual(300);
    await source.close();
  });

  it('an interruption drops what was not heard: playedMs stops, flush resolves without playing the rest', async () => {
    const source = new rtc.AudioSource(24000, 1, 100);
    const output = new LiveKitAudioOutput(audioSourceSink(rtc, source));
    // Longer than the test may run: a flush that played the rest would time the test out.
    const LENGTH_MS = 30_000;
    void output.captureFrame(tone(LENGTH_MS, 24000));
    // Interrupt once some of it has been heard (the native source plays in real time).
    await until(() => output.playedMs > 0);
    output.clearBuffer();
    const heard = output.playedMs;
    expect(heard).toBeGreaterThan(0);
    // flush() does not wait for the dropped audio: nothing more is heard by the time it resolves.
    await output.flush();
    expect(output.playedMs).toBeLessThanOrEqual(heard + 25);
    expect(output.playedMs).toBeLessThan(LENGTH_MS);
    await source.close();
  });

  it('playedMs never goes back, though the source counts its queue in whole ms', async () => {
    const sink = fakeSink();
    let queued = 0;
    sink.queuedMs = () => queued;
    const output = new LiveKitAudioOutput(sink);
    queued = 19;
    await output.captureFrame(tone(20, 24000));
    expect(output.playedMs).toBe(1);
    queued = 20; // the source's count, read a moment later, rounds the other way
    expect(output.playedMs).toBe(1);
    queued = 5;
    expect(output.playedMs).toBe(15);
  });

  it('backpressure: captureFrame waits while more than the look-ahead is queued', async () => {
    let release!: () => void;
    const sink = fakeSink();
    sink.capture = () => new Promise<void>((resolve) => (release = resolve));
    const output = new LiveKitAudioOutput(sink, { lookAheadMs: 100 });
    let resolved = false;
    void output.captureFrame(tone(300, 24000)).then(() => (resolved = true));
    await Promise.resolve();
    expect(resolved).toBe(false);
    for (let i = 0; i < 10; i++) {
      release();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(resolved).toBe(true);
  });

  it('pause holds the pump, resume goes on; close releases waiters and refuses frames', async () => {
    const sink = fakeSink();
    const output = new LiveKitAudioOutput(sink);
    output.pause();
    await output.captureFrame(tone(60, 24000));
    await new Promise((resolve) => setImmediate(resolve));
    expect(sink.captured).toHaveLength(0);
    output.resume();
    await output.flush();
    expect(sink.captured.map(frameDurationMs)).toEqual([20, 20, 20]);
    output.pause();
    void output.captureFrame(tone(60, 24000));
    const flushing = output.flush();
    output.close();
    await flushing;
    expect(sink.clears()).toBe(1);
    await expect(output.captureFrame(tone(20, 24000))).rejects.toBeInstanceOf(ClosedError);
  });

  it('a failing source is reported: the next captureFrame and flush reject with a typed error', async () => {
    const output = new LiveKitAudioOutput(fakeSink({ fail: new Error('native boom') }));
    await output.captureFrame(tone(20, 24000));
    await expect(output.flush()).rejects.toMatchObject({ code: 'room_audio_failed', message: expect.stringContaining('native boom') });
    await expect(output.captureFrame(tone(20, 24000))).rejects.toBeInstanceOf(VoxstateError);
  });
});

describe('LiveKitAudioTrack (an rtc AudioStream on a local track, no server)', () => {
  it('delivers mono frames at the listening rate; close() ends every iteration and frees its stream', async () => {
    const source = new rtc.AudioSource(48000, 1, 100);
    const local = rtc.LocalAudioTrack.createAudioTrack('mic', source);
    const track = new LiveKitAudioTrack(rtc, local as never, 16000, 'user');
    const frames: AudioFrame[] = [];
    const first = (async () => {
      for await (const frame of track.frames()) frames.push(frame);
    })();
    let early = 0;
    const second = (async () => {
      for await (const _ of track.frames()) if (++early === 2) break; // the consumer stops: its stream is closed
    })();
    for (let i = 0; i < 20; i++) await source.captureFrame(new rtc.AudioFrame(ownedSamples(tone(10, 48000, 1, 440).data), 48000, 1, 480));
    await second;
    await until(() => frames.length >= 15);
    expect(track.openStreams).toBe(1);
    expect(frames.every((frame) => frame.sampleRate === 16000 && frame.channels === 1 && frame.samplesPerChannel === 160)).toBe(true);
    expect(frames.some((frame) => frame.data.some((sample) => Math.abs(sample) > 4000))).toBe(true);
    track.close();
    await first;
    expect(track.openStreams).toBe(0);
    const late: AudioFrame[] = [];
    for await (const frame of track.frames()) late.push(frame);
    expect(late).toEqual([]);
    await local.close();
    await source.close();
  });
});

describe('LiveKitRoom without a server', () => {
  let silent: Server;
  let silentPort: number;
  let closedPort: number;
  beforeAll(async () => {
    silent = createServer(() => {}); // accepts, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentPort = (silent.address() as { port: number }).port;
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    closedPort = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
  });
  afterAll(() => {
    silent.close();
  });

  it('validates its options', () => {
    expect(() => new LiveKitRoom({ url: 'ws://127.0.0.1:1', token: '', name: 'r' })).toThrow(/non-empty token/);
    expect(() => new LiveKitRoom({ url: '', token: 't', name: 'r' })).toThrow(/non-empty url/);
  });

  it('a closed port: connect rejects with a typed error that does not show the token', async () => {
    const room = new LiveKitRoom({ url: `ws://127.0.0.1:${closedPort}`, token: 'secret-token-value', name: 'r1' });
    const error = await room.connect().catch((e: unknown) => e);
    // Refused, not timed out.
    expect(error).not.toBeInstanceOf(TimeoutError);
    expect(error).toBeInstanceOf(VoxstateError);
    expect(error).toMatchObject({ code: 'room_connect_failed' });
    expect((error as Error).message).toContain(`127.0.0.1:${closedPort}`);
    expect((error as Error).message).not.toContain('secret-token-value');
    expect(room.isConnected).toBe(false);
    await expect(room.connect()).rejects.toBeInstanceOf(ClosedError);
    await room.disconnect();
    await room.disconnect();
  });

  it('a server that never answers: connect times out at connectTimeoutMs (no hang)', async () => {
    // rtc-node's own bound is about 16 s, beyond this test's timeout: a TimeoutError here is ours.
    const room = new LiveKitRoom({ url: `ws://127.0.0.1:${silentPort}`, token: 't', name: 'r2', connectTimeoutMs: 300 });
    const error = await room.connect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ timeoutMs: 300 });
  });

  it('disconnect while connecting ends the connect at once with ClosedError', async () => {
    const room = new LiveKitRoom({ url: `ws://127.0.0.1:${silentPort}`, token: 't', name: 'r3' });
    // Disconnect once rtc-node is really connecting: the silent server has the TCP connection.
    const reached = new Promise((resolve) => silent.once('connection', resolve));
    const connecting = room.connect();
    await reached;
    // Only the disconnect ends it with a ClosedError (its own bound, 10 s, would end it with a TimeoutError).
    await room.disconnect();
    await expect(connecting).rejects.toBeInstanceOf(ClosedError);
    const events: string[] = [];
    room.on('disconnected', (reason) => events.push(reason));
    await room.disconnect();
    expect(events).toEqual([]);
  });

  it('disconnect is idempotent; after it every call is a ClosedError', async () => {
    const room = new LiveKitRoom({ url: 'ws://127.0.0.1:1', token: 't', name: 'r4' });
    await Promise.all([room.disconnect(), room.disconnect()]);
    await room[Symbol.asyncDispose]();
    await expect(room.connect()).rejects.toBeInstanceOf(ClosedError);
    expect(room.localParticipant).toBeUndefined();
    expect(room.remoteParticipants.size).toBe(0);
  });

  it('the agent participant refuses calls once the room is left', async () => {
    const rtcLocal = { identity: 'agent', name: '', kind: rtc.ParticipantKind.AGENT, attributes: {} } as never;
    const participant = new LiveKitLocalParticipant(rtcLocal, { rtc, roomName: 'r5', isConnected: false, outputSampleRate: 24000 });
    expect(participant).toMatchObject({ identity: 'agent', name: 'agent', kind: 'agent' });
    await expect(participant.sendText('hi')).rejects.toBeInstanceOf(ClosedError);
    await expect(participant.streamText()).rejects.toBeInstanceOf(ClosedError);
    await expect(participant.publishData(new Uint8Array(1))).rejects.toBeInstanceOf(ClosedError);
    await expect(participant.setAttributes({ a: 'b' })).rejects.toBeInstanceOf(ClosedError);
    expect(() => participant.publishAudio()).toThrow(ClosedError);
  });

  it('the agent participant on rtc-node: text streams with topic, attributes and sender; whole attribute sets; its track sid once published', async () => {
    const calls: unknown[][] = [];
    const rtcInfo = (topic: string, attributes: Record<string, string>) => ({ streamId: 'TS_1', topic, timestamp: 5, mimeType: 'text/plain', attributes });
    const rtcLocal = {
      identity: 'agent',
      name: '',
      kind: rtc.ParticipantKind.AGENT,
      // What the agent joined with (its dispatch's attributes).
      attributes: { 'lk.agent_name': 'my-agent' },
      streamText: async (options: { topic: string; attributes: Record<string, string> }) => {
        calls.push(['streamText', options]);
        return { info: rtcInfo(options.topic, options.attributes), write: async (text: string) => void calls.push(['write', text]), close: async () => void calls.push(['close']) };
      },
      sendText: async (text: string, options: { topic: string; attributes?: Record<string, string> }) => {
        calls.push(['sendText', text, options]);
        return rtcInfo(options.topic, options.attributes ?? {});
      },
      setAttributes: async (attributes: Record<string, string>) => void calls.push(['setAttributes', attributes]),
      publishTrack: async () => ({ sid: 'TR_agent' }),
    };
    const participant = new LiveKitLocalParticipant(rtcLocal as never, { rtc, roomName: 'r6', isConnected: true, outputSampleRate: 24000 });

    const writer = await participant.streamText({ topic: 'lk.transcription', attributes: { 'lk.segment_id': 'SG_1' }, senderIdentity: 'user' });
    expect(writer.info).toEqual({ streamId: 'TS_1', topic: 'lk.transcription', timestamp: 5, attributes: { 'lk.segment_id': 'SG_1' } });
    await writer.write('hi');
    await writer.close();
    expect(await participant.sendText('hello', { topic: 'greeting' })).toEqual({ streamId: 'TS_1', topic: 'greeting', timestamp: 5, attributes: {} });
    expect(calls.splice(0)).toEqual([
      ['streamText', { topic: 'lk.transcription', attributes: { 'lk.segment_id': 'SG_1' }, senderIdentity: 'user' }],
      ['write', 'hi'],
      ['close'],
      ['sendText', 'hello', { topic: 'greeting' }],
    ]);

    // LiveKit replaces the keys a write does not name: each write is the whole set.
    await participant.setAttributes({ 'lk.agent.state': 'listening' });
    await participant.setAttributes({ plan: 'premium' });
    await participant.setAttributes({ plan: '' });
    expect(calls.splice(0)).toEqual([
      ['setAttributes', { 'lk.agent_name': 'my-agent', 'lk.agent.state': 'listening' }],
      ['setAttributes', { 'lk.agent_name': 'my-agent', 'lk.agent.state': 'listening', plan: 'premium' }],
      ['setAttributes', { 'lk.agent_name': 'my-agent', 'lk.agent.state': 'listening' }],
    ]);

    expect(participant.audioTrackSid).toBeUndefined();
    participant.publishAudio();
    await new Promise((resolve) => setImmediate(resolve)); // the publication has resolved
    expect(participant.audioTrackSid).toBe('TR_agent');
    await participant._close();
  });

  it('importing the room does not load the native library (console mode does not pay for it)', async () => {
    const script = `
      const loaded = [];
      const dlopen = process.dlopen;
      process.dlopen = (module, file, ...rest) => { loaded.push(file); return dlopen(module, file, ...rest); };
      await import('./src/room/livekit_room.ts');
      await import('./src/cli/run_app.ts');
      console.log(JSON.stringify(loaded.filter((file) => file.includes('rtc'))));
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: new URL('../..', import.meta.url) });
    let out = '';
    child.stdout.on('data', (chunk) => (out += String(chunk)));
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(JSON.parse(out.trim())).toEqual([]);
  }, 15_000);
});
