/**
 * `--inspect`: shows every actor in the Stately Inspector (https://stately.ai/inspect).
 *
 * A small relay runs on 127.0.0.1: the app's inspector connects to it over WebSocket (`/app`),
 * and a browser opens its page (bridge_html.ts), which embeds the Stately Inspector in an iframe
 * and forwards each message to it with postMessage once the inspector has said
 * `@statelyai.connected` (the handshake `@statelyai/inspect` uses). The Stately Inspector needs
 * the internet; the page says so when the browser cannot reach it. We do not use
 * `@statelyai/inspect/server`: it listens on every interface, without any check of who connects.
 *
 * Actors are registered under their role (actorName), not under their machine's id.
 *
 * Everything that leaves the process goes through redactSecrets: contexts, events, snapshot
 * output/error/input and the machine definitions the inspector draws from; and every frame the
 * relay passes on through maskSecretValues (credentials inside values).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { StatelyInspectionEvent } from '@statelyai/inspect';
import type { WebSocket } from 'ws';
import { closed, isLoopback, refusedAsNotThePage, sendPage } from './local_sockets.js';
import type { AnyActorRef, AnyEventObject, InspectionEvent, MachineContext, Observer } from 'xstate';
import { REDACTED, isSecretKey, maskSecretValues, redactSecrets } from '../log/redact.js';
import { actorName } from './actor_names.js';
import { bridgeHtml, type BridgeHtmlOptions } from './bridge_html.js';

export interface StatelyInspectorOptions {
  /** Port of the relay; 0 picks a free one. Default 0. */
  port?: number;
  /** Interface the relay listens on. Default 127.0.0.1: the relay has no authentication. */
  host?: string;
  /** The inspector page embedded by the bridge. Default https://stately.ai/inspect. */
  inspectorUrl?: string;
  /**
   * voxstate's own inspector page (it needs no internet): the bridge page links to it when the
   * browser cannot load the Stately Inspector. startInspection passes its page.
   */
  offlinePageUrl?: string;
}

export interface StatelyInspector {
  /** Give to `createActor(logic, { inspect })` (or to addInspector) to show actors. */
  inspect: Observer<InspectionEvent>;
  /** The page to open in a browser. */
  url: string;
  /** Where the relay listens. */
  address: AddressInfo;
  /** Disconnects the app, the open pages and stops the relay. */
  close(): Promise<void>;
}

/** Messages kept for pages that open later. */
const REPLAY_LIMIT = 200;
/** Largest message accepted from the app: a snapshot of a big context, not a flood. */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
const APP_PATH = '/app';
const PAGE_PATH = '/page';
const DEFAULT_INSPECTOR_URL = 'https://stately.ai/inspect';

/**
 * Starts the relay and an inspector connected to it; resolves once the inspector's connection is
 * up, so no event of an actor started afterwards waits in a buffer.
 */
export async function startStatelyInspector(options: StatelyInspectorOptions = {}): Promise<StatelyInspector> {
  // Loaded here, not with voxstate: only a program that inspects pays for @statelyai/inspect.
  const { createWebSocketInspector } = await import('@statelyai/inspect');
  const relay = await startRelay(options.host ?? '127.0.0.1', options.port ?? 0, {
    inspectorUrl: options.inspectorUrl ?? DEFAULT_INSPECTOR_URL,
    offlinePageUrl: options.offlinePageUrl,
  });
  // Actors registered but not yet converted (the adapter converts on a timer), by session id:
  // the registration that goes out names each by its role.
  const registering = new Map<string, AnyActorRef>();
  const inspector = createWebSocketInspector({
    url: `${relay.wsBase}${APP_PATH}`,
    sanitizeContext: (context) => redactSecrets(context) as MachineContext,
    sanitizeEvent: (event) => redactSecrets(event) as AnyEventObject,
    // Contexts and events are covered above; this covers the rest of what is sent.
    serialize: (event) => sanitizeInspectionEvent(namedByRole(event, registering)),
  });
  try {
    await relay.appConnected;
  } catch (error) {
    inspector.stop();
    await relay.close();
    throw error;
  }
  let closed = false;
  return {
    inspect: {
      next: (event) => {
        // After close the adapter would only queue events nobody will read.
        if (closed) return;
        if (event.type === '@xstate.actor') registering.set(event.actorRef.sessionId, event.actorRef as AnyActorRef);
        inspector.inspect.next?.(event);
      },
    },
    url: `${relay.httpBase}/`,
    address: relay.address,
    async close() {
      if (closed) return;
      closed = true;
      // The inspector converts each event on a zero-delay timer: let those already queued go out
      // (timers of equal delay run in order), so the last states reach the pages.
      await new Promise((resolve) => setTimeout(resolve, 0));
      inspector.stop();
      await relay.close();
    },
  };
}

/**
 * A registration names its actor by role ("agent Weather") where the Stately Inspector would show
 * the machine id. Named once: the adapter serializes a queued message twice.
 */
function namedByRole(event: StatelyInspectionEvent, registering: Map<string, AnyActorRef>): StatelyInspectionEvent {
  if (event.type !== '@xstate.actor') return event;
  const ref = registering.get(event.sessionId);
  if (ref === undefined) return event;
  registering.delete(event.sessionId);
  return { ...event, name: actorName(ref) };
}

/**
 * Removes secrets from the parts of an inspection message that sanitizeContext/sanitizeEvent do
 * not reach: a snapshot's output, error and input (a promise actor's snapshot carries its input)
 * and the machine definition. Idempotent: the WebSocket adapter applies it twice to messages it
 * had to queue.
 */
export function sanitizeInspectionEvent(event: StatelyInspectionEvent): StatelyInspectionEvent {
  const out = { ...event } as StatelyInspectionEvent & { snapshot?: unknown; event?: unknown; definition?: unknown };
  if ('snapshot' in out) out.snapshot = sanitizeSnapshot(out.snapshot);
  if ('event' in out && out.event !== undefined) out.event = redactSecrets(out.event);
  if ('definition' in out && typeof out.definition === 'string') out.definition = sanitizeDefinition(out.definition);
  return out;
}

/** Keys of a snapshot that describe where the actor is, not what it holds. */
const SNAPSHOT_SHAPE = new Set(['value', 'status', 'tags']);

function sanitizeSnapshot(snapshot: unknown): unknown {
  // A live machine snapshot serialises through its toJSON (dropping the machine and its nodes).
  const toJSON = (snapshot as { toJSON?: unknown } | null)?.toJSON;
  const plain = typeof toJSON === 'function' ? toJSON.call(snapshot) : snapshot;
  if (plain === null || typeof plain !== 'object' || Array.isArray(plain)) return redactSecrets(plain);
  return Object.fromEntries(
    Object.entries(plain).map(([key, value]) => [
      key,
      SNAPSHOT_SHAPE.has(key) ? value : isSecretKey(key) ? REDACTED : redactSecrets(value),
    ]),
  );
}

/** Maps whose keys are names (states, events, delays), never credentials: kept as they are. */
const NAME_MAPS = new Set(['states', 'on', 'after']);
/** Config entries holding data (a literal context, invoke input, action params, meta). */
const DATA_KEYS = new Set(['context', 'input', 'params', 'meta', 'output']);

/**
 * The machine config the inspector draws from, with literal data redacted. State and event names
 * are kept even when they look like secrets (`awaitingToken`), or the chart would break.
 */
function sanitizeDefinition(definition: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(definition);
  } catch {
    return JSON.stringify({ id: 'unknown' });
  }
  return JSON.stringify(redactConfig(parsed));
}

function redactConfig(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(redactConfig);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (NAME_MAPS.has(key) && item !== null && typeof item === 'object' && !Array.isArray(item)) {
      out[key] = Object.fromEntries(Object.entries(item).map(([name, child]) => [name, redactConfig(child)]));
    } else if (DATA_KEYS.has(key)) {
      out[key] = redactSecrets(item);
    } else {
      out[key] = isSecretKey(key) ? REDACTED : redactConfig(item);
    }
  }
  return out;
}

interface Relay {
  address: AddressInfo;
  httpBase: string;
  wsBase: string;
  /** Settles when the first app client has connected (rejects if none does in time). */
  appConnected: Promise<void>;
  close(): Promise<void>;
}

/** Most actor registrations kept for late pages (the oldest go first). */
const REGISTRATION_LIMIT = 1_000;

function remember(registrations: Map<string, string>, message: string): void {
  if (!message.includes('"@xstate.actor"')) return;
  let parsed: { type?: unknown; sessionId?: unknown };
  try {
    parsed = JSON.parse(message) as typeof parsed;
  } catch {
    return;
  }
  const { type, sessionId } = parsed;
  if (type !== '@xstate.actor' || typeof sessionId !== 'string') return;
  registrations.set(sessionId, message);
  if (registrations.size > REGISTRATION_LIMIT) registrations.delete(registrations.keys().next().value!);
}

/** What the bridge page links to. */
type BridgePage = Pick<BridgeHtmlOptions, 'inspectorUrl' | 'offlinePageUrl'>;

async function startRelay(host: string, port: number, page: BridgePage): Promise<Relay> {
  const server = createServer((req, res) => serveBridge(req, res, page));
  const { WebSocketServer } = await import('ws');
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const pages = new Set<WebSocket>();
  const apps = new Set<WebSocket>();
  const replay: string[] = [];
  // Registrations of actors (what the inspector draws from) are kept apart, so a page that opens
  // late can still draw actors whose registration fell out of the replay.
  const registrations = new Map<string, string>();
  let onApp: () => void = () => {};
  const appArrived = new Promise<void>((resolve) => (onApp = resolve));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostInUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const allowedOrigins = new Set([`http://${hostInUrl}:${address.port}`]);
  if (isLoopback(address.address)) {
    for (const name of ['localhost', '127.0.0.1', '[::1]']) allowedOrigins.add(`http://${name}:${address.port}`);
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(req.url ?? '/', 'http://relay').pathname;
    const role = path === APP_PATH ? 'app' : path === PAGE_PATH ? 'page' : undefined;
    // Browsers always send Origin, so a page of another site (which may reach 127.0.0.1 too)
    // cannot read the events or inject fake ones; local non-browser clients send none.
    const origin = req.headers.origin;
    if (role === undefined || (origin !== undefined && !allowedOrigins.has(origin))) {
      socket.end(`HTTP/1.1 ${role === undefined ? '404 Not Found' : '403 Forbidden'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      // A protocol error on one client must not take the relay down.
      ws.on('error', () => ws.terminate());
      if (role === 'page') {
        pages.add(ws);
        ws.on('close', () => pages.delete(ws));
        const replayed = new Set(replay);
        for (const message of registrations.values()) if (!replayed.has(message)) ws.send(message);
        for (const message of replay) ws.send(message);
        return;
      }
      apps.add(ws);
      ws.on('close', () => apps.delete(ws));
      ws.on('message', (data, isBinary) => {
        if (isBinary) return;
        // Property names are redacted at the source; a credential inside a value (a key read out
        // in a transcript) is masked here, on everything that reaches a page.
        const message = maskSecretValues(data.toString());
        replay.push(message);
        if (replay.length > REPLAY_LIMIT) replay.shift();
        remember(registrations, message);
        for (const page of pages) if (page.readyState === page.OPEN) page.send(message);
      });
      onApp();
    });
  });

  let timer: NodeJS.Timeout | undefined;
  const appConnected = Promise.race([
    appArrived,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('the inspector did not connect to its relay within 5 s')), 5_000);
    }),
  ]).finally(() => clearTimeout(timer));

  return {
    address,
    httpBase: `http://${hostInUrl}:${address.port}`,
    wsBase: `ws://${hostInUrl}:${address.port}`,
    appConnected,
    async close() {
      // Let apps finish their close handshake (they were asked to close first), then cut the rest.
      await Promise.all([...apps].map((ws) => closed(ws, 1_000)));
      // Pages are closed gracefully too, so what was relayed to them last is delivered.
      for (const ws of pages) ws.close(1001, 'inspector closing');
      await Promise.all([...pages].map((ws) => closed(ws, 1_000)));
      for (const ws of [...apps, ...pages]) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function serveBridge(req: IncomingMessage, res: ServerResponse, page: BridgePage): void {
  if (refusedAsNotThePage(req, res)) return;
  sendPage(res, bridgeHtml({ ...page, pagePath: PAGE_PATH }), "frame-ancestors 'none'");
}
