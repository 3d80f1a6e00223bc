/**
 * A fake Deepgram on 127.0.0.1 speaking its wire protocol, for the real SDK to talk to:
 * - live: WebSocket upgrades of `/v1/listen?…` (a `ws` WebSocketServer). The upgrade is refused
 *   with 401 unless `Authorization: Token <key>`; scripted upgrades can be refused with any status
 *   or left hanging (TCP accepted, no HTTP answer). An accepted connection records the binary audio
 *   and the JSON control messages it receives; the test sends Results/SpeechStarted/UtteranceEnd/
 *   Metadata (or anything else) and closes or drops it. On CloseStream it answers like Deepgram:
 *   Metadata with the duration of the audio received, then a close (1000).
 * - pre-recorded: `POST /v1/listen?…` with the same key check; answers are scripted (a status, a
 *   body, or no answer at all); the default answer is a transcript.
 * Every wait is on an event (a message received, a connection made), never on time.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export type UpgradeScript = 'accept' | 'hang' | { status: number };
export type RestScript = 'hang' | 'drop' | { status: number; body?: unknown; raw?: string };

export interface RestRequest {
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export interface UpgradeRequest {
  path: string;
  query: URLSearchParams;
  authorization: string | undefined;
}

export const TRANSCRIPT_RESPONSE = {
  metadata: { request_id: 'rest-req-1', sha256: '', created: '', duration: 0.5, channels: 1, models: [], model_info: {} },
  results: {
    channels: [
      {
        alternatives: [
          {
            transcript: 'hello from rest',
            confidence: 0.97,
            words: [
              { word: 'hello', start: 0.1, end: 0.3, confidence: 0.98 },
              { word: 'from', start: 0.3, end: 0.4, confidence: 0.97 },
              { word: 'rest', start: 0.4, end: 0.5, confidence: 0.96 },
            ],
          },
        ],
      },
    ],
  },
};

/** Waits for a condition checked again on every event; resolves at once if it already holds. */
class Waiters {
  #list: { check: () => boolean; resolve: () => void }[] = [];

  until(check: () => boolean): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve) => this.#list.push({ check, resolve }));
  }

  poke(): void {
    this.#list = this.#list.filter((waiter) => {
      if (!waiter.check()) return true;
      waiter.resolve();
      return false;
    });
  }
}

export class FakeConnection {
  readonly audio: Buffer[] = [];
  readonly controls: string[] = [];
  readonly texts: string[] = [];
  closedWith: { code: number; reason: string } | undefined;
  /** Whether to answer CloseStream with Metadata and a close, as Deepgram does. */
  answerCloseStream = true;
  readonly #waiters = new Waiters();

  constructor(
    readonly ws: WebSocket,
    readonly query: URLSearchParams,
    readonly headers: IncomingMessage['headers'],
  ) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        this.audio.push(Buffer.from(data));
      } else {
        const text = data.toString();
        this.texts.push(text);
        try {
          const type = (JSON.parse(text) as { type?: unknown }).type;
          if (typeof type === 'string') this.controls.push(type);
          if (type === 'CloseStream' && this.answerCloseStream) {
            this.sendMetadata(this.audioBytes / 2 / Number(this.query.get('sample_rate') ?? 16000));
            ws.close(1000);
          }
        } catch {
          // recorded in texts
        }
      }
      this.#waiters.poke();
    });
    ws.on('close', (code, reason) => {
      this.closedWith = { code, reason: reason.toString() };
      this.#waiters.poke();
    });
  }

  get audioBytes(): number {
    return this.audio.reduce((sum, chunk) => sum + chunk.length, 0);
  }

  /** All audio received, as 16-bit samples. */
  samples(): Int16Array {
    const all = Buffer.concat(this.audio);
    return new Int16Array(all.buffer.slice(all.byteOffset, all.byteOffset + all.length));
  }

  untilAudioBytes(bytes: number): Promise<void> {
    return this.#waiters.until(() => this.audioBytes >= bytes);
  }

  untilControl(type: string, count = 1): Promise<void> {
    return this.#waiters.until(() => this.controls.filter((t) => t === type).length >= count);
  }

  untilClosed(): Promise<{ code: number; reason: string }> {
    return this.#waiters.until(() => this.closedWith !== undefined).then(() => this.closedWith!);
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  sendResults(transcript: string, options: { isFinal?: boolean; speechFinal?: boolean; start?: number; duration?: number; words?: boolean } = {}): void {
    const start = options.start ?? 0;
    const duration = options.duration ?? 0.5;
    const words = transcript === '' || options.words === false
      ? []
      : transcript.split(' ').map((word, i, all) => ({
          word,
          start: start + (duration * i) / all.length,
          end: start + (duration * (i + 1)) / all.length,
          confidence: 0.9,
        }));
    this.send({
      type: 'Results',
      channel_index: [0, 1],
      duration,
      start,
      is_final: options.isFinal ?? false,
      speech_final: options.speechFinal ?? false,
      channel: { alternatives: [{ transcript, confidence: 0.92, words }] },
      metadata: { request_id: 'live-req-1', model_info: { name: 'nova-3', version: '1', arch: 'x' }, model_uuid: 'u' },
    });
  }

  sendSpeechStarted(timestamp = 0): void {
    this.send({ type: 'SpeechStarted', channel: [0], timestamp });
  }

  sendUtteranceEnd(lastWordEnd = 1): void {
    this.send({ type: 'UtteranceEnd', channel: [0], last_word_end: lastWordEnd });
  }

  sendMetadata(durationSeconds: number, requestId = 'live-req-1'): void {
    this.send({ type: 'Metadata', transaction_key: 'deprecated', request_id: requestId, sha256: '', created: '', duration: durationSeconds, channels: 1 });
  }

  /** Drops the TCP connection without a close frame (the client sees code 1006). */
  drop(): void {
    this.ws.terminate();
  }
}

export class FakeDeepgram {
  readonly upgrades: UpgradeRequest[] = [];
  readonly connections: FakeConnection[] = [];
  readonly requests: RestRequest[] = [];
  readonly #upgradeScript: UpgradeScript[] = [];
  readonly #restScript: RestScript[] = [];
  readonly #sockets = new Set<Socket>();
  readonly #hanging = new Set<ServerResponse>();
  readonly #waiters = new Waiters();
  readonly #wss = new WebSocketServer({ noServer: true });

  private constructor(
    readonly apiKey: string,
    private readonly server: Server,
  ) {
    server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
    server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => this.#upgrade(request, socket, head));
    server.on('request', (request: IncomingMessage, response: ServerResponse) => void this.#rest(request, response));
  }

  static async start(apiKey = 'test-key'): Promise<FakeDeepgram> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new FakeDeepgram(apiKey, server);
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** How the next upgrades are answered (then: accepted). */
  scriptUpgrades(...script: UpgradeScript[]): void {
    this.#upgradeScript.push(...script);
  }

  /** How the next REST requests are answered (then: TRANSCRIPT_RESPONSE). */
  scriptRest(...script: RestScript[]): void {
    this.#restScript.push(...script);
  }

  /** The n-th accepted connection (0-based), once it is open. */
  async connection(index = 0): Promise<FakeConnection> {
    await this.#waiters.until(() => this.connections.length > index);
    return this.connections[index]!;
  }

  untilUpgrades(count: number): Promise<void> {
    return this.#waiters.until(() => this.upgrades.length >= count);
  }

  untilRequests(count: number): Promise<void> {
    return this.#waiters.until(() => this.requests.length >= count);
  }

  async close(): Promise<void> {
    for (const client of this.#wss.clients) client.terminate();
    for (const response of this.#hanging) response.destroy();
    for (const socket of this.#sockets) socket.destroy();
    this.#wss.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  #upgrade(request: IncomingMessage, socket: Socket, head: Buffer): void {
    const url = new URL(request.url ?? '/', 'http://fake');
    const authorization = request.headers.authorization;
    this.upgrades.push({ path: url.pathname, query: url.searchParams, authorization });
    this.#waiters.poke();
    const script = this.#upgradeScript.shift() ?? 'accept';
    if (script === 'hang') return;
    let status = typeof script === 'object' ? script.status : 0;
    if (authorization !== `Token ${this.apiKey}`) status = 401;
    if (url.pathname !== '/v1/listen') status = 404;
    if (status !== 0) {
      socket.end(`HTTP/1.1 ${status} Refused\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}`);
      return;
    }
    this.#wss.handleUpgrade(request, socket, head, (ws) => {
      this.connections.push(new FakeConnection(ws, url.searchParams, request.headers));
      this.#waiters.poke();
    });
  }

  async #rest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const url = new URL(request.url ?? '/', 'http://fake');
    this.requests.push({ path: url.pathname, query: url.searchParams, headers: request.headers, body: Buffer.concat(chunks) });
    this.#waiters.poke();
    const script = this.#restScript.shift() ?? { status: 200, body: TRANSCRIPT_RESPONSE };
    if (script === 'hang') {
      this.#hanging.add(response);
      return;
    }
    if (script === 'drop') {
      request.socket.destroy();
      return;
    }
    if (request.headers.authorization !== `Token ${this.apiKey}`) {
      response.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ err_code: 'INVALID_AUTH', err_msg: 'Invalid credentials.' }));
      return;
    }
    const body = script.raw ?? JSON.stringify(script.body ?? {});
    response.writeHead(script.status, { 'content-type': 'application/json' }).end(body);
  }
}
