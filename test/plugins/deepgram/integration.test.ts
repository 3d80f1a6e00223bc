/**
 * Against the real Deepgram, only when DEEPGRAM_API_KEY is set (never otherwise): the fixture's two
 * sentences, live and pre-recorded.
 */
import { describe, expect, it } from 'vitest';
import { audioFrame } from '../../../src/audio/audio_frame.js';
import { readWavFile } from '../../../src/audio/wav.js';
import { DeepgramSTT } from '../../../src/plugins/deepgram/stt.js';
import type { SpeechEvent } from '../../../src/stt/stt.js';

const FIXTURE = new URL('../../fixtures/speech_16k.wav', import.meta.url).pathname;

describe.skipIf(!process.env.DEEPGRAM_API_KEY)('Deepgram, for real', () => {
  it('transcribes the fixture live: speech edges and final transcripts of both sentences', { timeout: 30_000 }, async () => {
    const wav = await readWavFile(FIXTURE);
    const stream = new DeepgramSTT().stream();
    for (let at = 0; at < wav.data.length; at += 320) stream.pushFrame(audioFrame(wav.data.slice(at, at + 320), wav.sampleRate, 1));
    stream.endInput();
    const events: SpeechEvent[] = [];
    for await (const event of stream) events.push(event);
    const finals = events.flatMap((e) => (e.type === 'final_transcript' ? [e.alternatives[0]!.text] : [])).join(' ').toLowerCase();
    expect(finals).toContain('how are you today');
    expect(finals).toContain('lazy dog');
    expect(events.some((e) => e.type === 'start_of_speech')).toBe(true);
    expect(events.find((e) => e.type === 'usage')).toMatchObject({ audioDurationMs: expect.any(Number) });
  });

  it('transcribes the first sentence pre-recorded', { timeout: 30_000 }, async () => {
    const wav = await readWavFile(FIXTURE);
    const data = await new DeepgramSTT().recognize([audioFrame(wav.data.slice(0, 3.2 * wav.sampleRate), wav.sampleRate, 1)]);
    expect(data.text.toLowerCase()).toContain('how are you today');
  });
});
