/**
 * A fake OpenAI Realtime API on 127.0.0.1 speaking its WebSocket event protocol (the GA events of
 * the `openai` package's realtime resources), for the SDK's OpenAIRealtimeWS to talk to. TLS, with
 * a throwaway certificate: the SDK turns any base URL into wss://.
 * - The upgrade of `/v1/realtime?model=…` is refused with 401 unless `Authorization: Bearer <key>`;
 *   planned handshakes can be refused with any status or left hanging.
 * - An accepted connection says `session.created`, answers `session.update` with
 *   `session.updated` (the session merged), `input_audio_buffer.commit` with `committed` (audio
 *   counted from the appends), `conversation.item.create` with `conversation.item.added`,
 *   `conversation.item.truncate` with `truncated`, and `response.cancel` with a cancelled
 *   `response.done` when a response is open. `response.create` is answered by the connection's
 *   `respond` plan (default: `speak('Hello.')`); a test can send any server event, or drop it.
 * Every wait is on an event (a connection made, a client event received), never on time.
 */
import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { FakeWssServer, type Handshake } from '../../support/fake_wss_server.js';
import type { TlsCert } from '../../support/tls_cert.js';

/** A client event as received (JSON). */
export type ClientEvent = { type: string; event_id?: string } & Record<string, unknown>;
/** How a connection answers `response.create`. */
export type ResponsePlan = (connection: FakeRealtimeConnection, request: ClientEvent) => void;

/** 24 kHz PCM16 samples, each `marker`, base64: what an audio delta carries. */
export function pcmBase64(samples: number, marker = 1000): string {
  const pcm = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) pcm.writeInt16LE(marker, i * 2);
  return pcm.toString('base64');
}

/** Answers like the model speaking `text`: its transcript and `chunks` audio deltas of `samples`, then done with usage. */
export function speak(text: string, chunks = 2, samples = 1200): ResponsePlan {
  return (connection) => {
    const response = connection.openResponse();
    const item = connection.nextId('item');
    connection.send({ type: 'response.output_item.added', response_id: response, output_index: 0, item: { id: item, type: 'message', role: 'assistant', status: 'in_progress', content: [] } });
    connection.send({ type: 'response.content_part.added', response_id: response, item_id: item, output_index: 0, content_index: 0, part: { type: 'audio', transcript: '' } });
    connection.send({ type: 'response.output_audio_transcript.delta', response_id: response, item_id: item, output_index: 0, content_index: 0, delta: text });
    for (let i = 0; i < chunks; i++) {
      connection.send({ type: 'response.output_audio.delta', response_id: response, item_id: item, output_index: 0, content_index: 0, delta: pcmBase64(samples) });
    }
    connection.send({ type: 'response.output_audio.done', response_id: response, item_id: item, output_index: 0, content_index: 0 });
    connection.send({ type: 'response.output_audio_transcript.done', response_id: response, item_id: item, output_index: 0, content_index: 0, transcript: text });
    const done = { id: item, type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_audio', transcript: text }] };
    connection.send({ type: 'response.output_item.done', response_id: response, output_index: 0, item: done });
    connection.closeResponse('completed', [done]);
  };
}

/** Answers like the model in text mode: `text` as output text, no audio. */
export function write(text: string): ResponsePlan {
  return (connection) => {
    const response = connection.openResponse();
    const item = connection.nextId('item');
    connection.send({ type: 'response.output_item.added', response_id: response, output_index: 0, item: { id: item, type: 'message', role: 'assistant', status: 'in_progress', content: [] } });
    connection.send({ type: 'response.output_text.delta', response_id: response, item_id: item, output_index: 0, content_index: 0, delta: text });
    connection.send({ type: 'response.output_text.done', response_id: response, item_id: item, output_index: 0, content_index: 0, text });
    const done = { id: item, type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text }] };
    connection.send({ type: 'response.output_item.done', response_id: response, output_index: 0, item: done });
    connection.closeResponse('completed', [done]);
  };
}

export class FakeRealtimeConnection {
  /** Every client event received, in order. */
  readonly received: ClientEvent[] = [];
  /** Bytes of input audio appended since the last commit or clear. */
  pendingAudioBytes = 0;
  /** The session as the client last set it (session.update merged). */
  session: Record<string, unknown>;
  respond: ResponsePlan;
  closeCode: number | undefined;
  #openResponse: string | undefined;
  #ids = 0;

  constructor(
    readonly query: URLSearchParams,
    readonly headers: IncomingMessage['headers'],
    private readonly socket: WebSocket,
    respond: ResponsePlan,
  ) {
    this.session = { type: 'realtime', object: 'realtime.session', id: 'sess_fake', model: query.get('model'), output_modalities: ['audio'] };
    this.respond = respond;
  }

  nextId(prefix: string): string {
    return `${prefix}_${++this.#ids}`;
  }

  send(event: Record<string, unknown>): void {
    this.socket.send(JSON.stringify({ event_id: this.nextId('event'), ...event }));
  }

  /** Opens a response (`response.created`) and returns its id. */
  openResponse(): string {
    const id = this.nextId('resp');
    this.#openResponse = id;
    this.send({ type: 'response.created', response: { id, object: 'realtime.response', status: 'in_progress', output: [] } });
    return id;
  }

  /** Ends the open response with `response.done`: its status, output and usage. */
  closeResponse(status: 'completed' | 'cancelled' | 'failed', output: unknown[] = []): void {
    const id = this.#openResponse;
    if (id === undefined) return;
    this.#openResponse = undefined;
    const usage = { total_tokens: 30, input_tokens: 20, output_tokens: 10, input_token_details: { text_tokens: 5, audio_tokens: 15, cached_tokens: 8 }, output_token_details: { text_tokens: 4, audio_tokens: 6 } };
    this.send({ type: 'response.done', response: { id, object: 'realtime.response', status, output, usage } });
  }

  get responseOpen(): boolean {
    return this.#openResponse !== undefined;
  }

  /** Sends text as it is (not an event: a malformed frame). */
  sendRaw(text: string): void {
    this.socket.send(text);
  }

  /** Cuts the connection without a closing handshake. */
  drop(): void {
    this.socket.terminate();
  }

  /** @internal */
  receive(event: ClientEvent): void {
    this.received.push(event);
    switch (event.type) {
      case 'session.update':
        this.session = { ...this.session, ...(event.session as Record<string, unknown>) };
        this.send({ type: 'session.updated', session: this.session });
        return;
      case 'input_audio_buffer.append':
        this.pendingAudioBytes += Buffer.from(String(event.audio), 'base64').length;
        return;
      case 'input_audio_buffer.clear':
        this.pendingAudioBytes = 0;
        this.send({ type: 'input_audio_buffer.cleared' });
        return;
      case 'input_audio_buffer.commit':
        this.pendingAudioBytes = 0;
        this.send({ type: 'input_audio_buffer.committed', item_id: this.nextId('item'), previous_item_id: null });
        return;
      case 'conversation.item.create': {
        const item = { id: this.nextId('item'), ...(event.item as Record<string, unknown>), status: 'completed' };
        this.send({ type: 'conversation.item.added', item, previous_item_id: event.previous_item_id ?? null });
        return;
      }
      case 'conversation.item.truncate':
        this.send({ type: 'conversation.item.truncated', item_id: event.item_id, content_index: event.content_index, audio_end_ms: event.audio_end_ms });
        return;
      case 'response.cancel':
        this.closeResponse('cancelled');
        return;
      case 'response.create':
        this.respond(this, event);
        return;
    }
  }
}

export class FakeRealtimeServer {
  readonly apiKey = 'sk-realtime-test';
  readonly connections: FakeRealtimeConnection[] = [];
  /** How new connections answer response.create. */
  respond: ResponsePlan = speak('Hello.');

  private constructor(private readonly server: FakeWssServer) {}

  static async start(tls: TlsCert): Promise<FakeRealtimeServer> {
    let fake!: FakeRealtimeServer;
    const server = await FakeWssServer.start(tls, {
      check: (request) => {
        const url = new URL(request.url ?? '/', 'https://127.0.0.1');
        if (request.headers.authorization !== `Bearer ${fake.apiKey}`) {
          return { status: 401, body: JSON.stringify({ error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } }) };
        }
        if (url.pathname !== '/v1/realtime' || !url.searchParams.get('model')) return { status: 404 };
        return undefined;
      },
      open: (ws, request) => {
        const url = new URL(request.url ?? '/', 'https://127.0.0.1');
        const connection = new FakeRealtimeConnection(url.searchParams, request.headers, ws, fake.respond);
        fake.connections.push(connection);
        ws.on('message', (data) => {
          connection.receive(JSON.parse(data.toString()) as ClientEvent);
          server.changed();
        });
        ws.on('close', (code) => {
          connection.closeCode = code;
        });
        connection.send({ type: 'session.created', session: connection.session });
      },
    });
    fake = new FakeRealtimeServer(server);
    return fake;
  }

  /** Plans for the next handshakes, taken in order; when empty, handshakes are accepted. */
  get handshakes(): Handshake[] {
    return this.server.handshakes;
  }

  get upgrades(): number {
    return this.server.upgrades;
  }

  /** The base URL to give the SDK (`baseURL`; it connects to wss://…/v1/realtime). */
  get baseURL(): string {
    return `https://127.0.0.1:${this.server.port}/v1`;
  }

  /** Resolves once `predicate` holds, checked at every upgrade, client event and close. */
  until(predicate: () => boolean): Promise<void> {
    return this.server.until(predicate);
  }

  /** The `index`-th accepted connection (from 0), once it is open. */
  async connection(index = 0): Promise<FakeRealtimeConnection> {
    await this.until(() => this.connections.length > index);
    return this.connections[index]!;
  }

  /** The next client event of `type` on `connection` after the first `after` ones of that type. */
  async received(connection: FakeRealtimeConnection, type: string, after = 0): Promise<ClientEvent> {
    const ofType = () => connection.received.filter((event) => event.type === type);
    await this.until(() => ofType().length > after);
    return ofType()[after]!;
  }

  stop(): Promise<void> {
    return this.server.stop();
  }
}
