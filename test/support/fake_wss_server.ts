/**
 * The WebSocket server under the fakes of providers whose SDKs always dial wss:// (Cartesia,
 * OpenAI's Realtime API): TLS on 127.0.0.1 with a throwaway certificate, handshakes that can be
 * planned (refused with a status, or never answered), every socket cut by stop(), and waits on
 * conditions checked at each change (an upgrade, a message, a close), never on time.
 */
import { type IncomingMessage, STATUS_CODES } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { TlsCert } from './tls_cert.js';

/** What a handshake gets: accepted, refused with an HTTP status, or no answer at all. */
export type Handshake = 'accept' | 'hang' | { status: number; body?: string };

export interface WssHandlers {
  /** A refusal for a handshake the fake does not take (a bad key, a wrong path), else undefined. */
  check(request: IncomingMessage): { status: number; body?: string } | undefined;
  /** An accepted connection. */
  open(ws: WebSocket, request: IncomingMessage): void;
}

export class FakeWssServer {
  /** Plans for the next handshakes, taken in order; when empty, handshakes are checked and accepted. */
  readonly handshakes: Handshake[] = [];
  upgrades = 0;
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly #sockets = new Set<Duplex>();
  #waiters: Array<() => boolean> = [];

  private constructor(
    private readonly server: Server,
    handlers: WssHandlers,
  ) {
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => this.#upgrade(request, socket, head, handlers));
    server.on('connection', (socket: Duplex) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  static async start(tls: TlsCert, handlers: WssHandlers): Promise<FakeWssServer> {
    const server = createServer({ cert: tls.cert, key: tls.key });
    const fake = new FakeWssServer(server, handlers);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Resolves once `predicate` holds, checked now and at every change. */
  until(predicate: () => boolean): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve) => {
      this.#waiters.push(() => {
        if (!predicate()) return false;
        resolve();
        return true;
      });
    });
  }

  /** Something changed (the fake received a message, a socket closed): the waits check again. */
  changed(): void {
    this.#waiters = this.#waiters.filter((check) => !check());
  }

  async stop(): Promise<void> {
    for (const client of this.#wss.clients) client.terminate();
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  #upgrade(request: IncomingMessage, socket: Duplex, head: Buffer, handlers: WssHandlers): void {
    this.upgrades += 1;
    const plan = this.handshakes.shift() ?? 'accept';
    this.changed();
    if (plan === 'hang') return;
    const refusal = typeof plan === 'object' ? plan : handlers.check(request);
    if (refusal) return refuse(socket, refusal.status, refusal.body);
    this.#wss.handleUpgrade(request, socket, head, (ws) => {
      handlers.open(ws, request);
      ws.on('close', () => this.changed());
      this.changed();
    });
  }
}

function refuse(socket: Duplex, status: number, body = ''): void {
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
