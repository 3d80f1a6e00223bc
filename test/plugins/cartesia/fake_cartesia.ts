/**
 * A fake Cartesia TTS WebSocket server on 127.0.0.1 over TLS (the SDK always dials wss). It
 * checks the handshake's `Authorization: Bearer <key>` and `Cartesia-Version` headers, records
 * every JSON request, and by default answers each text request with base64 pcm_s16le `chunk`
 * messages (every sample of a sentence's audio holds the sentence's number on the connection:
 * 1, 2, 3…) and each `continue: false` with `done`. A test can script the next handshakes
 * (refuse with a status, or never answer) and replace a connection's answers.
 */
import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { FakeWssServer, type Handshake } from '../../support/fake_wss_server.js';
import type { TlsCert } from '../../support/tls_cert.js';

export interface FakeRequest {
  context_id?: string;
  transcript?: string;
  continue?: boolean;
  cancel?: boolean;
  model_id?: string;
  voice?: unknown;
  output_format?: { container?: string; encoding?: string; sample_rate?: number };
  language?: string;
  [key: string]: unknown;
}

export type { Handshake } from '../../support/fake_wss_server.js';

export type Answer = (request: FakeRequest, connection: FakeConnection) => void;

export class FakeConnection {
  readonly requests: FakeRequest[] = [];
  /** Sentences answered so far (the marker of the next sentence's audio is this plus one). */
  sentences = 0;
  closeCode: number | undefined;
  answer: Answer;

  constructor(
    readonly headers: IncomingMessage['headers'],
    private readonly socket: WebSocket,
    private readonly server: FakeCartesia,
  ) {
    this.answer = server.answer;
  }

  get texts(): FakeRequest[] {
    return this.requests.filter((request) => !request.cancel && request.transcript);
  }

  send(message: object): void {
    this.socket.send(JSON.stringify(message));
  }

  sendRaw(text: string): void {
    this.socket.send(text);
  }

  /** Audio for one sentence: `chunks` chunks of `samples` samples, each sample = `marker`. */
  sendAudio(contextId: string, marker: number, chunks = this.server.chunksPerText, samples = this.server.chunkSamples): void {
    for (let i = 0; i < chunks; i++) {
      const pcm = Buffer.alloc(samples * 2);
      for (let s = 0; s < samples; s++) pcm.writeInt16LE(marker, s * 2);
      this.send({ type: 'chunk', context_id: contextId, data: pcm.toString('base64'), done: false, status_code: 206, step_time: 1 });
    }
  }

  sendDone(contextId: string): void {
    this.send({ type: 'done', context_id: contextId, done: true, status_code: 200 });
  }

  /** Cuts the connection without a closing handshake. */
  drop(): void {
    this.socket.terminate();
  }

  /** @internal */
  receive(request: FakeRequest): void {
    this.requests.push(request);
    this.answer(request, this);
  }
}

/** Answers like Cartesia: audio for each text, `done` for `continue: false`; a cancel stops nothing already sent. */
export const speak: Answer = (request, connection) => {
  if (request.cancel || !request.context_id) return;
  if (request.transcript) connection.sendAudio(request.context_id, ++connection.sentences);
  if (request.continue === false) connection.sendDone(request.context_id);
};

/** Says nothing. */
export const silent: Answer = () => {};

export class FakeCartesia {
  readonly apiKey = 'test-key';
  readonly connections: FakeConnection[] = [];
  chunkSamples = 1000;
  chunksPerText = 2;
  /** How new connections answer. */
  answer: Answer = speak;

  private constructor(private readonly server: FakeWssServer) {}

  static async start(tls: TlsCert): Promise<FakeCartesia> {
    let fake!: FakeCartesia;
    const server = await FakeWssServer.start(tls, {
      check: (request) => {
        if (request.headers.authorization !== `Bearer ${fake.apiKey}`) return { status: 401, body: '{"error":"Invalid API key"}' };
        if (!request.headers['cartesia-version']) return { status: 400, body: '{"error":"Cartesia-Version header missing"}' };
        if (request.url !== '/tts/websocket') return { status: 404 };
        return undefined;
      },
      open: (ws, request) => {
        const connection = new FakeConnection(request.headers, ws, fake);
        fake.connections.push(connection);
        ws.on('message', (data) => {
          connection.receive(JSON.parse(data.toString()) as FakeRequest);
          server.changed();
        });
        ws.on('close', (code) => {
          connection.closeCode = code;
        });
      },
    });
    fake = new FakeCartesia(server);
    return fake;
  }

  /** Plans for the next handshakes, taken in order; when empty, handshakes are accepted. */
  get handshakes(): Handshake[] {
    return this.server.handshakes;
  }

  get upgrades(): number {
    return this.server.upgrades;
  }

  /** The base URL to give the SDK (it turns http into wss). */
  get url(): string {
    return `http://127.0.0.1:${this.server.port}`;
  }

  /** Resolves once `predicate` holds, checked at every upgrade, message and close. */
  until(predicate: () => boolean): Promise<void> {
    return this.server.until(predicate);
  }

  /** The next connection accepted (the `index`-th, counting from 0). */
  async connection(index: number): Promise<FakeConnection> {
    await this.until(() => this.connections.length > index);
    return this.connections[index]!;
  }

  stop(): Promise<void> {
    return this.server.stop();
  }
}
