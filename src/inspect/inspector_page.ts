/**
 * voxstate's own inspector page, which needs no internet: an HTTP + WebSocket server on 127.0.0.1
 * serving one self-contained page (every machine's diagram, the live actors, the event log) and a
 * live feed of the actors' inspection events (`/feed`). The page also plays session reports back
 * (replay_page.ts): the one given here (`replay`), or one dropped on it (replay_http.ts).
 *
 * While no page is open the observer only keeps references (see LiveActors). With pages open,
 * changes are serialized once per turn of the event loop, into one frame for all pages.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { closed, isLoopback, refusedAsNotThePage, sendPage } from './local_sockets.js';
import type { InspectionEvent } from 'xstate';
import { VoxstateError } from '../errors.js';
import { log } from '../log/logger.js';
import { FeedWriter, type FeedMessage } from './feed.js';
import { LiveActors, type ActorChange, type LiveActorsLimits } from './live_actors.js';
import { exportedDiagrams } from './machine_diagrams.js';
import { inspectorPageHtml } from './page_html.js';
import { maskSecretValues } from '../log/redact.js';
import { SESSION_REPORT_VERSION } from '../report/session_report.js';
import { observeAnnouncements } from './registry.js';
import { loadReplayFile, MAX_REPORT_BYTES, type ReplayFile } from './replay_file.js';
import { DIAGRAMS_PATH, REPLAY_PATH, serveReplay } from './replay_http.js';

export interface InspectorPageOptions {
  /** Port to listen on; 0 picks a free one. Default 0. */
  port?: number;
  /** Interface to listen on. Default 127.0.0.1: the page has no authentication. */
  host?: string;
  /** How much is kept for pages that open later. */
  limits?: LiveActorsLimits;
  /** A session report file (JSON) the page opens on and plays back; read once, at start. */
  replay?: string;
}

export interface InspectorPage {
  /** Give to addInspector (or createActor's `inspect`) to show actors on the page. */
  inspect: (event: InspectionEvent) => void;
  /** The page to open in a browser. */
  url: string;
  address: AddressInfo;
  /** The report given as `replay`, read and checked (never rejects: a bad file holds its error). */
  replay: Promise<ReplayFile> | undefined;
  /** Disconnects the open pages and stops the server; frees the port. */
  close(): Promise<void>;
}

export const FEED_PATH = '/feed';
/** Changes waiting for the next frame, at most; past it, pages get the whole picture again. */
const MAX_PENDING = 5_000;
/** A page this far behind (bytes not yet sent) is cut off; it reconnects and starts afresh. */
const MAX_BUFFERED = 8 * 1024 * 1024;

/** Starts the server; resolves once it listens. */
export async function startInspectorPage(options: InspectorPageOptions = {}): Promise<InspectorPage> {
  const actors = new LiveActors(options.limits);
  const stopAnnouncements = observeAnnouncements(actors.announced);
  const writer = new FeedWriter(actors);
  const replay = options.replay === undefined ? undefined : loadReplayFile(options.replay);
  const pages = new Set<WebSocket>();
  let pending: ActorChange[] = [];
  let overflowed = false;
  let scheduled = false;

  const send = (messages: FeedMessage[], to: Iterable<WebSocket>) => {
    if (messages.length === 0) return;
    // The last guard: a string shaped like a credential never leaves, whatever field it hid in.
    const frame = maskSecretValues(JSON.stringify(messages));
    for (const page of to) {
      if (page.readyState !== WebSocket.OPEN) continue;
      if (page.bufferedAmount > MAX_BUFFERED) page.terminate();
      else page.send(frame);
    }
  };
  /** Sends what `make` builds; a failure is logged, never thrown into the actors or the event loop. */
  const attempt = (what: string, make: () => FeedMessage[], to: Iterable<WebSocket>) => {
    try {
      send(make(), to);
    } catch (cause) {
      log().error({ err: new VoxstateError('inspector_failed', `the inspector page could not ${what}`, { cause }) }, 'inspector page');
    }
  };
  const flush = () => {
    scheduled = false;
    const changes = pending;
    pending = [];
    if (pages.size === 0) return;
    if (overflowed) {
      overflowed = false;
      attempt('resend the current state', () => writer.everything(), pages);
      return;
    }
    attempt('send changes', () => changes.flatMap((change) => writer.change(change)), pages);
  };
  actors.onChange((change) => {
    // No page, nothing to do: a page that opens gets the current picture from `actors`.
    if (pages.size === 0) return;
    if (pending.length >= MAX_PENDING) overflowed = true;
    else pending.push(change);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  });

  // Laid out now, in the background, so the first page opens without waiting for it (a failure
  // is reported by the page request that needs them).
  exportedDiagrams().catch(() => {});
  const server = createServer((req, res) => {
    serve(req, res).catch((cause: unknown) => {
      const error = new VoxstateError('inspector_failed', 'the inspector page could not be made', { cause });
      log().error({ err: error }, 'inspector page');
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(`${error.message}\n`);
    });
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostInUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const loopback = isLoopback(address.address);
  const loopbackHosts = new Set(['127.0.0.1', 'localhost', '[::1]', hostInUrl].map((name) => `${name}:${address.port}`));

  /**
   * A server on loopback answers only to loopback names: a site that points its own name at
   * 127.0.0.1 (DNS rebinding) gets nothing. Bound elsewhere on purpose, any name goes.
   */
  const hostAllowed = (req: IncomingMessage) => !loopback || loopbackHosts.has(req.headers.host ?? '');
  /**
   * Browsers always send Origin with a socket or a POST: only this page itself may read the feed
   * or ask for diagrams, not another site open in the same browser. Local tools (no Origin) may.
   */
  const sameOrigin = (req: IncomingMessage) => req.headers.origin === undefined || req.headers.origin === `http://${req.headers.host}`;

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hostAllowed(req)) {
      res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8' }).end('forbidden host\n');
      return;
    }
    if (await serveReplay(req, res, replay, sameOrigin(req))) return;
    if (refusedAsNotThePage(req, res)) return;
    const nonce = randomBytes(16).toString('base64');
    const html = inspectorPageHtml({
      diagrams: await exportedDiagrams(),
      nonce,
      feedPath: FEED_PATH,
      replay: { reportPath: replay === undefined ? null : REPLAY_PATH, diagramsPath: DIAGRAMS_PATH, version: SESSION_REPORT_VERSION, maxBytes: MAX_REPORT_BYTES },
    });
    // Nothing but this page's own script, style, feed and replay routes: no CDN, no font, no beacon.
    const policy = [
      "default-src 'none'",
      `script-src 'nonce-${nonce}'`,
      `style-src 'nonce-${nonce}'`,
      `connect-src 'self' ws://${req.headers.host ?? hostInUrl}`,
      "img-src 'self' data:",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; ');
    sendPage(res, html, policy);
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(req.url ?? '/', 'http://inspector').pathname;
    if (path !== FEED_PATH || !hostAllowed(req) || !sameOrigin(req)) {
      const status = path !== FEED_PATH ? '404 Not Found' : '403 Forbidden';
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      // A protocol error of one page must not take the server down.
      ws.on('error', () => ws.terminate());
      ws.on('close', () => pages.delete(ws));
      // The page only listens; whatever it sends is ignored.
      pages.add(ws);
      attempt('send the current state', () => writer.everything(), [ws]);
    });
  });

  return {
    inspect: actors.observe,
    url: `http://${hostInUrl}:${address.port}/`,
    address,
    replay,
    async close() {
      if (!server.listening) return;
      stopAnnouncements();
      if (scheduled) flush();
      for (const ws of pages) ws.close(1001, 'inspector closing');
      await Promise.all([...pages].map((ws) => closed(ws, 500)));
      for (const ws of pages) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

