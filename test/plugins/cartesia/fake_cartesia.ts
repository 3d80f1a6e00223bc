/**
 * A fake Cartesia TTS WebSocket server on 127.0.0.1 over TLS (the SDK always dials wss). It
 * checks the handshake's `Authorization: Bearer <key>` and `Cartesia-Version` headers, records
 * every JSON request, and by default answers each text request with base64 pcm_s16le `chunk`
 * messages (every sample of a sentence's audio holds the sentence's number on the connection:
 * 1, 2, 3…) and each `continue: false` with `done`. A test can script the next handshakes
 * (refuse with a status, or never answer) and replace a connection's answers.
 */
import { createServer, type Server } from 'node:https';
import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
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

/** What a handshake gets: accepted, refused with an HTTP status, or no answer at all. */
export type Handshake = 'accept' | 'hang' | { status: number; body?: string };

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
  /** Plans for the next handshakes, taken in order; when empty, handshakes are accepted. */
  readonly handshakes: Handshake[] = [];
  readonly connections: FakeConnection[] = [];
  upgrades = 0;
  chunkSamples = 1000;
  chunksPerText = 2;
  /** How new connections answer. */
  answer: Answer = speak;
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly #sockets = new Set<Duplex>();
  #waiters: (() => boolean)[] = [];

  private constructor(private readonly server: Server) {
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => this.#upgrade(request, socket, head));
    server.on('connection', (socket: Duplex) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  static async start(tls: TlsCert): Promise<FakeCartesia> {
    const server = createServer({ cert: tls.cert, key: tls.key });
    const fake = new FakeCartesia(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  /** The base URL to give the SDK (it turns http into wss). */
  get url(): string {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('not listening');
    return `http://127.0.0.1:${address.port}`;
  }

  /** Resolves once `predicate` holds, checked at every upgrade, message and close. */
  until(predicate: () => boolean): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (!predicate()) return false;
        resolve();
        return true;
      };
      this.#waiters.push(check);
    });
  }

  /** The next connection accepted (the `index`-th, counting from 0). */
  async connection(index: number): Promise<FakeConnection> {
    await this.until(() => this.connections.length > index);
    return this.connections[index]!;
  }

  async stop(): Promise<void> {
    for (const client of this.#wss.clients) client.terminate();
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  #changed(): void {
    this.#waiters = this.#waiters.filter((check) => !check());
  }

  #upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.upgrades += 1;
    const plan = this.handshakes.shift() ?? 'accept';
    this.#changed();
    if (plan === 'hang') return;
    if (typeof plan === 'object') return refuse(socket, plan.status, plan.body);
    if (request.headers.authorization !== `Bearer ${this.apiKey}`) return refuse(socket, 401, '{"error":"Invalid API key"}');
    if (!request.headers['cartesia-version']) return refuse(socket, 400, '{"error":"Cartesia-Version header missing"}');
    if (request.url !== '/tts/websocket') return refuse(socket, 404, '');
    this.#wss.handleUpgrade(request, socket, head, (ws) => {
      const connection = new FakeConnection(request.headers, ws, this);
      this.connections.push(connection);
      ws.on('message', (data) => {
        connection.receive(JSON.parse(data.toString()) as FakeRequest);
        this.#changed();
      });
      ws.on('close', (code) => {
        connection.closeCode = code;
        this.#changed();
      });
      this.#changed();
    });
  }
}

function refuse(socket: Duplex, status: number, body = ''): void {
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
