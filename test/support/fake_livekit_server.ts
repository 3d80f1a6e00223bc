/**
 * A fake LiveKit dispatcher for worker tests: a WebSocket server on 127.0.0.1 that speaks the
 * agent worker protocol (protobuf WorkerMessage / ServerMessage frames of @livekit/protocol) on
 * `/agent`, and checks the worker's JWT as LiveKit does (TokenVerifier with the API key and
 * secret, video grant `agent: true`), answering 401 otherwise.
 *
 * It answers registrations and WebSocket pings by itself (unless told not to), as LiveKit's server
 * does; a test offers jobs, assigns and terminates them, sends garbage or text frames, drops the
 * socket, and awaits what the worker sent.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  AvailabilityRequest,
  Job,
  JobAssignment,
  JobTermination,
  JobType,
  ParticipantInfo,
  RegisterWorkerResponse,
  Room,
  ServerMessage,
  WorkerMessage,
} from '@livekit/protocol';
import { TokenVerifier } from 'livekit-server-sdk';
import { WebSocket, WebSocketServer } from 'ws';

export type WorkerMessageKind = NonNullable<WorkerMessage['message']['case']>;
export type WorkerMessageOf<K extends WorkerMessageKind> = Extract<WorkerMessage['message'], { case: K }>['value'];

export interface FakeLiveKitOptions {
  apiKey: string;
  apiSecret: string;
  /** Answer RegisterWorkerRequest by itself (default true). */
  autoRegister?: boolean;
}

export interface FakeJob {
  id: string;
  roomName?: string;
  metadata?: string;
  agentName?: string;
  type?: JobType;
  participantIdentity?: string;
  attributes?: Record<string, string>;
}

interface Waiter {
  kind: WorkerMessageKind;
  match: (value: unknown) => boolean;
  resolve: (value: unknown) => void;
}

export class FakeLiveKitServer {
  readonly received: WorkerMessage[] = [];
  /** Every JWT a worker presented (accepted or not). */
  readonly tokens: string[] = [];
  /** Upgrades accepted, and refused with 401. */
  accepted = 0;
  refused = 0;
  /** Text frames the worker sent (the protocol has none). */
  textFrames = 0;
  /** WebSocket pings the worker sent (keep-alive). */
  pinged = 0;
  /** Answer the worker's pings with pongs (default true, as LiveKit's server; false: a dead connection). */
  answerPings = true;
  autoRegister: boolean;
  /** When set, every upgrade is answered with this HTTP status (a server that is down behind a proxy). */
  refuseWith: number | undefined;
  /** When set, upgrades are never answered (a server that accepts TCP and hangs); they are counted in `held`. */
  holdUpgrades = false;
  held = 0;
  #socket: WebSocket | undefined;
  readonly #consumed = new Set<WorkerMessage>();
  readonly #waiters: Waiter[] = [];
  /** Waiters for a count (connections, refusals, held upgrades) to be reached. */
  readonly #countWaiters: Array<{ reached: () => boolean; resolve: () => void }> = [];
  /** Upgrade sockets held unanswered. */
  readonly #heldSockets = new Set<Duplex>();
  readonly #verifier: TokenVerifier;
  readonly #wss = new WebSocketServer({ noServer: true, autoPong: false });
  #workerIds = 0;

  private constructor(
    readonly http: Server,
    options: FakeLiveKitOptions,
  ) {
    this.#verifier = new TokenVerifier(options.apiKey, options.apiSecret);
    this.autoRegister = options.autoRegister ?? true;
    http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => void this.#upgrade(request, socket, head));
  }

  static async start(options: FakeLiveKitOptions): Promise<FakeLiveKitServer> {
    const http = createServer((_, response) => response.writeHead(404).end());
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    return new FakeLiveKitServer(http, options);
  }

  /** The URL a worker is given, as LIVEKIT_URL (http, as users often write it). */
  get url(): string {
    return `http://127.0.0.1:${(this.http.address() as AddressInfo).port}`;
  }

  get connected(): boolean {
    return this.#socket?.readyState === WebSocket.OPEN;
  }

  /** Resolves once `count` connections in all have been accepted. */
  connections(count: number): Promise<void> {
    return this.#until(() => this.accepted >= count);
  }

  /** Resolves once `count` messages in all have been received. */
  messages(count: number): Promise<void> {
    return this.#until(() => this.received.length >= count);
  }

  /** Resolves once `count` upgrades in all have been refused. */
  refusals(count: number): Promise<void> {
    return this.#until(() => this.refused >= count);
  }

  /** Resolves once `count` pings in all have been received. */
  pings(count: number): Promise<void> {
    return this.#until(() => this.pinged >= count);
  }

  /** Resolves once `count` upgrades in all have been held unanswered (holdUpgrades). */
  holds(count: number): Promise<void> {
    return this.#until(() => this.held >= count);
  }

  #until(reached: () => boolean): Promise<void> {
    if (reached()) return Promise.resolve();
    return new Promise((resolve) => this.#countWaiters.push({ reached, resolve }));
  }

  #counted(): void {
    for (const waiter of this.#countWaiters.splice(0)) {
      if (waiter.reached()) waiter.resolve();
      else this.#countWaiters.push(waiter);
    }
  }

  /** The oldest message of `kind` not taken yet (received already, or the next one). */
  next<K extends WorkerMessageKind>(kind: K, match: (value: WorkerMessageOf<K>) => boolean = () => true): Promise<WorkerMessageOf<K>> {
    for (const message of this.received) {
      if (this.#consumed.has(message) || message.message.case !== kind) continue;
      if (!match(message.message.value as WorkerMessageOf<K>)) continue;
      this.#consumed.add(message);
      // A message value is never a thenable; the cast only spares TypeScript's Awaited<> of a generic.
      return Promise.resolve(message.message.value) as Promise<WorkerMessageOf<K>>;
    }
    return new Promise<WorkerMessageOf<K>>((resolve) => this.#waiters.push({ kind, match: match as (value: unknown) => boolean, resolve: resolve as (value: unknown) => void }));
  }

  /** The messages received since `from` (an index into `received`) that no next() has taken. */
  untaken(from = 0): WorkerMessage[] {
    return this.received.slice(from).filter((message) => !this.#consumed.has(message));
  }

  /** Every message of `kind` received so far (taken or not). */
  all<K extends WorkerMessageKind>(kind: K): WorkerMessageOf<K>[] {
    return this.received.filter((m) => m.message.case === kind).map((m) => m.message.value as WorkerMessageOf<K>);
  }

  send(message: ServerMessage['message']): void {
    const socket = this.#socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) throw new Error('no worker is connected');
    socket.send(new ServerMessage({ message }).toBinary());
  }

  /** Sends raw bytes (binary) or a string (a text frame). */
  sendRaw(data: Buffer | string): void {
    const socket = this.#socket;
    if (!socket) throw new Error('no worker is connected');
    socket.send(data, { binary: typeof data !== 'string' });
  }

  register(workerId = `AW_fake${++this.#workerIds}`): string {
    this.send({ case: 'register', value: new RegisterWorkerResponse({ workerId }) });
    return workerId;
  }

  /** Offers a job (AvailabilityRequest) without waiting for the answer; `resuming`: offered again after its worker went away. */
  offer(job: FakeJob, options: { resuming?: boolean } = {}): void {
    this.send({ case: 'availability', value: new AvailabilityRequest({ job: makeJob(job), resuming: options.resuming ?? false }) });
  }

  /** Offers a job and waits for the worker's AvailabilityResponse. */
  async ask(job: FakeJob, options: { resuming?: boolean } = {}) {
    const answer = this.next('availability', (response) => response.jobId === job.id);
    this.offer(job, options);
    return answer;
  }

  assign(job: FakeJob, options: { token?: string; url?: string } = {}): void {
    this.send({
      case: 'assignment',
      value: new JobAssignment({ job: makeJob(job), token: options.token ?? `room-token-${job.id}`, ...(options.url ? { url: options.url } : {}) }),
    });
  }

  terminate(jobId: string): void {
    this.send({ case: 'termination', value: new JobTermination({ jobId }) });
  }

  /** Cuts the worker's connection from the server side, without a close handshake. */
  drop(): void {
    this.#socket?.terminate();
    this.#socket = undefined;
  }

  async close(): Promise<void> {
    for (const socket of this.#heldSockets) socket.destroy();
    for (const client of this.#wss.clients) client.terminate();
    this.#wss.close();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  async #upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const refuse = (status: number, text: string) => {
      this.refused += 1;
      socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      this.#counted();
    };
    if (new URL(request.url ?? '/', 'http://x').pathname !== '/agent') return refuse(404, 'Not Found');
    if (this.refuseWith !== undefined) return refuse(this.refuseWith, 'Refused');
    if (this.holdUpgrades) {
      this.held += 1;
      this.#heldSockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => this.#heldSockets.delete(socket));
      this.#counted();
      return;
    }
    const header = request.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    this.tokens.push(token);
    try {
      const claims = await this.#verifier.verify(token);
      if (claims.video?.agent !== true) return refuse(401, 'Unauthorized');
    } catch {
      return refuse(401, 'Unauthorized');
    }
    this.#wss.handleUpgrade(request, socket, head, (ws) => this.#accept(ws));
  }

  #accept(ws: WebSocket): void {
    this.#socket?.terminate();
    this.#socket = ws;
    this.accepted += 1;
    ws.on('error', () => {});
    ws.on('ping', (data) => {
      this.pinged += 1;
      if (this.answerPings) ws.pong(data);
      this.#counted();
    });
    ws.on('message', (data, isBinary) => {
      if (!isBinary) {
        this.textFrames += 1;
        return;
      }
      const message = WorkerMessage.fromBinary(Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]));
      this.received.push(message);
      this.#counted();
      if (message.message.case === 'register' && this.autoRegister && ws === this.#socket) this.register();
      const index = this.#waiters.findIndex((w) => w.kind === message.message.case && w.match(message.message.value));
      if (index >= 0) {
        const [waiter] = this.#waiters.splice(index, 1);
        this.#consumed.add(message);
        waiter!.resolve(message.message.value);
      }
    });
    this.#counted();
  }
}

/** A LiveKit Job message. */
export function makeJob(job: FakeJob): Job {
  return new Job({
    id: job.id,
    dispatchId: `AD_${job.id}`,
    type: job.type ?? JobType.JT_ROOM,
    room: new Room({ name: job.roomName ?? `room-${job.id}`, sid: `RM_${job.id}` }),
    metadata: job.metadata ?? '',
    agentName: job.agentName ?? '',
    attributes: job.attributes ?? {},
    ...(job.participantIdentity ? { participant: new ParticipantInfo({ identity: job.participantIdentity }) } : {}),
  });
}
