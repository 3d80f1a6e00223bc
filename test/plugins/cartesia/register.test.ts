import { afterEach, describe, expect, it, vi } from 'vitest';
import { TTS } from '../../../src/inference/index.js';
import { CartesiaTTS, registerCartesia } from '../../../src/plugins/cartesia/index.js';

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
    expect(tts).toBeInstanceOf(CartesiaTTS);
    const cartesia = tts as CartesiaTTS;
    expect([cartesia.label, cartesia.model, cartesia.voice, cartesia.sampleRate]).toEqual(['cartesia/sonic-3', 'sonic-3', 'voice-9', 24000]);
    expect(cartesia.options.baseURL).toBe('https://cartesia.example');
    expect((TTS({ model: 'cartesia/sonic-2' }) as CartesiaTTS).model).toBe('sonic-2');
    expect(TTS({ model: 'elevenlabs/eleven_turbo' })).toMatchObject({ offline: true });
  });

  it('leaves the name to the offline stand-in without a key', () => {
    registerCartesia();
    vi.stubEnv('CARTESIA_API_KEY', '');
    expect(TTS({ model: 'cartesia/sonic-3' })).toMatchObject({ offline: true, label: 'offline (cartesia/sonic-3)' });
  });
});
