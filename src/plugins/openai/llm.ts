/**
 * OpenAI chat completions, streamed, through the openai SDK; any OpenAI-compatible server works
 * through `baseURL` (or OPENAI_BASE_URL).
 *
 * One chat() is one request. Until its first output (text, a whole tool call, or usage) the request
 * is retried under `connOptions` (each try bounded by `timeoutMs`, each retry reported as a
 * recoverable `error` event); once output has been yielded a failure ends the stream with an
 * unrecoverable ProviderError and is never retried, so nothing is said twice. After the first
 * output, each wait for more data is bounded by `timeoutMs` as well (a stalled stream fails).
 * Aborting `request.signal` ends the stream at once, quietly, and the metrics say `cancelled`.
 * Every chat() reports one `llm_metrics`, whatever its outcome.
 */
import type OpenAI from 'openai';
import type { ChatCompletionChunk, ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import { newId } from '../../ids.js';
import type { ChatChunk, ChatRequest, LLM } from '../../llm/llm.js';
import { log } from '../../log/logger.js';
import { addSecretValue } from '../../log/redact.js';
import { withRetries, type ConnOptions, DEFAULT_CONN_OPTIONS } from '../../provider/conn_options.js';
import { Model } from '../../provider/model.js';
import { ProviderError } from '../../provider/provider_error.js';
import { ChunkReader } from './chunks.js';
import { classifyOpenAIError, openaiSdk, PROVIDER } from './errors.js';
import { toOpenAIMessages } from './messages.js';
import { toOpenAITools } from './tools.js';

export const DEFAULT_OPENAI_MODEL = 'gpt-4.1-mini';

export interface OpenAILLMOptions {
  /** The model id at the provider (default "gpt-4.1-mini"). */
  model?: string;
  /** Defaults to OPENAI_API_KEY. */
  apiKey?: string;
  /** e.g. "http://127.0.0.1:8000/v1" for a compatible server; defaults to OPENAI_BASE_URL, else OpenAI. */
  baseURL?: string;
  connOptions?: Partial<ConnOptions>;
  temperature?: number;
  /** Sent as `parallel_tool_calls` when set (the API's default is to allow them). */
  parallelToolCalls?: boolean;
}

interface Opened {
  iterator: AsyncIterator<ChatCompletionChunk>;
  reader: ChunkReader;
  /** The first output, ready to yield. */
  first: ChatChunk[];
  done: boolean;
}

export class OpenAILLM extends Model implements LLM {
  readonly label: string;
  readonly model: string;
  readonly #clientOptions: ConstructorParameters<typeof OpenAI>[0];
  #client: Promise<OpenAI> | undefined;
  readonly #conn: ConnOptions;
  readonly #temperature: number | undefined;
  readonly #parallelToolCalls: boolean | undefined;

  constructor(options: OpenAILLMOptions = {}) {
    super();
    const apiKey = options.apiKey || process.env.OPENAI_API_KEY;
    if (!apiKey) throw new ProviderError(PROVIDER, false, 'no API key: pass { apiKey } or set OPENAI_API_KEY');
    // Masked from now on wherever it would appear: a log line, an error, an inspector.
    addSecretValue(apiKey);
    this.model = options.model ?? DEFAULT_OPENAI_MODEL;
    this.label = `${PROVIDER}/${this.model}`;
    this.#conn = { ...DEFAULT_CONN_OPTIONS, ...options.connOptions };
    this.#temperature = options.temperature;
    this.#parallelToolCalls = options.parallelToolCalls;
    this.#clientOptions = {
      apiKey,
      baseURL: options.baseURL || process.env.OPENAI_BASE_URL || undefined,
      // Retries and time bounds are connOptions', applied around the whole stream's start.
      maxRetries: 0,
      logger: sdkLogger,
      logLevel: 'warn',
    };
  }

  /** The SDK client, made (and the SDK loaded) with the first request. */
  #sdkClient(): Promise<OpenAI> {
    this.#client ??= openaiSdk.load().then((sdk) => new sdk(this.#clientOptions));
    return this.#client;
  }

  chat(request: ChatRequest): AsyncIterable<ChatChunk> {
    return this.#chat(request);
  }

  async *#chat(request: ChatRequest): AsyncGenerator<ChatChunk> {
    const started = performance.now();
    const requestId = newId('llm_request');
    // Aborts the stream when it stalls after its first output.
    const stall = new AbortController();
    const body = this.#body(request);
    let opened: Opened | undefined;
    let firstTokenAt: number | undefined;
    let completed = false;
    let failed = false;
    const fail = (error: ProviderError) => {
      failed = true;
      return error;
    };
    try {
      try {
        opened = await withRetries(
          {
            provider: PROVIDER,
            conn: this.#conn,
            signal: request.signal,
            classify: (error) => classifyOpenAIError(error),
            onRetry: (error) => this.emit('error', error),
          },
          (signal) => this.#open(body, AbortSignal.any([signal, stall.signal])),
        );
      } catch (error) {
        if (request.signal.aborted) return;
        throw fail(this.#failed(error instanceof ProviderError ? error : classifyOpenAIError(error)));
      }
      const { iterator, reader } = opened;
      let pending = opened.first;
      let done = opened.done;
      for (;;) {
        for (const chunk of pending) {
          if (request.signal.aborted) return;
          if (firstTokenAt === undefined && chunk.type !== 'usage') firstTokenAt = performance.now();
          yield chunk;
        }
        if (done || request.signal.aborted) break;
        try {
          ({ chunks: pending, done } = await this.#read(iterator, reader, stall, request.signal));
        } catch (error) {
          if (request.signal.aborted) return;
          throw fail(this.#failedMidStream(stall.signal.aborted ? stall.signal.reason : error));
        }
      }
      completed = !request.signal.aborted;
    } finally {
      if (!completed) await opened?.iterator.return?.().catch(() => undefined);
      // Cancelled: aborted, or the consumer stopped reading before the end.
      this.#report(requestId, opened?.reader, started, firstTokenAt, !completed && !failed);
    }
  }

  /** Sends the request and reads up to its first output: one attempt under the retry policy. */
  async #open(body: ChatCompletionCreateParamsStreaming, signal: AbortSignal): Promise<Opened> {
    const reader = new ChunkReader();
    const client = await this.#sdkClient();
    const stream = await client.chat.completions.create(body, { signal });
    const iterator = stream[Symbol.asyncIterator]();
    try {
      for (;;) {
        const next = await iterator.next();
        if (next.done) {
          // A plain abort() (an AbortError reason) ends the SDK's stream quietly: say it was aborted.
          signal.throwIfAborted();
          return { iterator, reader, first: reader.end(), done: true };
        }
        const first = reader.read(next.value);
        if (first.length > 0) return { iterator, reader, first, done: false };
      }
    } catch (error) {
      await iterator.return?.().catch(() => undefined);
      throw error;
    }
  }

  /**
   * The output of the next SDK chunk, or at the end of the stream what the reader says of its end
   * (nothing, or a response cut off in a tool call: thrown). Throws what the stream threw, or the stall.
   */
  async #read(
    iterator: AsyncIterator<ChatCompletionChunk>,
    reader: ChunkReader,
    stall: AbortController,
    signal: AbortSignal,
  ): Promise<{ chunks: ChatChunk[]; done: boolean }> {
    const next = await this.#nextWithin(iterator, stall);
    if (!next.done) return { chunks: reader.read(next.value), done: false };
    // The SDK ends the stream quietly when aborted with an AbortError (a plain abort()).
    if (signal.aborted) return { chunks: [], done: true };
    if (stall.signal.aborted) throw stall.signal.reason;
    return { chunks: reader.end(), done: true };
  }

  /** The next SDK chunk, or a stall (`stall` aborted) after timeoutMs without one. */
  async #nextWithin(iterator: AsyncIterator<ChatCompletionChunk>, stall: AbortController): Promise<IteratorResult<ChatCompletionChunk>> {
    const timeoutMs = this.#conn.timeoutMs;
    const timer = setTimeout(
      () => stall.abort(new ProviderError(PROVIDER, true, `the stream stalled: no data within ${timeoutMs} ms`)),
      timeoutMs,
    );
    try {
      return await iterator.next();
    } finally {
      clearTimeout(timer);
    }
  }

  #body(request: ChatRequest): ChatCompletionCreateParamsStreaming {
    const tools = toOpenAITools(request.tools);
    return {
      model: this.model,
      messages: toOpenAIMessages(request.instructions, request.chatCtx),
      stream: true,
      stream_options: { include_usage: true },
      ...(tools.length > 0
        ? {
            tools,
            tool_choice: request.toolChoice,
            ...(this.#parallelToolCalls === undefined ? {} : { parallel_tool_calls: this.#parallelToolCalls }),
          }
        : {}),
      ...(this.#temperature === undefined ? {} : { temperature: this.#temperature }),
    };
  }

  /** The final failure of a chat(): reported, then thrown. */
  #failed(error: ProviderError): ProviderError {
    this.emit('error', error);
    return error;
  }

  /** A failure after output was yielded: never retried, so never recoverable. */
  #failedMidStream(thrown: unknown): ProviderError {
    const error = classifyOpenAIError(thrown);
    if (!error.recoverable) return this.#failed(error);
    const message = `${error.message.replace(`${PROVIDER}: `, '')} (after the reply had begun: not retried)`;
    return this.#failed(new ProviderError(PROVIDER, false, message, { cause: error, status: error.status }));
  }

  #report(
    requestId: string,
    reader: ChunkReader | undefined,
    started: number,
    firstTokenAt: number | undefined,
    cancelled: boolean,
  ): void {
    const durationMs = performance.now() - started;
    const usage = reader?.usage ?? { promptTokens: 0, promptCachedTokens: 0, completionTokens: 0, totalTokens: 0 };
    this.emit('metrics_collected', {
      type: 'llm_metrics',
      label: this.label,
      requestId: reader?.responseId ?? requestId,
      ttftMs: firstTokenAt === undefined ? -1 : firstTokenAt - started,
      durationMs,
      cancelled,
      promptTokens: usage.promptTokens,
      promptCachedTokens: usage.promptCachedTokens,
      completionTokens: usage.completionTokens,
      totalTokens: usage.totalTokens,
      tokensPerSecond: durationMs > 0 ? usage.completionTokens / (durationMs / 1000) : 0,
      timestamp: Date.now(),
    });
  }
}

/** The SDK's own log lines (e.g. the raw text of a malformed chunk) go to voxstate's log, at debug. */
const sdkLogger = {
  error: (message: string, ...details: unknown[]) => log().debug({ provider: PROVIDER, details }, message),
  warn: (message: string, ...details: unknown[]) => log().debug({ provider: PROVIDER, details }, message),
  info: (message: string, ...details: unknown[]) => log().debug({ provider: PROVIDER, details }, message),
  debug: (message: string, ...details: unknown[]) => log().debug({ provider: PROVIDER, details }, message),
};
