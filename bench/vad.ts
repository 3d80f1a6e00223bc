/**
 * Silero VAD cost, beside raw onnxruntime on the same model in the same run.
 *
 * - raw ORT: a bare `session.run` loop, the least any caller does per 32 ms window (build the
 *   [N, 64 + 512] input, run, keep stateN), at batch 1 and batched [N, 576].
 * - plugin, one stream: the speech fixture looped to AUDIO_SECONDS, pushed in 10 ms frames (16 kHz,
 *   and 48 kHz to include the resampler), read to the end; per window, the wall time between
 *   successive inference_done events while the stream runs flat out (everything the plugin does
 *   per window: mixdown, resampling, the ORT call, the decisions, the events).
 * - plugin, N concurrent streams: the same audio on N streams of one VAD, with `batch: N` (their
 *   windows share ORT calls) and with `batch: 1` (one call per window); the audio arriving window
 *   by window as in real time, only faster (`pluginOverRawOrt`: CPU per window against the bare
 *   loop at the same batch size), and all of it pushed at once before reading (`…AllAtOnce`);
 *   `paired`: the same ratio with the plugin and the bare loop alternating every 8 windows.
 *
 * Everything runs on one thread (ORT with one intra-op and one inter-op thread), so "real-time
 * streams per core" = 32 ms / (CPU ms per window), CPU time from process.cpuUsage: on a shared
 * machine the wall time also counts other processes' turns on the core, so it is given beside it
 * (`…Wall`) but not used for the per-core figure. Each figure is the best of ROUNDS rounds.
 */
import ort from 'onnxruntime-node';
import { audioFrame, type AudioFrame } from '../src/audio/audio_frame.js';
import { mixdown, resample, toInt16 } from '../src/audio/resample.js';
import { readWavFile } from '../src/audio/wav.js';
import { VAD } from '../src/plugins/silero/index.js';
import type { VADStream } from '../src/vad/vad.js';
import { p50, round, summary } from './stats.js';

const AUDIO_SECONDS = 20;
const WINDOW_MS = 32;
const ROUNDS = 5;
const STREAM_COUNTS = [1, 8, 32, 64];
const BATCHED_AUDIO_SECONDS = 4;
const PAIRED_CHUNK = 8;
/** Windows each side of the paired measurement runs (the input is played as many times as it takes). */
const PAIRED_WINDOWS = 12_000;

/** ms per window or call (to 0.1 µs) and the real-time factor: 4 digits. */
const MS_DIGITS = 4;

function frames(data: Int16Array, rate: number): AudioFrame[] {
  const step = rate / 100;
  const out: AudioFrame[] = [];
  for (let i = 0; i < data.length; i += step) out.push(audioFrame(data.subarray(i, i + step), rate));
  return out;
}

function loop(data: Int16Array, samples: number): Int16Array {
  const out = new Int16Array(samples);
  for (let at = 0; at < samples; at += data.length) out.set(data.subarray(0, Math.min(data.length, samples - at)), at);
  return out;
}

/** A bare ORT loop over `streams` independent signals: each step runs `windows` [streams, 576] calls. */
function bareLoop(session: ort.InferenceSession, audio: Float32Array, streams: number) {
  const sr = new ort.Tensor('int64', BigInt64Array.from([16000n]), []);
  let state = new ort.Tensor('float32', new Float32Array(2 * streams * 128), [2, streams, 128]);
  const contexts = Array.from({ length: streams }, () => new Float32Array(64));
  let w = 0;
  return async (windows: number, calls?: number[]) => {
    for (const end = w + windows; w < end; w++) {
      const t0 = performance.now();
      const input = new Float32Array(streams * 576);
      for (let s = 0; s < streams; s++) {
        // Each stream starts at a different place in the audio.
        const at = ((w + s * 37) * 512) % (audio.length - 512);
        input.set(contexts[s]!, s * 576);
        input.set(audio.subarray(at, at + 512), s * 576 + 64);
        contexts[s] = input.slice(s * 576 + 512, s * 576 + 576);
      }
      const out = await session.run({ input: new ort.Tensor('float32', input, [streams, 576]), state, sr });
      state = out.stateN as typeof state;
      calls?.push(performance.now() - t0);
    }
  };
}

async function rawOrt(session: ort.InferenceSession, audio: Float32Array, streams: number, windows: number) {
  const calls: number[] = [];
  const step = bareLoop(session, audio, streams);
  const cpu = process.cpuUsage();
  const started = performance.now();
  await step(windows, calls);
  const wallMs = performance.now() - started;
  const cpuMs = cpuMsSince(cpu);
  const perWindow = wallMs / (windows * streams);
  const cpuPerWindow = cpuMs / (windows * streams);
  return {
    streams,
    msPerCall: summary(calls, MS_DIGITS),
    cpuMsPerWindow: round(cpuPerWindow, MS_DIGITS),
    wallMsPerWindow: round(perWindow, MS_DIGITS),
    realtimeStreamsPerCore: round(WINDOW_MS / cpuPerWindow, 1),
  };
}

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/** One stream, flat out: the gaps between its inference_done events. */
async function pluginOneStream(vad: VAD, input: AudioFrame[]) {
  const stream = vad.stream();
  const gaps: number[] = [];
  const inference: number[] = [];
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (const frame of input) stream.pushFrame(frame);
  stream.endInput();
  let last = performance.now();
  let windows = 0;
  for await (const event of stream) {
    if (event.type !== 'inference_done') continue;
    const now = performance.now();
    gaps.push(now - last);
    inference.push(event.inferenceDurationMs);
    last = now;
    windows++;
  }
  const wallMs = performance.now() - started;
  const cpuMs = cpuMsSince(cpu);
  return {
    windows,
    msPerWindow: summary(gaps.slice(1), MS_DIGITS),
    ortCallMs: summary(inference, MS_DIGITS),
    cpuMsPerWindow: round(cpuMs / windows, MS_DIGITS),
    realtimeFactorWall: round(wallMs / (windows * WINDOW_MS), MS_DIGITS),
    realtimeStreamsPerCore: round((windows * WINDOW_MS) / cpuMs, 1),
  };
}

/**
 * N streams of one VAD, read concurrently. `arriving`: the audio comes as it would in real time,
 * only faster: each window's frames reach every stream, then the windows are answered before the
 * next ones come (as when streams run in real time, where a stream holds at most a window or two).
 * Otherwise every frame of the input is pushed at once, then read (the streams buffer it all).
 */
async function pluginStreams(vad: VAD, input: AudioFrame[], count: number, arriving: boolean) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const streams = Array.from({ length: count }, () => vad.stream());
  const read = streams.map(async (stream) => {
    let windows = 0;
    for await (const event of stream) if (event.type === 'inference_done') windows++;
    return windows;
  });
  if (arriving) {
    await feedArriving(vad, streams, input);
  } else {
    for (const stream of streams) for (const frame of input) stream.pushFrame(frame);
  }
  for (const stream of streams) stream.endInput();
  const results = await Promise.all(read);
  const wallMs = performance.now() - started;
  const cpuMs = cpuMsSince(cpu);
  const windows = results.reduce((a, b) => a + b, 0);
  return {
    streams: count,
    batch: vad.batch,
    cpuMsPerWindow: round(cpuMs / windows, MS_DIGITS),
    wallMsPerWindow: round(wallMs / windows, MS_DIGITS),
    realtimeStreamsPerCore: round((windows * WINDOW_MS) / cpuMs, 1),
  };
}

/**
 * Feeds `input` to every stream as it would arrive in real time, only faster: a window's frames,
 * then its answers (`VAD.settled`), then `afterWindow`, window by window.
 */
async function feedArriving(vad: VAD, streams: VADStream[], input: AudioFrame[], afterWindow?: () => Promise<void>): Promise<void> {
  let pushed = 0;
  let due = 0;
  for (const frame of input) {
    for (const stream of streams) stream.pushFrame(frame);
    pushed += frame.samplesPerChannel;
    if (pushed < due + 512) continue;
    due += 512;
    await vad.settled();
    if (afterWindow) await afterWindow();
  }
}

/**
 * The plugin's own CPU per window: `pluginStreams` (arriving) with the model's calls answered at
 * the end of the turn, as onnxruntime-node answers (same shapes, no inference).
 */
async function pluginWithoutInference(vad: VAD, input: AudioFrame[], count: number) {
  const model = vad.model;
  const run = model.run;
  const stateN = new Float32Array(2 * 128 * count);
  const probabilities = new Float32Array(count).fill(0.1);
  model.run = (_rate, batch) => new Promise((resolve) => setImmediate(() => resolve({ probabilities, stateN: stateN.subarray(0, 2 * 128 * batch.n) })));
  try {
    return await pluginStreams(vad, input, count, true);
  } finally {
    model.run = run;
  }
}

/**
 * The plugin's CPU per window over the bare loop's, measured in alternation: PAIRED_CHUNK windows
 * of `count` streams arriving (as in pluginStreams), then as many of the bare loop at the same
 * batch, and so on, each side's CPU summed until each has run about PAIRED_WINDOWS windows. What
 * else the machine does (another process, a cache it evicts) then falls on both sides alike; runs
 * of a few hundred ms one after the other do not ensure that, and their ratio moved 1.00–1.32
 * between runs.
 */
async function pairedOverhead(vad: VAD, session: ort.InferenceSession, audio: Float32Array, input: AudioFrame[], count: number) {
  const bare = bareLoop(session, audio, count);
  const streams = Array.from({ length: count }, () => vad.stream());
  let answered = 0;
  const read = streams.map(async (stream) => {
    for await (const event of stream) if (event.type === 'inference_done') answered++;
  });
  const turn = () => new Promise((resolve) => setImmediate(resolve));
  let pluginMs = 0;
  let bareMs = 0;
  let windows = 0;
  let chunk = 0;
  // Each side's CPU is read once per chunk (a reading is a system call: per frame, it would weigh
  // on the plugin's side alone).
  let chunkStart = process.cpuUsage();
  const passes = Math.ceil(PAIRED_WINDOWS / (count * Math.floor(input.reduce((samples, frame) => samples + frame.samplesPerChannel, 0) / 512)));
  for (let pass = 0; pass < passes; pass++) {
    await feedArriving(vad, streams, input, async () => {
      if (++chunk < PAIRED_CHUNK) return;
      await turn(); // the readers take the chunk's last events
      pluginMs += cpuMsSince(chunkStart);
      const bareStart = process.cpuUsage();
      await bare(chunk);
      bareMs += cpuMsSince(bareStart);
      windows += chunk * count;
      chunk = 0;
      chunkStart = process.cpuUsage();
    });
  }
  if (answered < windows) throw new Error(`the plugin answered ${answered} windows of ${windows} by the end of the paired run`);
  for (const stream of streams) stream.endInput();
  await Promise.all(read);
  const pluginCpuMsPerWindow = pluginMs / windows;
  const bareCpuMsPerWindow = bareMs / windows;
  return {
    windowsEachSide: windows,
    pluginCpuMsPerWindow: round(pluginCpuMsPerWindow, MS_DIGITS),
    rawOrtCpuMsPerWindow: round(bareCpuMsPerWindow, MS_DIGITS),
    pluginOverRawOrt: round(pluginCpuMsPerWindow / bareCpuMsPerWindow, 3),
  };
}

function medianRatio(plugin: Array<{ cpuMsPerWindow: number }>, raw: Array<{ cpuMsPerWindow: number }>): number {
  return round(p50(plugin.map((run, i) => run.cpuMsPerWindow / raw[i]!.cpuMsPerWindow)), 3);
}

function best<T extends Record<string, unknown>>(runs: T[], key: keyof T): T {
  // The round least disturbed by the rest of the machine: the highest streams per core.
  return runs.reduce((a, b) => ((b[key] as number) > (a[key] as number) ? b : a));
}

export async function run(): Promise<Record<string, unknown>> {
  const fixture = await readWavFile(new URL('../test/fixtures/speech_16k.wav', import.meta.url).pathname);
  const audio16 = loop(fixture.data, 16000 * AUDIO_SECONDS);
  const audio48 = toInt16(resample(mixdown(audio16, 1), 16000, 48000));
  const input16 = frames(audio16, 16000);
  const input48 = frames(audio48, 48000);
  // One call per window (batch 1); the concurrent runs below also use VAD.load()'s default batching.
  const vad = await VAD.load({ batch: 1 });
  const session = vad.model.session;
  const floatAudio = mixdown(audio16, 1);
  const windows = Math.ceil(audio16.length / 512);

  // Warm-up: JIT, ORT's first runs.
  await rawOrt(session, floatAudio, 1, 200);
  await pluginOneStream(vad, input16.slice(0, 300));

  const rawSingle = [];
  const oneStream16 = [];
  const oneStream48 = [];
  for (let round_ = 0; round_ < ROUNDS; round_++) {
    rawSingle.push(await rawOrt(session, floatAudio, 1, windows));
    oneStream16.push(await pluginOneStream(vad, input16));
    oneStream48.push(await pluginOneStream(vad, input48));
  }

  const batchedWindows = Math.ceil((16000 * BATCHED_AUDIO_SECONDS) / 512);
  const batchedInput = input16.slice(0, BATCHED_AUDIO_SECONDS * 100);
  const concurrent: Record<string, unknown> = {};
  for (const count of STREAM_COUNTS) {
    const raw = [];
    const batched = [];
    const batchedAllAtOnce = [];
    const unbatched = [];
    const withoutInference = [];
    // A single stream is also run in batch mode (batch 8), to see what the mode costs alone.
    const batchedVad = await VAD.load({ batch: Math.max(count, 8) });
    for (let round_ = 0; round_ < ROUNDS; round_++) {
      raw.push(await rawOrt(session, floatAudio, count, batchedWindows));
      batched.push(await pluginStreams(batchedVad, batchedInput, count, true));
      batchedAllAtOnce.push(await pluginStreams(batchedVad, batchedInput, count, false));
      unbatched.push(await pluginStreams(vad, batchedInput, count, true));
      withoutInference.push(await pluginWithoutInference(batchedVad, batchedInput, count));
    }
    const rawOrtBatched = best(raw, 'realtimeStreamsPerCore');
    const pluginBatched = best(batched, 'realtimeStreamsPerCore');
    const pluginBatchedAllAtOnce = best(batchedAllAtOnce, 'realtimeStreamsPerCore');
    concurrent[`${count} streams`] = {
      rawOrtBatched,
      pluginBatched,
      pluginBatchedAllAtOnce,
      pluginOneCallPerWindow: best(unbatched, 'realtimeStreamsPerCore'),
      pluginWithoutInferenceCpuMsPerWindow: best(withoutInference, 'realtimeStreamsPerCore').cpuMsPerWindow,
      // CPU per window, the plugin's over the bare loop's at the same batch size: the median over
      // the rounds of each round's ratio (the two measured one after the other), which moves less
      // between runs on a shared machine than the ratio of the best rounds.
      pluginOverRawOrt: medianRatio(batched, raw),
      // The same ratio measured in alternation (see pairedOverhead): the figure for the target.
      paired: await pairedOverhead(batchedVad, session, floatAudio, batchedInput, count),
      pluginAllAtOnceOverRawOrt: medianRatio(batchedAllAtOnce, raw),
    };
  }

  return {
    model: 'Silero VAD v6.2 (silero_vad.onnx), onnxruntime-node CPU, 1 intra-op + 1 inter-op thread, sequential',
    window: '512 samples + 64 of context at 16 kHz = 32 ms',
    audioSeconds: AUDIO_SECONDS,
    rounds: `${ROUNDS}, the best round reported`,
    oneStream: {
      rawOrt: best(rawSingle, 'realtimeStreamsPerCore'),
      plugin16kHz: best(oneStream16, 'realtimeStreamsPerCore'),
      plugin48kHz: best(oneStream48, 'realtimeStreamsPerCore'),
    },
    concurrent,
  };
}
