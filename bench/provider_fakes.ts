/**
 * The providers' fakes for bench/density_sdks.ts, in a process of their own so their CPU is
 * counted apart: OpenAI (chat completions over SSE), Deepgram (live transcription over a
 * WebSocket: a final transcript every TURN_EVERY_MS of each connection, the connections' turns
 * spread over that period) and Cartesia (TTS over a TLS WebSocket), all on 127.0.0.1. Prints `{ openai, deepgram, cartesia, cert }` as one JSON
 * line; then each line read on stdin is answered with this process's CPU ms and what the fakes
 * served so far; it ends when stdin closes.
 */
import { createInterface } from 'node:readline';
import { FakeCartesia } from '../test/plugins/cartesia/fake_cartesia.js';
import { selfSignedCert } from '../test/support/tls_cert.js';
import { FakeDeepgram } from '../test/plugins/deepgram/fake_deepgram.js';
import { FakeOpenAIServer, textReply } from '../test/plugins/openai/fake_openai_server.js';

const TURN_EVERY_MS = 3_000;
const REPLIES = 20_000;

const tls = selfSignedCert();
const openai = await FakeOpenAIServer.start();
openai.reply(...Array.from({ length: REPLIES }, () => textReply(['Sure, ', 'here it is.'])));
const deepgram = await FakeDeepgram.start();
const cartesia = await FakeCartesia.start(tls);
const timers: NodeJS.Timeout[] = [];

void (async () => {
  for (let i = 0; ; i++) {
    const connection = await deepgram.connection(i);
    const transcribe = () => connection.sendResults('hello there', { isFinal: true, speechFinal: true });
    // The sessions connect at about the same moment: without a phase of its own, every user would
    // finish speaking in the same instant (each connection's i * 1,103 ms mod 3 s: all distinct).
    timers.push(
      setTimeout(() => {
        transcribe();
        timers.push(setInterval(transcribe, TURN_EVERY_MS));
      }, (i * 1_103) % TURN_EVERY_MS),
    );
  }
})();

process.stdout.write(`${JSON.stringify({ openai: openai.baseURL, deepgram: deepgram.url, cartesia: cartesia.url, cert: tls.cert })}\n`);
const lines = createInterface({ input: process.stdin });
lines.on('line', () => {
  const used = process.cpuUsage();
  const served = { llmRequests: openai.requests.length, sttConnections: deepgram.connections.length, ttsTexts: cartesia.connections.reduce((sum, c) => sum + c.texts.length, 0) };
  process.stdout.write(`${JSON.stringify({ cpuMs: (used.user + used.system) / 1000, served })}\n`);
});
lines.on('close', async () => {
  for (const timer of timers) clearTimeout(timer);
  await Promise.allSettled([openai.close(), deepgram.close(), cartesia.stop()]);
  process.exit(0);
});
