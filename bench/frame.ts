/**
 * Allocation per audio frame of a voice conversation: the bytes V8 allocates (its sampling heap
 * profiler, counting what scavenges and full GCs collect and what stays) per 20 ms frame of user
 * audio, while SESSIONS voice sessions hear the speech fixture at real-time pace and answer each
 * utterance: the real Silero VAD as `VAD.load()` gives it, a fake STT that hears each VAD end of
 * speech, FakeLLM, FakeTTS and a paced output, as the density run has them. Every frame is made
 * before the run; what feeding them costs (a timer per 20 ms, a promise per frame, the reader of
 * each feed) is measured alone in the same run and subtracted. The rest is told by layer: the
 * function that allocated, or for a builtin (a Promise, a Set) the function that called it.
 *
 * `npm run bench -- frame --baseline <rev>` runs this file over an older revision's library too
 * (bench/baseline.ts copies a benchmark the revision lacks).
 */
import { Session } from 'node:inspector/promises';
import { audioFrame, type AudioFrame } from '../src/audio/audio_frame.js';
import { PacedAudioOutput } from '../src/audio/audio_output.js';
import { readWavFile } from '../src/audio/wav.js';
import { Agent, AgentSession } from '../src/index.js';
import { VAD as SileroVAD } from '../src/plugins/silero/index.js';
import { FakeLLM, FakeTTS, FakeUser } from '../src/testing/index.js';

const SESSIONS = 16;
const SECONDS = 8;
const FRAME_MS = 20;
const FRAME_SAMPLES = 320;
const FRAMES = (SECONDS * 1000) / FRAME_MS;

/** The frames each session hears: the fixture from its own place, looped. */
function framesOf(speech: Int16Array, session: number): AudioFrame[] {
  const offset = (session * 7919 * FRAME_SAMPLES) % speech.length;
  return Array.from({ length: FRAMES }, (_, i) => {
    const data = new Int16Array(FRAME_SAMPLES);
    for (let k = 0; k < FRAME_SAMPLES; k++) data[k] = speech[(offset + i * FRAME_SAMPLES + k) % speech.length]!;
    return audioFrame(data, 16_000);
  });
}

/** One clock for every feed: tick i resolves when frame i is due (start + 20 i ms). */
function clock(start: number): (tick: number) => Promise<void> {
  const ticks: Array<Promise<void>> = [];
  return (tick) =>
    (ticks[tick] ??= new Promise<void>((resolve) => {
      const due = start + tick * FRAME_MS;
      const wait = () => {
        const left = due - performance.now();
        if (left > 0) setTimeout(wait, Math.ceil(left));
        else resolve();
      };
      wait();
    }));
}

async function* feed(frames: AudioFrame[], due: (tick: number) => Promise<void>): AsyncIterable<AudioFrame> {
  for (let i = 0; i < frames.length; i++) {
    await due(i);
    yield frames[i]!;
  }
}

/** Bytes allocated, in all and by allocating function (a builtin's under its caller's name). */
interface Allocations {
  total: number;
  byFunction: Map<string, number>;
}

/** Samples every allocation V8 makes from now until the returned function is called. */
async function sampleAllocations(): Promise<() => Promise<Allocations>> {
  const inspector = new Session();
  inspector.connect();
  await inspector.post('HeapProfiler.startSampling', {
    samplingInterval: 256,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  } as never);
  return async () => {
    try {
      const { profile } = (await inspector.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: ProfileNode } };
      return byFunction(profile.head);
    } finally {
      inspector.disconnect();
    }
  };
}

function byFunction(head: ProfileNode): Allocations {
  const bytes = new Map<string, number>();
  let total = 0;
  const walk = (node: ProfileNode, caller: string) => {
    const { functionName, url } = node.callFrame;
    const name = `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(src|bench|machines)\//, '$1/')}`;
    const key = url ? name : caller;
    if (node.selfSize > 0) {
      bytes.set(key, (bytes.get(key) ?? 0) + node.selfSize);
      total += node.selfSize;
    }
    for (const child of node.children) walk(child, key);
  };
  walk(head, '(V8)');
  return { total, byFunction: bytes };
}

interface ProfileNode {
  callFrame: { functionName: string; url: string };
  selfSize: number;
  children: ProfileNode[];
}

/** Where an allocating function belongs. */
function layerOf(key: string): string {
  const file = key.slice(key.indexOf(' ') + 1);
  if (file.startsWith('xstate/')) return 'statecharts (xstate)';
  if (file.startsWith('onnxruntime')) return 'onnxruntime (js)';
  if (file.startsWith('src/plugins/silero/')) return 'vad (silero plugin)';
  if (file.startsWith('src/turn/')) return 'audio recognition and turn';
  if (file.startsWith('src/audio/') || file.startsWith('src/speech/')) return 'audio out and speech';
  if (file.startsWith('src/testing/')) return 'fake stt/llm/tts';
  if (file.startsWith('src/')) return `session and the rest of src (${file.split('/')[1]})`;
  if (file.startsWith('node:internal/async_hooks')) return 'async context (AsyncLocalStorage promise hooks)';
  if (file.startsWith('bench/')) return 'feeding (this bench)';
  return 'node and V8 (timers, promises, other)';
}

/** The sessions' allocations are sampled while they listen: their start and close are not per frame. */
async function conversation(vad: SileroVAD, frames: AudioFrame[][]): Promise<{ turns: number; sampled: Allocations }> {
  let turns = 0;
  const sessions = await Promise.all(
    frames.map(async () => {
      const user = new FakeUser();
      const session = new AgentSession({ vad, stt: user.stt, llm: new FakeLLM(), tts: new FakeTTS({ ttfbMs: 50 }), audioOutput: new PacedAudioOutput(), userAwayTimeout: null });
      // The fake STT hears each utterance the real VAD ends.
      session.on('user_state_changed', (event: { newState: string }) => {
        if (event.newState !== 'listening') return;
        turns++;
        user.stt.streams.push({ type: 'final_transcript', alternatives: [{ text: 'hello there', language: 'en' }] });
      });
      await session.start({ agent: new Agent({ instructions: 'bench' }) });
      return session;
    }),
  );
  const stop = await sampleAllocations();
  const due = clock(performance.now() + 50);
  await Promise.all(sessions.map((session, s) => session.listen(feed(frames[s]!, due))));
  const sampled = await stop();
  await Promise.all(sessions.map((session) => session.aclose()));
  return { turns, sampled };
}

async function feedingAlone(frames: AudioFrame[][]): Promise<Allocations> {
  const stop = await sampleAllocations();
  const due = clock(performance.now() + 50);
  await Promise.all(
    frames.map(async (own) => {
      for await (const frame of feed(own, due)) void frame;
    }),
  );
  return stop();
}

export async function run(): Promise<Record<string, unknown>> {
  const vad = await SileroVAD.load();
  const speech = (await readWavFile(new URL('../test/fixtures/speech_16k.wav', import.meta.url).pathname)).data as Int16Array;
  const frames = Array.from({ length: SESSIONS }, (_, s) => framesOf(speech, s));
  // Warm-up: ORT's first calls, the JIT.
  await conversation(vad, frames);
  await feedingAlone(frames);
  const count = SESSIONS * FRAMES;
  const feeding = await feedingAlone(frames);
  const { turns, sampled: measured } = await conversation(vad, frames);
  const layers = new Map<string, number>();
  for (const [key, bytes] of measured.byFunction) layers.set(layerOf(key), (layers.get(layerOf(key)) ?? 0) + bytes);
  const perFrame = (bytes: number) => Math.round(bytes / count);
  const top = [...measured.byFunction].sort((a, b) => b[1] - a[1]).slice(0, 15);
  return {
    sessions: SESSIONS,
    frames: count,
    userTurns: turns,
    bytesPerFrame: {
      conversation: perFrame(measured.total - feeding.total),
      withFeeding: perFrame(measured.total),
      feedingAlone: perFrame(feeding.total),
    },
    // What each layer allocates per frame (the feeding's own share is in 'feeding' and 'node and V8').
    byLayer: Object.fromEntries([...layers].sort((a, b) => b[1] - a[1]).map(([layer, bytes]) => [layer, perFrame(bytes)])),
    topFunctions: Object.fromEntries(top.map(([key, bytes]) => [key, perFrame(bytes)])),
  };
}
