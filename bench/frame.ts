/**
 * Allocation per audio frame of a voice conversation: the bytes V8 allocates (its sampling heap
 * profiler, counting what scavenges and full GCs collect and what stays) per 20 ms frame of user
 * audio, while SESSIONS voice sessions hear the speech fixture at real-time pace and answer each
 * utterance: the real Silero VAD as `VAD.load()` gives it, a fake STT that hears each VAD end of
 * speech, FakeLLM, FakeTTS and a paced output, as the density run has them. Every frame is made
 * before the run; what feeding them costs (a timer per 20 ms, a promise per frame, the reader of
 * each feed) is measured alone in the same run and subtracted. The rest is told by layer (see
 * bench/allocations.ts).
 *
 * `npm run bench -- frame --baseline <rev>` runs this file over an older revision's library too
 * (bench/baseline.ts copies a benchmark the revision lacks).
 */
import { audioFrame, type AudioFrame } from '../src/audio/audio_frame.js';
import { PacedAudioOutput } from '../src/audio/audio_output.js';
import { readWavFile } from '../src/audio/wav.js';
import { Agent, AgentSession } from '../src/index.js';
import { VAD as SileroVAD } from '../src/plugins/silero/index.js';
import { FakeLLM, FakeTTS, FakeUser } from '../src/testing/index.js';
import { type Allocations, byLayer, sampleAllocations } from './allocations.js';

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
    // What each layer allocates per frame (the feeding's own share is in 'this bench' and 'node and V8').
    byLayer: byLayer(measured, perFrame),
    topFunctions: Object.fromEntries(top.map(([key, bytes]) => [key, perFrame(bytes)])),
  };
}
