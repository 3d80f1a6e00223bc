/**
 * The inspector page server's two replay routes:
 * - `GET /replay`: the report given with `--replay` (the file's name, and the report with its
 *   machines drawn, or what is wrong with it); 404 when none was given.
 * - `POST /replay/diagrams`: the diagrams of a dropped report's machines (`{ machines }` in,
 *   `{ diagrams }` or `{ problem }` out). The page reads and checks the file itself; only the
 *   layout needs the server (dagre runs here, the page has no renderer of its own).
 *
 * Only this page may ask (same origin, JSON; a form of another site cannot send JSON without a
 * preflight, which gets nothing), bodies are bounded, and whatever goes out is masked for
 * credentials as the feed is.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { maskSecretValues } from '../log/redact.js';
import { describe } from '../errors.js';
import { InvalidReportError } from './invalid_report_error.js';
import { replayDiagrams } from './replay_diagrams.js';
import type { ReplayFile } from './replay_file.js';

export const REPLAY_PATH = '/replay';
export const DIAGRAMS_PATH = '/replay/diagrams';
/** A diagrams request's body, at most: a session's machines are some 100 KB of JSON. */
export const MAX_DIAGRAMS_BODY = 16 * 1024 * 1024;

/** Served once per file: a long call's report is megabytes, and a page may be reloaded often. */
const bodies = new WeakMap<ReplayFile, string>();

function sendJson(res: ServerResponse, status: number, body: string): void {
  res
    .writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    })
    .end(body);
}
const problem = (res: ServerResponse, status: number, text: string) => sendJson(res, status, maskSecretValues(JSON.stringify({ problem: text })));

/**
 * Answers `req` if its path is a replay route; false (nothing sent) otherwise. `replay` is the
 * file given to replay, if any; `sameOrigin` whether the request comes from the page itself.
 */
export async function serveReplay(req: IncomingMessage, res: ServerResponse, replay: Promise<ReplayFile> | undefined, sameOrigin: boolean): Promise<boolean> {
  const path = new URL(req.url ?? '/', 'http://inspector').pathname;
  if (path === REPLAY_PATH) {
    if (req.method !== 'GET' && req.method !== 'HEAD') res.writeHead(405, { Allow: 'GET, HEAD' }).end();
    else if (replay === undefined) res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('no report to replay: start with --replay report.json\n');
    else sendJson(res, 200, await replayBody(await replay));
    return true;
  }
  if (path !== DIAGRAMS_PATH) return false;
  if (req.method !== 'POST') {
    res.writeHead(405, { Allow: 'POST' }).end();
  } else if (!sameOrigin) {
    problem(res, 403, 'only the inspector page may ask for diagrams');
  } else if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) {
    problem(res, 415, 'send the machines as application/json');
  } else {
    await serveDiagrams(req, res);
  }
  return true;
}

function replayBody(loaded: ReplayFile): string {
  let body = bodies.get(loaded);
  if (body === undefined) {
    const { file, report, diagrams, error } = loaded;
    // The last guard, as on the feed: a report is redacted when made, but this file came from anywhere.
    body = maskSecretValues(JSON.stringify(error === undefined ? { file, report, diagrams } : { file, problem: error.problem }));
    bodies.set(loaded, body);
  }
  return body;
}

async function serveDiagrams(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req, MAX_DIAGRAMS_BODY);
  if (body === undefined) {
    problem(res, 413, `the machines are more than ${MAX_DIAGRAMS_BODY / 1024 / 1024} MB of JSON`);
    return;
  }
  let machines: unknown;
  try {
    machines = (JSON.parse(body.toString('utf8')) as { machines?: unknown } | null)?.machines;
  } catch (cause) {
    problem(res, 400, `the request is not JSON: ${describe(cause)}`);
    return;
  }
  if (typeof machines !== 'object' || machines === null || Array.isArray(machines)) {
    problem(res, 400, 'the request has no "machines" object');
    return;
  }
  try {
    const diagrams = await replayDiagrams(machines as Record<string, unknown>);
    sendJson(res, 200, maskSecretValues(JSON.stringify({ diagrams })));
  } catch (cause) {
    if (!(cause instanceof InvalidReportError)) throw cause;
    problem(res, 422, cause.problem);
  }
}

/**
 * The request's body; undefined as soon as it is longer than `limit`. The rest is read and let go
 * (nothing kept), so the client, still sending, gets the answer rather than a reset connection.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  if (Number(req.headers['content-length'] ?? 0) > limit) {
    req.resume();
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      chunks.push(chunk);
      if (size <= limit) return;
      req.off('data', onData);
      chunks.length = 0;
      resolve(undefined);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}
