import { afterEach, describe, expect, it, vi } from 'vitest';
import * as inference from '../../../src/inference/index.js';
import { TTS } from '../../../src/inference/index.js';
import * as cartesia from '../../../src/plugins/cartesia/index.js';
import { registerCartesia } from '../../../src/plugins/cartesia/index.js';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('registerCartesia', () => {
  it('resolves cartesia/<model> names with a voice to the Cartesia TTS when CARTESIA_API_KEY is set', () => {
    registerCartesia();
    registerCartesia();
    vi.stubEnv('CARTESIA_API_KEY', 'sk-test');
    vi.stubEnv('CARTESIA_BASE_URL', 'https://cartesia.example');
    const tts = TTS({ model: 'cartesia/sonic-3', voice: 'voice-9' });
    expect(tts).toBeInstanceOf(cartesia.TTS);
    const resolved = tts as cartesia.TTS;
    expect([resolved.label, resolved.model, resolved.voice, resolved.sampleRate]).toEqual(['cartesia/sonic-3', 'sonic-3', 'voice-9', 24000]);
    expect(resolved.options.baseURL).toBe('https://cartesia.example');
    expect((TTS({ model: 'cartesia/sonic-2' }) as cartesia.TTS).model).toBe('sonic-2');
    expect(TTS({ model: 'elevenlabs/eleven_turbo' })).toMatchObject({ offline: true });
  });

  it("new inference.TTS takes the voice and the language (agents-js's form); a voice after the model name works too", () => {
    registerCartesia();
    vi.stubEnv('CARTESIA_API_KEY', 'sk-test');
    const tts = new inference.TTS({ model: 'cartesia/sonic-3', voice: 'voice-9', language: 'fr' }) as cartesia.TTS;
    expect([tts.model, tts.voice, tts.options.language]).toEqual(['sonic-3', 'voice-9', 'fr']);
    const suffixed = new inference.TTS({ model: 'cartesia/sonic-3:voice-7' }) as cartesia.TTS;
    expect([suffixed.model, suffixed.voice, suffixed.options.language]).toEqual(['sonic-3', 'voice-7', undefined]);
    expect((inference.TTS({ model: 'cartesia/sonic-3:voice-7', voice: 'voice-9' }) as cartesia.TTS).voice).toBe('voice-9');
  });

  it('leaves the name to the offline stand-in without a key', () => {
    registerCartesia();
    vi.stubEnv('CARTESIA_API_KEY', '');
    expect(TTS({ model: 'cartesia/sonic-3' })).toMatchObject({ offline: true, label: 'offline (cartesia/sonic-3)' });
  });
});
