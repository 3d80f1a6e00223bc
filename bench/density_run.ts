/**
 * One density run: N concurrent voice sessions in this thread, each with the real Silero VAD (the
 * VAD given, its streams timed), a fake STT, LLM and TTS, hearing the speech fixture at real-time
 * pace; the processing lag of every VAD window and the delivery lag of every frame. bench/turn.ts
 * runs it at growing N in one process, bench/spread.ts in each job thread of a worker.
 */
import { readFileSync } from 'node:fs';
import { audioFrame, type AudioFrame } from '../src/audio/audio_frame.js';
import { PacedAudioOutput } from '../src/audio/audio_output.js';
import { Agent, AgentSession } from '../src/index.js';
import type { VAD as SileroVAD } from '../src/plugins/silero/index.js';
import { FakeLLM, FakeTTS, FakeUser } from '../src/testing/index.js';
import type { LLM } from '../src/llm/llm.js';
import type { STT } from '../src/stt/stt.js';
import type { TTS } from '../src/tts/tts.js';
import type { VADEvent, VADStream } from '../src/vad/vad.js';
import { heapUsed, round, summary } from './stats.js';

const FRAME_MS = 20;
const FRAME_SAMPLES = 320;
const WINDOW_SAMPLES = 512;
export const DENSITY_SECONDS = 8;
export const LAG_LIMIT_MS = 20;

export interface Lags {
  delivery: number[];
  processing: number[];
}

export interface StreamTiming {
  scheduleOf: (frame: number) => number;
  lags: Lags;
  onEndOfSpeech: () => void;
}

/**
 * Makes every stream of the real Silero VAD record when each window's result comes out of it. The
 * session keeps the real VAD object (as it would in production: its metrics are watched); the
 * timing of the next stream opened is set just before the session that opens it starts listening.
 */
export function timeStreams(vad: SileroVAD): (timing: StreamTiming) => void {
  let next: StreamTiming | undefined;
  const open = vad.stream.bind(vad);
  vad.stream = (): VADStream => {
    const timing = next;
    next = undefined;
    const inner = open();
    if (!timing) return inner;
    return {
      pushFrame: (frame) => inner.pushFrame(frame),
      flush: () => inner.flush(),
      endInput: () => inner.endInput(),
      close: () => inner.close(),
      [Symbol.asyncIterator]: () => {
        const events = inner[Symbol.asyncIterator]();
        let windows = 0;
        return {
          async next(): Promise<IteratorResult<VADEvent>> {
            const result = await events.next();
            if (!result.done && result.value.type === 'inference_done') {
              // The window was complete with the frame holding its last sample.
              const frame = Math.ceil(((windows + 1) * WINDOW_SAMPLES) / FRAME_SAMPLES) - 1;
              timing.lags.processing.push(performance.now() - timing.scheduleOf(frame));
              windows++;
            }
            if (!result.done && result.value.type === 'end_of_speech') timing.onEndOfSpeech();
            return result;
          },
        };
      },
    };
  };
  return (timing) => {
    next = timing;
  };
}

/** 20 ms frames of `speech` from `offset` on (looped), at real-time pace: frame i is due at start + 20 i ms. */
async function* paced(speech: Int16Array, offset: number, frames: number, start: number, lags: Lags): AsyncIterable<AudioFrame> {
  for (let i = 0; i < frames; i++) {
    const data = new Int16Array(FRAME_SAMPLES);
    for (let k = 0; k < FRAME_SAMPLES; k++) data[k] = speech[(offset + i * FRAME_SAMPLES + k) % speech.length]!;
    const due = start + i * FRAME_MS;
    // Timers count whole ms on a clock of their own: wait again if one fires a little early.
    for (let wait = due - performance.now(); wait > 0; wait = due - performance.now()) {
      await new Promise((resolve) => setTimeout(resolve, Math.ceil(wait)));
    }
    lags.delivery.push(performance.now() - due);
    yield audioFrame(data, 16_000);
  }
}

/** CPU time of the whole machine, from /proc/stat (Linux), in ms; undefined elsewhere. */
function machineBusyMs(): number | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal …: busy is everything but idle and iowait.
    const busy = fields.slice(0, 8).reduce((a, b) => a + b, 0) - fields[3]! - fields[4]!;
    return (busy * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

/** A session's STT, LLM and TTS; by default in-process fakes (a FakeUser's STT hears each VAD end of speech). */
export interface Providers {
  stt: STT;
  llm: LLM;
  tts: TTS;
}

export async function densityRun(vad: SileroVAD, nextStream: (timing: StreamTiming) => void, speech: Int16Array, count: number, providers?: () => Providers) {
  const frames = (DENSITY_SECONDS * 1000) / FRAME_MS;
  const lags: Lags = { delivery: [], processing: [] };
  const baseline = heapUsed();
  const baselineRss = process.memoryUsage().rss;
  const sessions: Array<{ session: AgentSession; user: FakeUser }> = [];
  let turns = 0;
  for (let s = 0; s < count; s++) {
    const user = new FakeUser();
    const session = new AgentSession({
      vad,
      ...(providers?.() ?? { stt: user.stt, llm: new FakeLLM(), tts: new FakeTTS({ ttfbMs: 50 }) }),
      audioOutput: new PacedAudioOutput(),
      userAwayTimeout: null,
    });
    await session.start({ agent: new Agent({ instructions: 'bench' }) });
    sessions.push({ session, user });
  }
  // The schedule starts once every session is up.
  const t0 = performance.now() + 50;
  const listening = sessions.map(({ session, user }, s) => {
    // Each session hears the fixture from its own place, and its frames fall at its own point of
    // the 20 ms period.
    const offset = (s * 7919 * FRAME_SAMPLES) % speech.length;
    const start = t0 + (s * FRAME_MS) / count;
    nextStream({
      scheduleOf: (frame) => start + frame * FRAME_MS,
      lags,
      onEndOfSpeech: () => {
        turns++;
        // The fake STT "hears" the utterance the real VAD has just ended.
        if (!providers) user.stt.streams.push({ type: 'final_transcript', alternatives: [{ text: 'hello there', language: 'en' }] });
      },
    });
    return session.listen(paced(speech, offset, frames, start, lags));
  });
  const cpu0 = process.cpuUsage();
  const busy0 = machineBusyMs();
  const switches0 = process.resourceUsage().involuntaryContextSwitches;
  const wall0 = performance.now();
  await Promise.all(listening);
  const wallMs = performance.now() - wall0;
  const switches = process.resourceUsage().involuntaryContextSwitches - switches0;
  const busy1 = machineBusyMs();
  const cpu = process.cpuUsage(cpu0);
  const ownMs = (cpu.user + cpu.system) / 1000;
  // The sessions are still open (their VAD streams, histories, outputs): what they hold.
  const liveHeap = heapUsed() - baseline;
  // The process's resident memory as well (code, buffers, ORT's arenas); noisier than the heap.
  const liveRss = process.memoryUsage().rss - baselineRss;
  await Promise.all(sessions.map(({ session }) => session.aclose()));
  const processing = summary(lags.processing);
  return {
    sessions: count,
    processingLagMs: processing,
    deliveryLagMs: summary(lags.delivery),
    windows: lags.processing.length,
    userTurns: turns,
    cpu: {
      thisProcessPercentOfOneCore: round((ownMs / wallMs) * 100, 1),
      otherProcessesPercentOfOneCore: busy0 === undefined || busy1 === undefined ? null : round(Math.max(0, (busy1 - busy0 - ownMs) / wallMs) * 100, 1),
      involuntaryContextSwitches: switches,
    },
    heapPerLiveSessionKB: round(liveHeap / count / 1024, 1),
    rssPerLiveSessionKB: round(liveRss / count / 1024, 1),
    met: processing.p99 < LAG_LIMIT_MS,
    /** Every lag measured, for a caller that pools several runs. */
    lags,
  };
}

