/**
 * What the openai SDK throws, as ProviderErrors. Worth retrying: HTTP 408, 409, 429 and 5xx, an
 * error the server sent inside the stream, a connection that failed or dropped, a timeout, a
 * malformed stream. Not: bad credentials and bad requests (other 4xx), anything else.
 * Messages never carry the API key: OpenAI's own messages quote a wrong key, and every typed
 * error masks credentials (the key is known, see OpenAILLM; anything shaped like a key too).
 */
import type { APIError } from 'openai';
import { describe } from '../../errors.js';
import { onDemand } from '../on_demand.js';
import { ProviderError, isRetryableStatus } from '../../provider/provider_error.js';

export const PROVIDER = 'openai';

/** The SDK, loaded with the first request (see on_demand.ts). */
export const openaiSdk = onDemand(async () => (await import('openai')).default);

export function classifyOpenAIError(error: unknown): ProviderError {
  if (error instanceof ProviderError) return error;
  // An SDK error comes from a request, so the SDK is loaded by then.
  const sdk = openaiSdk.loaded();
  if (sdk && error instanceof sdk.APIConnectionError) {
    return new ProviderError(PROVIDER, true, `connection failed: ${describeCause(error)}`, { cause: error });
  }
  if (sdk && error instanceof sdk.APIError) {
    const status = typeof error.status === 'number' ? error.status : undefined;
    // 409 too: OpenAI answers it to a request that collided with another (a lock), worth retrying.
    const recoverable = status === undefined || status === 409 || isRetryableStatus(status);
    const what = status === undefined ? 'the server reported an error in the stream' : `HTTP ${status}`;
    return new ProviderError(PROVIDER, recoverable, `${what}: ${serverMessage(error)}`, { cause: error, status });
  }
  if (error instanceof SyntaxError) {
    return new ProviderError(PROVIDER, true, `malformed stream data: ${error.message}`, { cause: error });
  }
  if (isDroppedConnection(error)) {
    return new ProviderError(PROVIDER, true, `connection dropped: ${describeCause(error)}`, { cause: error });
  }
  return new ProviderError(PROVIDER, false, describe(error), { cause: error });
}

/** The server's own words, without the status the SDK puts in front. */
function serverMessage(error: APIError): string {
  const body = error.error as { message?: unknown } | undefined;
  if (body && typeof body.message === 'string' && body.message !== '') return body.message;
  return error.message.replace(/^\d{3}\s+/, '') || 'no details';
}

/** undici's "terminated" (the body stopped) and socket errors. */
function isDroppedConnection(error: unknown): error is Error {
  if (!(error instanceof Error)) return false;
  const code = (error.cause as { code?: unknown } | undefined)?.code ?? (error as { code?: unknown }).code;
  return error.message === 'terminated' || (typeof code === 'string' && /^(UND_ERR_|ECONN|EPIPE|ETIMEDOUT)/.test(code));
}

function describeCause(error: Error): string {
  const cause = error.cause instanceof Error ? error.cause : undefined;
  const inner = cause?.cause instanceof Error ? cause.cause : undefined;
  return [error.message, cause?.message, inner?.message].filter(Boolean).join(': ');
}
