/** Failures of model providers (OpenAI, Deepgram, Cartesia, the VAD model). */
import { VoxstateError } from '../errors.js';

export class ProviderError extends VoxstateError {
  /**
   * @param provider e.g. "openai", "deepgram", "cartesia", "silero"
   * @param recoverable whether trying again may succeed (a dropped connection, HTTP 429 or 5xx);
   *   false for bad credentials, bad requests, or when the retries are used up
   */
  constructor(
    readonly provider: string,
    readonly recoverable: boolean,
    message: string,
    options: { cause?: unknown; status?: number } = {},
  ) {
    super(recoverable ? 'provider_recoverable' : 'provider_failed', `${provider}: ${message}`, { cause: options.cause });
    this.status = options.status;
  }

  /** The HTTP status, when the provider answered with one. */
  readonly status: number | undefined;
}

/** HTTP statuses worth another attempt: a timeout, too many requests, a server error. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** The status of a refused WebSocket upgrade, from `ws`'s "Unexpected server response: N" (its only trace). */
export function refusedUpgradeStatus(message: string): number | undefined {
  const match = /Unexpected server response: (\d{3})/.exec(message);
  return match ? Number(match[1]) : undefined;
}
