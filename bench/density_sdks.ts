/**
 * The density curve again with the providers' real SDKs (openai, @deepgram/sdk,
 * @cartesia/cartesia-js) against their fakes on 127.0.0.1 (bench/provider_fakes.ts, in a process
 * of their own whose CPU is counted apart): N concurrent voice sessions in this process, each with
 * the real Silero VAD, Deepgram live STT (a final transcript every 3 s), an OpenAI LLM and Cartesia
 * TTS, hearing the speech fixture at real-time pace. Reported as measured (no bound of its own).
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { readWavFile } from '../src/audio/wav.js';
import { CartesiaTTS } from '../src/plugins/cartesia/tts.js';
import { DeepgramSTT } from '../src/plugins/deepgram/stt.js';
import { OpenAILLM } from '../src/plugins/openai/llm.js';
import { VAD as SileroVAD } from '../src/plugins/silero/index.js';
import { densityRun, LAG_LIMIT_MS, timeStreams, type Providers } from './density_run.js';
import { round } from './stats.js';

const COUNTS = [8, 16, 32, 64, 128];

interface Fakes {
  openai: string;
  deepgram: string;
  cartesia: string;
  cert: string;
}

export async function run(): Promise<Record<string, unknown>> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./provider_fakes.ts', import.meta.url).pathname], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async () => JSON.parse(((await lines.next()).value as string | undefined) ?? 'null');
  try {
    const fakes = (await next()) as Fakes;
    type Served = Record<'llmRequests' | 'sttConnections' | 'ttsTexts', number>;
    const fakesReport = async () => {
      child.stdin!.write('cpu\n');
      return (await next()) as { cpuMs: number; served: Served };
    };
    const conn = { maxRetry: 0, retryIntervalMs: 0, timeoutMs: 10_000 };
    const providers = (): Providers => ({
      stt: new DeepgramSTT({ apiKey: 'test-key', baseUrl: fakes.deepgram, conn }),
      llm: new OpenAILLM({ model: 'gpt-4.1-mini', apiKey: 'sk-bench', baseURL: fakes.openai }),
      tts: new CartesiaTTS({ apiKey: 'test-key', baseURL: fakes.cartesia, voice: 'voice-1', websocket: { ca: fakes.cert }, conn }),
    });
    const speech = (await readWavFile(new URL('../test/fixtures/speech_16k.wav', import.meta.url).pathname)).data as Int16Array;
    const vad = await SileroVAD.load();
    const nextStream = timeStreams(vad);
    await densityRun(vad, nextStream, speech, 1, providers); // warm-up: ORT, the JIT, the SDKs
    const runs = [];
    for (const count of COUNTS) {
      const before = await fakesReport();
      const wall0 = performance.now();
      const { lags: _lags, ...result } = await densityRun(vad, nextStream, speech, count, providers);
      const after = await fakesReport();
      const served = Object.fromEntries(Object.entries(after.served).map(([what, n]) => [what, n - before.served[what as keyof Served]]));
      runs.push({ ...result, fakes: { processPercentOfOneCore: round(((after.cpuMs - before.cpuMs) / (performance.now() - wall0)) * 100, 1), served } });
      if (!result.met) break;
    }
    return {
      setup: 'per session: the real Silero VAD (shared model, batched), Deepgram STT, OpenAI LLM and Cartesia TTS through their SDKs against loopback fakes in another process (a final transcript every 3 s per connection), PacedAudioOutput; the speech fixture at real-time pace',
      limit: `as turn.density: p99 processing lag < ${LAG_LIMIT_MS} ms (reported, not a bound here)`,
      runs,
      largestN: runs.filter((r) => r.met).at(-1)?.sessions ?? 0,
    };
  } finally {
    child.stdin!.end();
    await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
  }
}
