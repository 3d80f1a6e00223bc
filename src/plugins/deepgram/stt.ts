/**
 * Deepgram speech-to-text through @deepgram/sdk v5: live recognition on the listen v1 WebSocket
 * (stream(), see live_stream.ts) and the recognition of a finished utterance on the pre-recorded
 * REST endpoint (recognize(): the audio goes as a 16 kHz mono WAV file).
 */
import type { DeepgramClient } from '@deepgram/sdk';
import { audioFrame, frameDurationMs, type AudioFrame } from '../../audio/audio_frame.js';
import { encodeWav } from '../../audio/wav.js';
import type { RecognizeOptions, SpeechData, SpeechStream, STT, STTCapabilities } from '../../stt/stt.js';
import { DEFAULT_CONN_OPTIONS, withRetries } from '../../provider/conn_options.js';
import { Model } from '../../provider/model.js';
import { ProviderError } from '../../provider/provider_error.js';
import { Linear16Encoder } from './audio_input.js';
import { createClient } from './client.js';
import { classifyDeepgramError } from './errors.js';
import { DeepgramSpeechStream } from './live_stream.js';
import { PROVIDER, recordedQuery, resolveOptions, type DeepgramSTTOptions, type ResolvedOptions } from './options.js';
import { readRecognition } from './recognition.js';

export class DeepgramSTT extends Model implements STT {
  readonly label: string;
  readonly capabilities: STTCapabilities;
  readonly #options: ResolvedOptions;
  #client: Promise<DeepgramClient> | undefined;

  /** Throws an unrecoverable ProviderError without an API key (option or DEEPGRAM_API_KEY) or with bad options. */
  constructor(options: Partial<DeepgramSTTOptions> = {}) {
    super();
    this.#options = resolveOptions(options);
    this.label = `${PROVIDER}/${this.#options.model}`;
    this.capabilities = { streaming: true, interimResults: this.#options.interimResults };
  }

  /** The options in use, without the API key. */
  get options(): Readonly<Omit<DeepgramSTTOptions, 'apiKey'>> {
    const { apiKey: _key, ...rest } = this.#options;
    return rest;
  }

  /** The SDK client, made (and the SDK loaded) on first use. */
  #sdkClient(): Promise<DeepgramClient> {
    this.#client ??= createClient(this.#options);
    return this.#client;
  }

  stream(options: RecognizeOptions = {}): SpeechStream {
    return new DeepgramSpeechStream({
      client: () => this.#sdkClient(),
      options: this.#options,
      language: options.language ?? this.#options.language,
      conn: options.conn,
      signal: options.signal,
      label: this.label,
      onError: (error) => this.emit('error', error),
      onMetrics: (metrics) => this.emit('metrics_collected', metrics),
    });
  }

  async recognize(frames: AudioFrame[], options: RecognizeOptions = {}): Promise<SpeechData> {
    const language = options.language ?? this.#options.language;
    options.signal?.throwIfAborted();
    if (frames.every((frame) => frame.samplesPerChannel === 0)) return { text: '', language };
    const wav = encodeWav(this.#toSampleRate(frames));
    const audioDurationMs = frames.reduce((sum, frame) => sum + frameDurationMs(frame), 0);
    const started = performance.now();
    const conn = { ...DEFAULT_CONN_OPTIONS, ...this.#options.conn, ...options.conn };
    try {
      const { data, requestId } = await withRetries(
        {
          provider: PROVIDER,
          conn,
          signal: options.signal,
          classify: classifyDeepgramError,
          onRetry: (error) => this.emit('error', error),
        },
        async (signal) => {
          const client = await this.#sdkClient();
          const response = await client.listen.v1.media.transcribeFile({ data: wav, contentType: 'audio/wav' }, recordedQuery(this.#options, language), {
            abortSignal: signal,
            maxRetries: 0,
            // Ours (the attempt's signal) decides; the SDK's own timeout is only a backstop, just
            // past ours. Not longer: when a request fails, the SDK leaves its timer running
            // (makeRequest clears it only after a response), which holds the process open.
            timeoutInSeconds: (conn.timeoutMs + 1_000) / 1_000,
          });
          return readRecognition(response, language);
        },
      );
      this.emit('metrics_collected', {
        type: 'stt_metrics',
        label: this.label,
        requestId,
        audioDurationMs,
        durationMs: performance.now() - started,
        streamed: false,
        timestamp: Date.now(),
      });
      return data;
    } catch (error) {
      if (error instanceof ProviderError && !options.signal?.aborted) this.emit('error', error);
      throw error;
    }
  }

  /** The frames as one mono frame at the plugin's sample rate. */
  #toSampleRate(frames: AudioFrame[]): AudioFrame {
    const encoder = new Linear16Encoder(this.#options.sampleRate);
    const parts = frames.map((frame) => encoder.encode(frame));
    parts.push(encoder.flush());
    const data = new Int16Array(parts.reduce((sum, part) => sum + part.length, 0));
    let at = 0;
    for (const part of parts) {
      data.set(part, at);
      at += part.length;
    }
    return audioFrame(data, this.#options.sampleRate, 1);
  }
}
