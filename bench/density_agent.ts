/**
 * The agent of bench/spread.ts: each job runs one density run in its job thread (Silero loaded by
 * setupFnc, one model per thread) with the number of sessions its metadata asks for, writes the
 * result where the metadata says, and ends.
 */
import { writeFileSync } from 'node:fs';
import { readWavFile } from '../src/audio/wav.js';
import { VAD as SileroVAD } from '../src/plugins/silero/index.js';
import { AgentServer } from '../src/server/agent_server.js';
import { densityRun, timeStreams, type StreamTiming } from './density_run.js';

type Measures = {
  vad: SileroVAD;
  nextStream: (timing: StreamTiming) => void;
  speech: Int16Array;
};

export const server = new AgentServer<Measures>({
  setupFnc: async (proc) => {
    const vad = await SileroVAD.load();
    proc.userData.vad = vad;
    proc.userData.nextStream = timeStreams(vad);
    proc.userData.speech = (await readWavFile(new URL('../test/fixtures/speech_16k.wav', import.meta.url).pathname)).data as Int16Array;
  },
});

server.rtcSession(async (ctx) => {
  const { sessions, out } = ctx.jobMetadata() as { sessions: number; out: string };
  const { vad, nextStream, speech } = ctx.proc.userData;
  // Warm-up: ORT's first calls, the JIT.
  await densityRun(vad, nextStream, speech, 1);
  writeFileSync(out, JSON.stringify(await densityRun(vad, nextStream, speech, sessions)));
  ctx.shutdown('measured');
});
