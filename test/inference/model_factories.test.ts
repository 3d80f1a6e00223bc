/**
 * inference.LLM / STT / TTS as agents-js writes them (`new`, `language`) and as the seeds do (a
 * call): the same model either way; options it cannot honour are one clear typed error.
 */
import { describe, expect, it } from 'vitest';
import { InvalidOptionsError, OfflineLLM, inference } from '../../src/index.js';
import { withoutProviderKeys } from '../support/offline.js';

withoutProviderKeys();

describe('inference models, with and without new', () => {
  it('give the same offline stand-ins without credentials, named by the model without its suffix', () => {
    const made = new inference.LLM({ model: 'openai/gpt-4.1-mini' });
    expect(made).toBeInstanceOf(OfflineLLM);
    expect(made.label).toBe(inference.LLM({ model: 'openai/gpt-4.1-mini' }).label);
    expect(new inference.STT({ model: 'deepgram/nova-3:en', language: 'fr' })).toMatchObject({ offline: true, label: 'offline (deepgram/nova-3)' });
    expect(new inference.TTS({ model: 'cartesia/sonic-3:voice-1', language: 'fr' })).toMatchObject({ offline: true, label: 'offline (cartesia/sonic-3)' });
  });

  it('refuse an option they do not have, naming it and what they accept', () => {
    const call = () => new inference.LLM({ model: 'openai/gpt-4.1-mini', temperature: 0.2 } as never);
    expect(call).toThrow(InvalidOptionsError);
    expect(call).toThrow('inference.LLM options: temperature: not an option voxstate has; accepted: model');
    expect(() => inference.STT({ model: 'deepgram/nova-3', fallback: ['assemblyai/universal-streaming'] } as never)).toThrow(
      'inference.STT options: fallback: not an option voxstate has; accepted: model, language',
    );
  });

  it('refuse a missing model and a language or voice that is not a string', () => {
    expect(() => new inference.TTS({ voice: 'v' } as never)).toThrow(
      'inference.TTS options: model: must be a non-empty string such as "openai/gpt-4.1-mini" (got undefined)',
    );
    expect(() => inference.STT({ model: 'deepgram/nova-3', language: 7 } as never)).toThrow('language: must be a non-empty string (got 7)');
    expect(() => inference.LLM(undefined as never)).toThrow(InvalidOptionsError);
    expect(() => inference.TTS({ model: '', voice: '' })).toThrow(
      expect.objectContaining({ code: 'invalid_options', owner: 'inference.TTS', problems: [expect.stringMatching(/^model: /), expect.stringMatching(/^voice: /)] }),
    );
  });
});
