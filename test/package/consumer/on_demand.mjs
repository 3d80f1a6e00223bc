// The parts of voxstate loaded only when used, used: the inspector page (its diagrams are laid out
// with dagre), the Stately Inspector bridge (@statelyai/inspect), the Silero VAD (onnxruntime-node),
// and the provider SDKs (openai, @deepgram/sdk), whose errors are classified once they are loaded.
import { ChatContext, audioFrame, deepgram, openai, silero, startInspection } from 'voxstate';

const inspection = await startInspection({ port: 0, stately: true, print: false });
const page = await (await fetch(inspection.pageUrl)).text();
await inspection.close();
const vad = await silero.VAD.load();

// Port 9 (discard) on loopback: nothing listens, so each request fails at once with a refused connection.
const nowhere = 'http://127.0.0.1:9';
// A short bound: a failed Deepgram request leaves the SDK's timer for just past it (see deepgram.STT).
const connOptions = { maxRetry: 0, retryIntervalMs: 1, timeoutMs: 1_000 };
const llm = new openai.LLM({ apiKey: 'sk-package-test-key', baseURL: `${nowhere}/v1`, connOptions });
const llmError = await (async () => {
  const chunks = llm.chat({ instructions: '', chatCtx: new ChatContext(), tools: [], toolChoice: 'auto', signal: new AbortController().signal });
  for await (const _ of chunks);
})().catch((error) => error);
const stt = new deepgram.STT({ apiKey: 'package-test-key-0123456789', baseUrl: nowhere, conn: connOptions });
const sttError = await stt.recognize([audioFrame(new Int16Array(160), 16_000)]).catch((error) => error);

console.log(JSON.stringify({
  states: (page.match(/data-state-id=/g) ?? []).length,
  stately: inspection.statelyUrl !== undefined,
  vadSampleRate: vad.options.sampleRate,
  llmError: { name: llmError?.name, recoverable: llmError?.recoverable, message: llmError?.message },
  sttError: { name: sttError?.name, recoverable: sttError?.recoverable, message: sttError?.message },
}));
