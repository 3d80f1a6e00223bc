/** openai.realtime against the real Realtime API: runs only when OPENAI_API_KEY is set. */
import { describe, expect, it } from 'vitest';
import type { AudioFrame } from '../../../src/audio/audio_frame.js';
import * as openai from '../../../src/plugins/openai/index.js';

describe.skipIf(!process.env.OPENAI_API_KEY)('openai.realtime against the real service', () => {
  it('answers a typed request with audio and its transcript, and reports audio tokens', { timeout: 60_000 }, async () => {
    const model = new openai.realtime.RealtimeModel({ model: process.env.OPENAI_REALTIME_TEST_MODEL ?? 'gpt-realtime', turnDetection: null });
    const session = model.session({ instructions: 'You follow instructions exactly and answer in one short sentence.' });
    try {
      await session.ready;
      const metrics = new Promise<{ outputTokenDetails: { audioTokens: number } }>((resolve) => session.once('metrics_collected', resolve));
      session.sendUserMessage('Say exactly: hello there');
      const generation = await session.generateReply();
      let text = '';
      const audio: AudioFrame[] = [];
      for await (const message of generation.messageStream) {
        await Promise.all([
          (async () => {
            for await (const delta of message.textStream) text += delta;
          })(),
          (async () => {
            for await (const frame of message.audioStream) audio.push(frame);
          })(),
        ]);
      }
      expect(text.toLowerCase()).toContain('hello');
      expect(audio.length).toBeGreaterThan(0);
      expect(audio.every((frame) => frame.sampleRate === 24_000)).toBe(true);
      expect((await metrics).outputTokenDetails.audioTokens).toBeGreaterThan(0);
    } finally {
      await session.close();
    }
  });
});
