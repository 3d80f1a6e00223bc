/**
 * What the Deepgram SDK reports, as ProviderErrors. Worth retrying: HTTP 408, 429 and 5xx (on the
 * REST call or the WebSocket upgrade), a connection that failed, timed out or dropped, a malformed
 * answer. Not: bad credentials and bad requests (other 4xx), a socket closed for a policy
 * violation (close code 1003 or 1008: Deepgram could not use the audio or the parameters).
 * Messages never carry the API key: every typed error masks it (it is known, see resolveOptions).
 */
import { describe } from '../../errors.js';
import { ProviderError, isRetryableStatus, refusedUpgradeStatus } from '../../provider/provider_error.js';
import { deepgramSdk } from './client.js';
import { PROVIDER } from './options.js';

export function classifyDeepgramError(error: unknown): ProviderError {
  if (error instanceof ProviderError) return error;
  // An SDK error comes from a client, so the SDK is loaded by then.
  const sdk = deepgramSdk.loaded();
  if (sdk && error instanceof sdk.DeepgramTimeoutError) return new ProviderError(PROVIDER, true, 'the request timed out', { cause: error });
  if (sdk && error instanceof sdk.DeepgramError) {
    const status = error.statusCode;
    if (status === undefined) {
      return new ProviderError(PROVIDER, true, `request failed: ${error.message}`, { cause: error });
    }
    if (status >= 200 && status < 300) {
      return new ProviderError(PROVIDER, true, `malformed response (HTTP ${status}): ${bodyText(error.body)}`, { cause: error, status });
    }
    return new ProviderError(PROVIDER, isRetryableStatus(status), `HTTP ${status}: ${bodyText(error.body)}`, { cause: error, status });
  }
  // The WebSocket upgrade refused: ws says "Unexpected server response: 401".
  const message = describe(error);
  const status = refusedUpgradeStatus(message);
  if (status !== undefined) {
    return new ProviderError(PROVIDER, isRetryableStatus(status), `the live connection was refused with HTTP ${status}`, { cause: error, status });
  }
  if (message === 'TIMEOUT') return new ProviderError(PROVIDER, true, 'the live connection timed out', { cause: error });
  return new ProviderError(PROVIDER, true, `connection failed: ${message}`, { cause: error });
}

/** Close codes after which reconnecting cannot help: the server refused the data or the request. */
export function isFatalCloseCode(code: number): boolean {
  return code === 1003 || code === 1008;
}

function bodyText(body: unknown): string {
  if (body && typeof body === 'object') {
    const fields = body as { err_msg?: unknown; message?: unknown; reason?: unknown };
    for (const value of [fields.err_msg, fields.message, fields.reason]) if (typeof value === 'string' && value !== '') return value;
  }
  if (typeof body === 'string' && body !== '') return body.length > 200 ? `${body.slice(0, 200)}…` : body;
  return 'no details';
}
