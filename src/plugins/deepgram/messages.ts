/**
 * The messages of Deepgram's live endpoint (listen v1), checked: what the SDK hands over is the
 * parsed JSON when a text frame was JSON, the raw string when it was not, a Blob for a binary frame.
 * Anything that is not one of the four message types in the expected shape is a MalformedMessage.
 */
import type { SpeechData } from '../../stt/stt.js';

export type LiveMessage =
  | { type: 'Results'; isFinal: boolean; speechFinal: boolean; alternatives: SpeechData[]; requestId?: string }
  | { type: 'SpeechStarted' }
  | { type: 'UtteranceEnd' }
  | { type: 'Metadata'; durationMs: number; requestId?: string };

export class MalformedMessage extends Error {}

/**
 * @param offsetMs where the connection's audio starts in the stream (Deepgram counts from 0 on
 *   each connection), added to the word times
 */
export function parseLiveMessage(raw: unknown, language: string, offsetMs: number): LiveMessage {
  if (typeof raw === 'string') throw new MalformedMessage(`a text frame that is not JSON (${preview(raw)})`);
  if (typeof Blob !== 'undefined' && raw instanceof Blob) throw new MalformedMessage(`an unexpected binary frame (${raw.size} bytes)`);
  if (!isObject(raw)) throw new MalformedMessage(`a message that is not an object (${preview(raw)})`);
  switch (raw.type) {
    case 'Results':
      return results(raw, language, offsetMs);
    case 'SpeechStarted':
      return { type: 'SpeechStarted' };
    case 'UtteranceEnd':
      return { type: 'UtteranceEnd' };
    case 'Metadata': {
      if (typeof raw.duration !== 'number' || !Number.isFinite(raw.duration)) throw new MalformedMessage('Metadata without a duration');
      return { type: 'Metadata', durationMs: raw.duration * 1000, ...requestId(raw.request_id) };
    }
    default:
      throw new MalformedMessage(raw.type === undefined ? `a message without a type (${preview(raw)})` : `a message of unknown type ${preview(raw.type)}`);
  }
}

function results(raw: Record<string, unknown>, language: string, offsetMs: number): LiveMessage {
  const channel = raw.channel;
  if (!isObject(channel) || !Array.isArray(channel.alternatives)) throw new MalformedMessage('Results without channel.alternatives');
  const segmentStart = typeof raw.start === 'number' ? raw.start : undefined;
  const segmentDuration = typeof raw.duration === 'number' ? raw.duration : undefined;
  const alternatives = channel.alternatives.map((alternative: unknown): SpeechData => {
    if (!isObject(alternative) || typeof alternative.transcript !== 'string') {
      throw new MalformedMessage('Results with an alternative that has no transcript');
    }
    const words = Array.isArray(alternative.words) ? alternative.words.filter(isObject) : [];
    const first = words[0]?.start;
    const last = words[words.length - 1]?.end;
    const start = typeof first === 'number' ? first : segmentStart;
    const end = typeof last === 'number' ? last : segmentStart !== undefined && segmentDuration !== undefined ? segmentStart + segmentDuration : undefined;
    const languages = Array.isArray(alternative.languages) ? alternative.languages : [];
    return {
      text: alternative.transcript,
      language: typeof languages[0] === 'string' ? languages[0] : language,
      ...(typeof alternative.confidence === 'number' ? { confidence: alternative.confidence } : {}),
      ...(start === undefined ? {} : { startTimeMs: offsetMs + start * 1000 }),
      ...(end === undefined ? {} : { endTimeMs: offsetMs + end * 1000 }),
    };
  });
  const metadata = isObject(raw.metadata) ? raw.metadata : {};
  return { type: 'Results', isFinal: raw.is_final === true, speechFinal: raw.speech_final === true, alternatives, ...requestId(metadata.request_id) };
}

function requestId(value: unknown): { requestId?: string } {
  return typeof value === 'string' && value !== '' ? { requestId: value } : {};
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function preview(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}
