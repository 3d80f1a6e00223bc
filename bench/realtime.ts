/**
 * What a realtime session adds between the model's first audio and the user hearing it: from the
 * fake Realtime API (127.0.0.1, TLS) sending a response's first audio delta to the first frame
 * reaching the session's audio output, through openai.realtime and AgentSession; beside the same
 * span for the bare SDK client (the delta parsed by OpenAIRealtimeWS), measured in the same run. The
 * difference is the session's own cost (decoding, the speech's start, playSynthesized).
 */
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import type { AudioFrame } from '../src/audio/audio_frame.js';
import type { AudioOutput } from '../src/audio/audio_output.js';
import { Agent, AgentSession } from '../src/index.js';
import { OpenAIRealtimeModel } from '../src/plugins/openai/realtime/realtime_model.js';
import { FakeRealtimeServer, speak, type ResponsePlan } from '../test/plugins/openai/fake_realtime_server.js';
import { selfSignedCert } from '../test/support/tls_cert.js';
import { round, summary } from './stats.js';

const REPLIES = 300;
const WARMUP = 50;

/** Answers like speak(), noting when each response's first audio delta went out. */
function timedSpeak(sent: number[]): ResponsePlan {
  const inner = speak('Hi there.', 2, 2400);
  return (connection, request) => {
    const send = connection.send.bind(connection);
    let first = true;
    connection.send = (event) => {
      if (first && event.type === 'response.output_audio.delta') {
        first = false;
        sent.push(performance.now());
      }
      send(event);
    };
    try {
      inner(connection, request);
    } finally {
      connection.send = send;
    }
  };
}

/** An output that notes when each speech's first frame arrives. */
class FirstFrames implements AudioOutput {
  readonly first: number[] = [];
  playedMs = 0;
  #fresh = true;
  async captureFrame(_frame: AudioFrame): Promise<void> {
    if (this.#fresh) this.first.push(performance.now());
    this.#fresh = false;
  }
  async flush(): Promise<void> {
    this.#fresh = true;
  }
  clearBuffer(): void {}
}

async function viaSession(fake: FakeRealtimeServer, cert: string, replies: number): Promise<number[]> {
  const out = new FirstFrames();
  const model = new OpenAIRealtimeModel({ apiKey: fake.apiKey, baseURL: fake.baseURL, websocket: { ca: cert } });
  const session = new AgentSession({ llm: model, audioOutput: out, userAwayTimeout: null });
  // A connection takes the server's plan when it opens.
  const sent: number[] = [];
  fake.respond = timedSpeak(sent);
  await session.start({ agent: new Agent({ instructions: 'bench' }) });
  for (let i = 0; i < replies; i++) {
    await session.generateReply().waitForPlayout();
  }
  await session.aclose();
  return out.first.map((at, i) => at - sent[i]!);
}

async function viaSdk(fake: FakeRealtimeServer, cert: string, replies: number): Promise<number[]> {
  // A connection takes the server's plan when it opens.
  const sent: number[] = [];
  fake.respond = timedSpeak(sent);
  const client = new OpenAIRealtimeWS({ model: 'gpt-realtime', options: { ca: cert } }, new OpenAI({ apiKey: fake.apiKey, baseURL: fake.baseURL }));
  await new Promise((resolve) => client.socket.once('open', resolve));
  const received: number[] = [];
  for (let i = 0; i < replies; i++) {
    let first = true;
    await new Promise<void>((resolve) => {
      const onEvent = (event: { type: string }) => {
        if (event.type === 'response.output_audio.delta' && first) {
          first = false;
          received.push(performance.now());
        }
        if (event.type === 'response.done') {
          client.off('event', onEvent);
          resolve();
        }
      };
      client.on('event', onEvent);
      client.send({ type: 'response.create' });
    });
  }
  client.close();
  return received.map((at, i) => at - sent[i]!);
}

export async function run(): Promise<Record<string, unknown>> {
  const tls = selfSignedCert();
  const fake = await FakeRealtimeServer.start(tls);
  try {
    await viaSdk(fake, tls.cert, WARMUP);
    await viaSession(fake, tls.cert, WARMUP);
    const sdk = await viaSdk(fake, tls.cert, REPLIES);
    const session = await viaSession(fake, tls.cert, REPLIES);
    const sdkSummary = summary(sdk);
    const sessionSummary = summary(session);
    return {
      replies: REPLIES,
      what: 'ms from the fake server sending a response\'s first audio delta to it arriving',
      baselineBareSdk: { ...sdkSummary, to: 'the SDK\'s response.output_audio.delta event' },
      session: { ...sessionSummary, to: 'the first frame on the AgentSession\'s audio output' },
      addedBySessionMs: { p50: round(sessionSummary.p50 - sdkSummary.p50), p99: round(sessionSummary.p99 - sdkSummary.p99) },
    };
  } finally {
    await fake.stop();
  }
}
