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
