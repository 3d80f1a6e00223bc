/** registerDeepgram: inference.STT({ model: 'deepgram/<model>' }) resolves to deepgram.STT once a key is configured. */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import * as inference from '../../../src/inference/index.js';
import { STT } from '../../../src/inference/index.js';
import * as deepgram from '../../../src/plugins/deepgram/index.js';
import { registerDeepgram } from '../../../src/plugins/deepgram/index.js';
import { FakeDeepgram } from './fake_deepgram.js';
import { frame } from './helpers.js';

let fake: FakeDeepgram;

beforeAll(async () => {
  fake = await FakeDeepgram.start();
  registerDeepgram({ baseUrl: fake.url, conn: { maxRetry: 0 } });
  registerDeepgram({ baseUrl: 'http://127.0.0.1:1' }); // a second registration changes nothing
});

afterAll(async () => {
  await fake.close();
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('registerDeepgram', () => {
  it('leaves deepgram/* to the offline stand-in while DEEPGRAM_API_KEY is not set', () => {
    vi.stubEnv('DEEPGRAM_API_KEY', '');
    expect(STT({ model: 'deepgram/nova-3' })).toMatchObject({ offline: true });
  });

  it('resolves deepgram/<model> to a deepgram.STT of that model once the key is set, and nothing else', async () => {
    vi.stubEnv('DEEPGRAM_API_KEY', 'test-key');
    const stt = STT({ model: 'deepgram/nova-3-general' });
    expect(stt).toBeInstanceOf(deepgram.STT);
    expect((stt as deepgram.STT).label).toBe('deepgram/nova-3-general');
    expect(STT({ model: 'openai/whisper-1' })).toMatchObject({ offline: true });
    expect(STT({ model: 'deepgram/' })).toMatchObject({ offline: true });
    // It talks to the configured server, with the key from the environment.
    expect((await (stt as deepgram.STT).recognize([frame(100)])).text).toBe('hello from rest');
    expect(fake.requests.at(-1)!.query.get('model')).toBe('nova-3-general');
  });

  it("new inference.STT takes the language (agents-js's form), as an option or after the model name, and Deepgram is asked for it", async () => {
    vi.stubEnv('DEEPGRAM_API_KEY', 'test-key');
    const asked = async (stt: inference.STT) => {
      await (stt as deepgram.STT).recognize([frame(100)]);
      const query = fake.requests.at(-1)!.query;
      return `${query.get('model')} ${query.get('language')}`;
    };
    expect(await asked(new inference.STT({ model: 'deepgram/nova-3', language: 'fr' }))).toBe('nova-3 fr');
    expect(await asked(new inference.STT({ model: 'deepgram/nova-3:de' }))).toBe('nova-3 de');
    // Given both ways, the option wins (as agents-js).
    expect(await asked(inference.STT({ model: 'deepgram/nova-3:de', language: 'es' }))).toBe('nova-3 es');
    expect(await asked(inference.STT({ model: 'deepgram/nova-3' }))).toBe('nova-3 en-US');
  });
});
