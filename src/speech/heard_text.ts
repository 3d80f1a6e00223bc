/**
 * How much of a speech's text the user heard: the text goes with the audio that says it, and an
 * interrupted speech counts whole pieces, then words in proportion to the audio played of the
 * piece it broke off in. Shared by the outputs that speak (a TTS's audio, a realtime model's).
 */
import type { TranscriptSegment } from './speech_output.js';

/** A piece of text and the audio that says it. */
export interface Segment {
  text: string;
  audioMs: number;
  complete: boolean;
}

/** How often the transcript catches up with the audio played, in ms. */
const TRANSCRIPT_TICK_MS = 50;

/**
 * Writes to `transcript` what `heard()` adds, every TRANSCRIPT_TICK_MS, until the returned stop is
 * called. `heard()` only grows (more audio played, more sentences complete).
 */
export function follow(transcript: TranscriptSegment, heard: () => string): () => void {
  let shown = '';
  const timer = setInterval(() => {
    const now = heard();
    if (now.length <= shown.length || !now.startsWith(shown)) return;
    transcript.write(now.slice(shown.length));
    shown = now;
  }, TRANSCRIPT_TICK_MS);
  return () => clearInterval(timer);
}

/** The text heard after `heardMs` of audio: whole sentences, then words in proportion. */
export function heardText(segments: Segment[], heardMs: number): string {
  let left = heardMs;
  let heard = '';
  for (const segment of segments) {
    if (segment.complete && segment.audioMs <= left) {
      heard += segment.text;
      left -= segment.audioMs;
      continue;
    }
    if (segment.audioMs === 0) break;
    // A word with the space before it: a sentence's leading space is not a word of its own.
    const words = segment.text.split(/(?<=\S)(?=\s)/);
    heard += words.slice(0, Math.floor((Math.min(left, segment.audioMs) / segment.audioMs) * words.length)).join('');
    break;
  }
  return heard;
}
