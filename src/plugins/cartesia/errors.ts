/**
 * Cartesia failures as ProviderErrors. Recoverable (worth another attempt): HTTP 408, 429 and 5xx,
 * dropped connections, network errors, malformed frames. Not recoverable: bad credentials (401,
 * 403), other 4xx (a bad request, an unknown voice), certificate errors. Messages carry statuses
 * and the server's own words, never the API key.
 */
import { ProviderError, isRetryableStatus, refusedUpgradeStatus } from '../../provider/provider_error.js';

const PROVIDER = 'cartesia';

/** An HTTP status, from the handshake or from a server `error` message. */
export function statusError(status: number, message: string, cause?: unknown): ProviderError {
  const what = status === 401 || status === 403 ? `authentication failed (HTTP ${status})` : `HTTP ${status}`;
  return new ProviderError(PROVIDER, isRetryableStatus(status), message ? `${what}: ${message}` : what, { status, cause });
}

/** A frame the client could not use. */
export function malformed(message: string, cause?: unknown): ProviderError {
  return new ProviderError(PROVIDER, true, `malformed message from the server: ${message}`, { cause });
}

/** The server owed an answer (audio, `done`) and said nothing for `ms`. */
export function noAnswer(ms: number): ProviderError {
  return new ProviderError(PROVIDER, true, `no answer within ${ms} ms`);
}

export function connectionLost(detail: string): ProviderError {
  return new ProviderError(PROVIDER, true, `connection lost: ${detail}`);
}

/** The server's `{ type: 'error' }` message. */
export function serverError(event: { status_code?: unknown; title?: unknown; message?: unknown }): ProviderError {
  const status = typeof event.status_code === 'number' ? event.status_code : 500;
  const text = [event.title, event.message].filter((part) => typeof part === 'string' && part).join(': ');
  return statusError(status, `server error${text ? ` (${text})` : ''}`);
}

/**
 * What the SDK reports on its `error` event (a WebSocketError): a server `error` message (its
 * `.error`), a frame it could not parse, or a socket error (its `.cause`, a `ws` ErrorEvent).
 */
export function fromSdkError(error: unknown): ProviderError {
  if (error instanceof ProviderError) return error;
  const sdk = error as { message?: string; error?: unknown; cause?: { error?: unknown; message?: string } } | undefined;
  if (isServerError(sdk?.error)) return serverError(sdk.error);
  const message = sdk?.message ?? String(error);
  if (message.startsWith('could not parse websocket event')) return malformed('not JSON', sdk?.cause);
  const refused = refusedUpgradeStatus(message);
  if (refused !== undefined) return statusError(refused, 'WebSocket handshake refused', sdk?.cause?.error);
  const socketError = (sdk?.cause?.error ?? sdk?.cause ?? error) as { code?: unknown; message?: string };
  const code = typeof socketError?.code === 'string' ? socketError.code : undefined;
  const detail = code ? `${code} ${socketError.message ?? ''}`.trim() : (socketError?.message ?? message);
  if (code && /CERT|SSL|TLS|VERIFY/.test(code)) return new ProviderError(PROVIDER, false, `TLS: ${detail}`, { cause: socketError });
  return new ProviderError(PROVIDER, true, `connection error: ${detail}`, { cause: socketError });
}

function isServerError(value: unknown): value is { type: 'error'; status_code?: unknown; title?: unknown; message?: unknown } {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'error';
}
