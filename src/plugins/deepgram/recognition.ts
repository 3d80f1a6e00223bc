/**
 * The answer of the pre-recorded endpoint as SpeechData: the first alternative of the first
 * channel. An answer without it (a callback acknowledgement, a body of another shape) is a
 * malformed response, worth retrying like a 5xx.
 */
import type { SpeechData } from '../../stt/stt.js';
import { ProviderError } from '../../provider/provider_error.js';
import { PROVIDER } from './options.js';

export function readRecognition(response: unknown, language: string): { data: SpeechData; requestId: string } {
  const notJson = notJsonBody(response);
  if (notJson !== undefined) {
    throw new ProviderError(PROVIDER, true, `malformed response: not JSON (${JSON.stringify(notJson.length > 60 ? `${notJson.slice(0, 60)}…` : notJson)})`);
  }
  const body = isObject(response) ? response : {};
  const metadata = isObject(body.metadata) ? body.metadata : {};
  const results = isObject(body.results) ? body.results : undefined;
  const channel = results && Array.isArray(results.channels) && isObject(results.channels[0]) ? results.channels[0] : undefined;
  const alternative = channel && Array.isArray(channel.alternatives) && isObject(channel.alternatives[0]) ? channel.alternatives[0] : undefined;
  if (!channel || !alternative || typeof alternative.transcript !== 'string') {
    throw new ProviderError(PROVIDER, true, 'malformed response: no results.channels[0].alternatives[0].transcript');
  }
  const words = Array.isArray(alternative.words) ? alternative.words.filter(isObject) : [];
  const start = words[0]?.start;
  const end = words[words.length - 1]?.end;
  const data: SpeechData = {
    text: alternative.transcript,
    language: typeof channel.detected_language === 'string' ? channel.detected_language : language,
    ...(typeof alternative.confidence === 'number' ? { confidence: alternative.confidence } : {}),
    ...(typeof start === 'number' ? { startTimeMs: start * 1000 } : {}),
    ...(typeof end === 'number' ? { endTimeMs: end * 1000 } : {}),
  };
  const requestId = typeof metadata.request_id === 'string' ? metadata.request_id : typeof body.request_id === 'string' ? body.request_id : '';
  return { data, requestId };
}

/**
 * A 2xx body that is not JSON: the SDK (5.13) does not throw, it resolves with its own failure
 * record `{ ok: false, error: { reason: 'non-json', rawBody } }` as if it were the answer.
 */
function notJsonBody(response: unknown): string | undefined {
  if (typeof response === 'string') return response;
  if (!isObject(response) || response.ok !== false || !isObject(response.error) || response.error.reason !== 'non-json') return undefined;
  return typeof response.error.rawBody === 'string' ? response.error.rawBody : '';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
