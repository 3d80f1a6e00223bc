/**
 * A fake OpenAI chat completions server on 127.0.0.1: it records each request (path, headers,
 * JSON body) and answers each with the next scripted reply: an SSE stream of
 * `chat.completion.chunk`s (which can pause on a promise, end with [DONE], drop the connection or
 * hang), an HTTP error, a dropped connection, or no answer at all.
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  // biome-ignore lint: the body is whatever JSON the SDK sent
  body: any;
  /** Resolves if the client closes the connection before the reply has ended (an abort). */
  closedEarly: Promise<void>;
}

/** An SSE event: a chunk object (sent as JSON), raw text (sent as is), or a promise to wait for. */
export type SseEvent = Record<string, unknown> | string | Promise<unknown>;

export type Reply =
  | { kind: 'sse'; events: SseEvent[]; end: 'done' | 'close' | 'drop' | 'hang' }
  | { kind: 'status'; status: number; body: unknown }
  | { kind: 'hang' }
  | { kind: 'drop' };

export class FakeOpenAIServer {
  readonly requests: RecordedRequest[] = [];
  readonly #replies: Reply[] = [];
  readonly #waiters: Array<{ count: number; resolve: () => void }> = [];
  readonly #server: Server;

  private constructor(server: Server) {
    this.#server = server;
    server.on('request', (req, res) => {
      let text = '';
      req.setEncoding('utf8');
      req.on('data', (piece: string) => (text += piece));
      req.on('end', () => {
        let closedEarly!: () => void;
        const recorded: RecordedRequest = {
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body: text === '' ? undefined : JSON.parse(text),
          closedEarly: new Promise((resolve) => (closedEarly = resolve)),
        };
        res.on('close', () => {
          if (!res.writableFinished) closedEarly();
        });
        this.requests.push(recorded);
        for (const waiter of this.#waiters.filter((w) => this.requests.length >= w.count)) {
          this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
        void this.#answer(res, this.#replies.shift());
      });
    });
  }

  static async start(): Promise<FakeOpenAIServer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new FakeOpenAIServer(server);
  }

  /** Where the SDK should send requests (its `baseURL`). */
  get baseURL(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/v1`;
  }

  /** Queues replies, one per request, in order. A request with no reply left gets HTTP 500. */
  reply(...replies: Reply[]): this {
    this.#replies.push(...replies);
    return this;
  }

  /** Resolves with the `count`-th request (1-based) once it has arrived. */
  async received(count: number): Promise<RecordedRequest> {
    if (this.requests.length < count) await new Promise<void>((resolve) => this.#waiters.push({ count, resolve }));
    return this.requests[count - 1]!;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #answer(res: ServerResponse, reply: Reply | undefined): Promise<void> {
    if (reply === undefined) reply = status(500, { error: { message: 'no scripted reply left', type: 'server_error' } });
    switch (reply.kind) {
      case 'hang':
        return;
      case 'drop':
        res.socket?.destroy();
        return;
      case 'status':
        res.writeHead(reply.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(reply.body));
        return;
      case 'sse':
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        res.flushHeaders();
        for (const event of reply.events) {
          if (event instanceof Promise) await event;
          // Written through to the socket before the next step, so a drop never swallows it.
          else await new Promise((resolve) => res.write(typeof event === 'string' ? event : `data: ${JSON.stringify(event)}\n\n`, resolve));
        }
        if (reply.end === 'done') res.end('data: [DONE]\n\n');
        else if (reply.end === 'close') res.end();
        else if (reply.end === 'drop') res.socket?.destroy();
        return;
    }
  }
}

/** An SSE reply. */
export function sse(events: SseEvent[], end: 'done' | 'close' | 'drop' | 'hang' = 'done'): Reply {
  return { kind: 'sse', events, end };
}

/** An HTTP error reply with an OpenAI-style error body. */
export function status(code: number, body: unknown = { error: { message: `status ${code}`, type: 'error' } }): Reply {
  return { kind: 'status', status: code, body };
}

/** A request that is never answered. */
export const hang = (): Reply => ({ kind: 'hang' });

/** A connection closed before any answer. */
export const drop = (): Reply => ({ kind: 'drop' });

const ID = 'chatcmpl-test';

function completionChunk(delta: Record<string, unknown>, finishReason: string | null = null): Record<string, unknown> {
  return {
    id: ID,
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model: 'gpt-4.1-mini',
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  };
}

export interface ToolCallPart {
  index: number;
  id?: string;
  name?: string;
  arguments?: string;
}

/** Builders of `chat.completion.chunk` objects. */
export const chunk = {
  id: ID,
  role: () => completionChunk({ role: 'assistant', content: '' }),
  text: (content: string) => completionChunk({ content }),
  /** Tool call fragments (several of them are parallel calls in one chunk). */
  toolCalls: (...parts: ToolCallPart[]) =>
    completionChunk({
      tool_calls: parts.map((part) => ({
        index: part.index,
        ...(part.id ? { id: part.id, type: 'function' } : {}),
        function: { ...(part.name ? { name: part.name } : {}), arguments: part.arguments ?? '' },
      })),
    }),
  finish: (reason: 'stop' | 'tool_calls' | 'length') => completionChunk({}, reason),
  /** The usage chunk; `cachedTokens` of the prompt's came from OpenAI's prompt cache (prompt_tokens_details). */
  usage: (promptTokens: number, completionTokens: number, cachedTokens?: number) => ({
    id: ID,
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model: 'gpt-4.1-mini',
    choices: [],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
      ...(cachedTokens === undefined ? {} : { prompt_tokens_details: { cached_tokens: cachedTokens } }),
    },
  }),
};

/** A whole text reply: role, the pieces, stop, usage, [DONE]. */
export function textReply(pieces: string[], usage: [prompt: number, completion: number, cached?: number] = [10, pieces.length]): Reply {
  return sse([chunk.role(), ...pieces.map(chunk.text), chunk.finish('stop'), chunk.usage(usage[0], usage[1], usage[2])]);
}
