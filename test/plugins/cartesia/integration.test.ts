/** Against the real Cartesia service: runs only when CARTESIA_API_KEY is set. */
import { describe, expect, it } from 'vitest';
import * as cartesia from '../../../src/plugins/cartesia/index.js';
import { collect } from './setup.js';

describe.skipIf(!process.env.CARTESIA_API_KEY)('cartesia.TTS against the real service', () => {
  it('speaks two sentences as 24 kHz frames with a final one', async () => {
    const tts = new cartesia.TTS();
    const { items, error } = await collect(tts.synthesize('Hello there. This is a test.'));
    expect(error).toBeUndefined();
    expect(items.length).toBeGreaterThan(10);
    expect(items.every((item) => item.frame.sampleRate === 24000)).toBe(true);
    expect(items.at(-1)!.final).toBe(true);
  }, 20_000);
});
