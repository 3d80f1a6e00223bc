/**
 * Cartesia text-to-speech over its WebSocket API (@cartesia/cartesia-js): raw pcm_s16le, mono, at
 * `sampleRate` (24 kHz by default), streamed sentence by sentence.
 *
 *   const tts = new CartesiaTTS({ voice: '…' });            // key from CARTESIA_API_KEY
 *   const stream = tts.stream();
 *   stream.pushText('Hello there. How are you?'); stream.endInput();
 *   for await (const { frame, final } of stream) play(frame);
 */
import type { SynthesizedAudio, SynthesizeOptions, SynthesizeStream, TTS } from '../../tts/tts.js';
import { Model } from '../../provider/model.js';
import { type CartesiaTTSOptions, type ResolvedCartesiaOptions, resolveOptions } from './options.js';
import { Cartesia } from './sdk.js';
import type { ContextOptions } from './session.js';
import { CartesiaSynthesizeStream } from './stream.js';

export class CartesiaTTS extends Model implements TTS {
  readonly label: string;
  readonly sampleRate: number;
  readonly numChannels = 1;
  readonly capabilities = { streaming: true };
  /** @internal */
  readonly options: ResolvedCartesiaOptions;
  /** @internal */
  readonly client: Cartesia;
  /** @internal What every Cartesia context is created with. */
  readonly contextOptions: ContextOptions;

  constructor(options: CartesiaTTSOptions = {}) {
    super();
    this.options = resolveOptions(options);
    this.label = `cartesia/${this.options.model}`;
    this.sampleRate = this.options.sampleRate;
    this.client = new Cartesia({ apiKey: this.options.apiKey, ...(this.options.baseURL ? { baseURL: this.options.baseURL } : {}) });
    this.contextOptions = {
      model_id: this.options.model,
      voice: { mode: 'id', id: this.options.voice },
      output_format: { container: 'raw', encoding: 'pcm_s16le', sample_rate: this.options.sampleRate },
      ...(this.options.language ? { language: this.options.language } : {}),
    };
  }

  get model(): string {
    return this.options.model;
  }

  get voice(): string {
    return this.options.voice;
  }

  stream(options?: SynthesizeOptions): SynthesizeStream {
    return new CartesiaSynthesizeStream(this, options);
  }

  /** One text at once: a stream that is given the whole text and ended. */
  synthesize(text: string, options?: SynthesizeOptions): AsyncIterable<SynthesizedAudio> {
    const stream = new CartesiaSynthesizeStream(this, options);
    stream.pushText(text);
    stream.endInput();
    return stream;
  }
}
