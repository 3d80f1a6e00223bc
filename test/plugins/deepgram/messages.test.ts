/** parseLiveMessage: the four listen v1 messages, checked; everything else is a MalformedMessage. */
import { describe, expect, it } from 'vitest';
import { MalformedMessage, parseLiveMessage } from '../../../src/plugins/deepgram/messages.js';

describe('parseLiveMessage', () => {
  it('reads Results: every alternative, word times shifted by the connection offset, the request id', () => {
    const message = parseLiveMessage(
      {
        type: 'Results',
        start: 1,
        duration: 1,
        is_final: true,
        speech_final: false,
        channel: {
          alternatives: [
            { transcript: 'bonjour', confidence: 0.8, languages: ['fr'], words: [{ word: 'bonjour', start: 1.25, end: 1.75 }] },
            { transcript: 'bon jour', confidence: 0.1, words: [] },
          ],
        },
        metadata: { request_id: 'r1' },
      },
      'multi',
      2000,
    );
    expect(message).toEqual({
      type: 'Results',
      isFinal: true,
      speechFinal: false,
      requestId: 'r1',
      alternatives: [
        { text: 'bonjour', language: 'fr', confidence: 0.8, startTimeMs: 3250, endTimeMs: 3750 },
        // No words: the segment's times.
        { text: 'bon jour', language: 'multi', confidence: 0.1, startTimeMs: 3000, endTimeMs: 4000 },
      ],
    });
  });

  it('reads SpeechStarted, UtteranceEnd and Metadata', () => {
    expect(parseLiveMessage({ type: 'SpeechStarted', channel: [0], timestamp: 1 }, 'en', 0)).toEqual({ type: 'SpeechStarted' });
    expect(parseLiveMessage({ type: 'UtteranceEnd', channel: [0], last_word_end: 1 }, 'en', 0)).toEqual({ type: 'UtteranceEnd' });
    expect(parseLiveMessage({ type: 'Metadata', duration: 1.5, request_id: 'r2' }, 'en', 0)).toEqual({ type: 'Metadata', durationMs: 1500, requestId: 'r2' });
  });

  it.each([
    ['not JSON', 'oops', /not JSON/],
    ['binary', new Blob([new Uint8Array(2)]), /binary frame \(2 bytes\)/],
    ['not an object', [1, 2], /not an object/],
    ['no type', { hello: 1 }, /a message without a type \("\{\\"hello\\":1\}"\)/],
    ['Results without a channel', { type: 'Results' }, /without channel.alternatives/],
    ['Results with a bad alternative', { type: 'Results', channel: { alternatives: [null] } }, /no transcript/],
    ['Metadata without a duration', { type: 'Metadata' }, /without a duration/],
  ])('%s is malformed', (_name, raw, message) => {
    expect(() => parseLiveMessage(raw, 'en', 0)).toThrow(MalformedMessage);
    expect(() => parseLiveMessage(raw, 'en', 0)).toThrow(message);
  });
});
