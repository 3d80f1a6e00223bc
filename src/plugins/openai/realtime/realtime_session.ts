/**
 * One conversation with OpenAI's Realtime API over the openai SDK's WebSocket client. Its
 * connection is a statechart (machines/realtime_connection.ts): connecting, ready, reconnecting
 * after a drop (the session's configuration is sent again on every connection), closed or failed.
 * The user's audio and the model's audio and text flow on streams, never through the actor.
 */
import type { RealtimeServerEvent } from 'openai/resources/realtime/realtime';
import type { OpenAIRealtimeWS } from 'openai/realtime/ws';
import { fromPromise, type Actor } from 'xstate';
import { realtimeConnectionMachine, type RealtimeConnectTimeout } from '../../../../machines/realtime_connection.js';
import { fromTask } from '../../../actors/from_task.js';
import { hostOf, startActor, type Clock } from '../../../actors/start_actor.js';
import { checkAudioFrame, type AudioFrame } from '../../../audio/audio_frame.js';
import type { ChatContext } from '../../../llm/chat_context.js';
import { describe } from '../../../errors.js';
import { EventEmitter } from '../../../events/emitter.js';
import type { GenerationCreatedEvent, RealtimeCapabilities, RealtimeSession, RealtimeSessionEvents, RealtimeToolDefinition } from '../../../llm/realtime.js';
import { ProviderError } from '../../../provider/provider_error.js';
import { onDemand } from '../../on_demand.js';
import { openaiSdk, PROVIDER } from '../errors.js';
import { Generation } from './generation.js';
import { RealtimeInputAudio } from './input_audio.js';
import type { OpenAIRealtimeModel, ResolvedRealtimeOptions } from './realtime_model.js';

const realtimeWs = onDemand(() => import('openai/realtime/ws'));

/** Server error types worth going on after (the request may succeed later). */
const RECOVERABLE_SERVER_ERRORS = new Set(['server_error', 'rate_limit_exceeded']);

interface PendingReply {
  resolve: (event: GenerationCreatedEvent) => void;
  reject: (error: ProviderError) => void;
  timer: unknown;
}

const REAL_CLOCK: Clock = { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout) };

export class OpenAIRealtimeSession extends EventEmitter<RealtimeSessionEvents> implements RealtimeSession {
  static readonly #machine = realtimeConnectionMachine.provide({
    actors: {
      open: fromPromise(({ system, signal }) => hostOf<OpenAIRealtimeSession>(system).#open(signal)),
      shut: fromTask(({ system }) => hostOf<OpenAIRealtimeSession>(system).#shut()),
    },
  });

  readonly capabilities: RealtimeCapabilities;
  readonly ready: Promise<void>;
  readonly #options: ResolvedRealtimeOptions;
  readonly #label: string;
  readonly #actor: Actor<typeof realtimeConnectionMachine>;
  readonly #input = new RealtimeInputAudio((audio) => this.#send({ type: 'input_audio_buffer.append', audio }));
  readonly #generations = new Map<string, Generation>();
  readonly #pendingReplies: PendingReply[] = [];
  /** Each response's bound: nothing from the server for timeoutMs and it has stalled. */
  readonly #stallTimers = new Map<string, unknown>();
  readonly #clock: Clock;
  #instructions: string;
  #tools: RealtimeToolDefinition[] = [];
  #socket: OpenAIRealtimeWS | undefined;

  constructor(model: OpenAIRealtimeModel, options: ResolvedRealtimeOptions, instructions: string) {
    super();
    this.capabilities = model.capabilities;
    this.#options = options;
    this.#label = model.label;
    this.#instructions = instructions;
    this.#clock = options.clock ?? REAL_CLOCK;
    let settle!: { resolve: () => void; reject: (error: unknown) => void };
    this.ready = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    // Awaited by whoever needs the connection; its failure is also reported as an `error` event.
    this.ready.catch(() => {});
    this.#actor = startActor(OpenAIRealtimeSession.#machine, {
      name: 'realtime session',
      host: this,
      input: { maxRetry: options.conn.maxRetry, retryIntervalMs: options.conn.retryIntervalMs, timeoutMs: options.conn.timeoutMs },
      onError: (error) => this.emit('error', this.#providerError(error, false)),
      ...(options.clock ? { clock: options.clock } : {}),
    });
    this.#actor.on('ready', ({ reconnected }) => {
      settle.resolve();
      if (reconnected) this.emit('reconnected');
    });
    this.#actor.on('retrying', ({ error, attempt }) => {
      this.emit('error', this.#providerError(error, true, `connecting failed, trying again (attempt ${attempt})`));
    });
    this.#actor.on('failed', ({ error, attempts }) => {
      const failure = this.#providerError(error, false, `could not connect (${attempts} ${attempts === 1 ? 'attempt' : 'attempts'})`);
      settle.reject(failure);
      this.#abandon(failure);
      this.emit('error', failure);
    });
  }

  /** Where the connection is: connecting, ready, reconnecting, closing, closed or failed. */
  get state(): string {
    const value = this.#actor.getSnapshot().value;
    return value === 'attemptFailed' ? 'reconnecting' : String(value);
  }

  updateInstructions(instructions: string): void {
    this.#instructions = instructions;
    this.#send({ type: 'session.update', session: { type: 'realtime', instructions } });
  }

  updateTools(tools: RealtimeToolDefinition[]): void {
    this.#tools = tools;
    this.#send({ type: 'session.update', session: { type: 'realtime', tools: toolsOf(tools), tool_choice: 'auto' } });
  }

  sendFunctionOutput(callId: string, output: string): void {
    this.#send({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: callId, output } });
  }

  updateChatCtx(chatCtx: ChatContext): void {
    for (const item of chatCtx.items) {
      if (item.type === 'message' && item.content !== '' && (item.role === 'user' || item.role === 'assistant')) {
        const content = item.role === 'user' ? [{ type: 'input_text' as const, text: item.content }] : [{ type: 'output_text' as const, text: item.content }];
        this.#send({ type: 'conversation.item.create', item: { type: 'message', role: item.role, content } as never });
      } else if (item.type === 'function_call') {
        this.#send({ type: 'conversation.item.create', item: { type: 'function_call', call_id: item.callId, name: item.name, arguments: item.arguments } });
      } else if (item.type === 'function_call_output') {
        this.sendFunctionOutput(item.callId, item.output);
      }
    }
  }

  sendUserMessage(text: string): void {
    this.#send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] } });
  }

  /** While (re)connecting the user's audio has nowhere to go (the server would not know its turn): it is dropped. */
  pushAudio(frame: AudioFrame): void {
    checkAudioFrame(frame);
    this.#input.push(frame);
  }

  commitAudio(): void {
    this.#input.flush();
    this.#send({ type: 'input_audio_buffer.commit' });
  }

  clearAudio(): void {
    this.#input.clear();
    this.#send({ type: 'input_audio_buffer.clear' });
  }

  generateReply(instructions?: string): Promise<GenerationCreatedEvent> {
    return new Promise((resolve, reject) => {
      if (!this.#send({ type: 'response.create', ...(instructions ? { response: { instructions } } : {}) })) {
        reject(new ProviderError(PROVIDER, true, `generateReply: the realtime session is ${this.state}`));
        return;
      }
      const timeoutMs = this.#options.conn.timeoutMs;
      const pending: PendingReply = {
        resolve,
        reject,
        timer: this.#clock.setTimeout(() => {
          this.#pendingReplies.splice(this.#pendingReplies.indexOf(pending), 1);
          reject(new ProviderError(PROVIDER, true, `generateReply: no response within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.#pendingReplies.push(pending);
    });
  }

  interrupt(): void {
    if (this.#generations.size > 0) this.#send({ type: 'response.cancel' });
  }

  truncate({ messageId, audioEndMs }: { messageId: string; audioEndMs: number }): void {
    this.#send({ type: 'conversation.item.truncate', item_id: messageId, content_index: 0, audio_end_ms: Math.max(0, Math.round(audioEndMs)) });
  }

  async close(): Promise<void> {
    this.#actor.send({ type: 'close' });
    this.#abandon(new ProviderError(PROVIDER, false, 'the realtime session was closed'));
  }

  /** Sends a client event if the socket is open; says whether it did. */
  #send(event: Parameters<OpenAIRealtimeWS['send']>[0]): boolean {
    const socket = this.#socket;
    if (socket === undefined || socket.socket.readyState !== socket.socket.OPEN) return false;
    socket.send(event);
    return true;
  }

  /** The `open` actor: a socket whose server has said `session.created`, then the session's configuration sent. */
  async #open(signal: AbortSignal): Promise<void> {
    const [OpenAI, { OpenAIRealtimeWS }] = await Promise.all([openaiSdk.load(), realtimeWs.load()]);
    const options = this.#options;
    const client = new OpenAI({ apiKey: options.apiKey, baseURL: options.baseURL, maxRetries: 0 });
    const rt = new OpenAIRealtimeWS({ model: options.model, options: options.websocket.ca ? { ca: options.websocket.ca } : {} }, client);
    await new Promise<void>((resolve, reject) => {
      let opened = false;
      const abort = () => {
        rt.close();
        reject(signal.reason);
      };
      signal.addEventListener('abort', abort, { once: true });
      rt.on('error', (error) => {
        // A server error event comes through `event` too; this is the socket's own.
        if (error.error !== undefined) return;
        if (!opened) reject(socketError(error));
        else this.emit('error', socketError(error));
      });
      rt.socket.on('close', (code) => {
        signal.removeEventListener('abort', abort);
        if (!opened) return reject(new ProviderError(PROVIDER, true, `the connection closed before the session started (code ${code})`));
        if (this.#socket !== rt) return;
        this.#socket = undefined;
        const error = new ProviderError(PROVIDER, true, `the connection dropped (code ${code})`);
        this.#abandon(error);
        this.#actor.send({ type: 'dropped', error });
      });
      rt.on('event', (event) => {
        if (!opened && event.type === 'session.created') {
          opened = true;
          signal.removeEventListener('abort', abort);
          this.#socket = rt;
          // A new server buffer: what was held for the last one (or pushed meanwhile) is not its audio.
          this.#input.clear();
          this.#configure();
          resolve();
          return;
        }
        if (opened) this.#receive(event);
      });
    });
  }

  async #shut(): Promise<void> {
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.close();
  }

  /** The session's configuration, sent on every connection (a new socket is a new server session). */
  #configure(): void {
    const options = this.#options;
    this.#send({
      type: 'session.update',
      session: {
        type: 'realtime',
        instructions: this.#instructions,
        output_modalities: options.modalities,
        ...(this.#tools.length > 0 ? { tools: toolsOf(this.#tools), tool_choice: 'auto' } : {}),
        audio: {
          input: {
            format: { type: 'audio/pcm', rate: 24000 },
            turn_detection: options.turnDetection,
            transcription: options.inputAudioTranscription,
          },
          output: { format: { type: 'audio/pcm', rate: 24000 }, voice: options.voice },
        },
        ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
      } as never,
    });
  }

  #receive(event: RealtimeServerEvent): void {
    // Any news of a response keeps it from counting as stalled.
    const responseId = (event as { response_id?: unknown }).response_id;
    if (typeof responseId === 'string') this.#watch(responseId);
    switch (event.type) {
      case 'input_audio_buffer.speech_started':
        this.emit('input_speech_started');
        return;
      case 'input_audio_buffer.speech_stopped':
        this.emit('input_speech_stopped', { userTranscriptionEnabled: this.capabilities.userTranscription });
        return;
      case 'conversation.item.input_audio_transcription.completed':
        this.emit('input_audio_transcription_completed', { itemId: event.item_id, transcript: event.transcript, isFinal: true });
        return;
      case 'response.created': {
        const responseId = event.response.id ?? `response_${this.#generations.size}`;
        const pending = this.#pendingReplies.shift();
        const generation = new Generation(responseId, pending !== undefined);
        this.#generations.set(responseId, generation);
        this.#watch(responseId);
        if (pending) {
          this.#clock.clearTimeout(pending.timer);
          pending.resolve(generation.event);
        }
        this.emit('generation_created', generation.event);
        return;
      }
      case 'response.output_item.added':
        if (event.item.type === 'message' && event.item.id) this.#generations.get(event.response_id)?.addMessage(event.item.id);
        return;
      case 'response.output_audio.delta':
        this.#generations.get(event.response_id)?.pushAudio(event.item_id, event.delta);
        return;
      case 'response.output_audio.done':
        this.#generations.get(event.response_id)?.endAudio(event.item_id);
        return;
      case 'response.output_audio_transcript.delta':
      case 'response.output_text.delta':
        this.#generations.get(event.response_id)?.pushText(event.item_id, event.delta);
        return;
      case 'response.output_audio_transcript.done':
      case 'response.output_text.done':
        this.#generations.get(event.response_id)?.endText(event.item_id);
        return;
      case 'response.output_item.done':
        if (event.item.type === 'function_call') {
          const { call_id: callId, name, arguments: args } = event.item;
          this.#generations.get(event.response_id)?.addFunctionCall({ callId: callId ?? '', name: name ?? '', arguments: args ?? '' });
        }
        return;
      case 'response.done':
        this.#responseDone(event);
        return;
      case 'error': {
        const type = event.error.type;
        this.emit('error', new ProviderError(PROVIDER, RECOVERABLE_SERVER_ERRORS.has(type) || RECOVERABLE_SERVER_ERRORS.has(event.error.code ?? ''), `the server reported ${type}: ${event.error.message}`));
        return;
      }
    }
  }

  #responseDone(event: Extract<RealtimeServerEvent, { type: 'response.done' }>): void {
    const id = event.response.id ?? '';
    const generation = this.#generations.get(id);
    if (!generation) return;
    this.#generations.delete(id);
    this.#unwatch(id);
    generation.end();
    const usage = event.response.usage;
    const now = performance.now();
    this.emit('metrics_collected', {
      type: 'realtime_model_metrics',
      label: this.#label,
      requestId: id,
      ttftMs: generation.firstOutputAt === undefined ? -1 : generation.firstOutputAt - generation.startedAt,
      durationMs: now - generation.startedAt,
      cancelled: event.response.status === 'cancelled',
      inputTokens: usage?.input_tokens ?? 0,
      outputTokens: usage?.output_tokens ?? 0,
      totalTokens: usage?.total_tokens ?? 0,
      inputTokenDetails: {
        audioTokens: usage?.input_token_details?.audio_tokens ?? 0,
        textTokens: usage?.input_token_details?.text_tokens ?? 0,
        cachedTokens: usage?.input_token_details?.cached_tokens ?? 0,
      },
      outputTokenDetails: { audioTokens: usage?.output_token_details?.audio_tokens ?? 0, textTokens: usage?.output_token_details?.text_tokens ?? 0 },
    });
  }

  /** Every response in progress and every reply asked for fails with `error` (the connection went away). */
  #abandon(error: ProviderError): void {
    for (const generation of this.#generations.values()) generation.fail(error);
    this.#generations.clear();
    for (const id of [...this.#stallTimers.keys()]) this.#unwatch(id);
    for (const pending of this.#pendingReplies.splice(0)) {
      this.#clock.clearTimeout(pending.timer);
      pending.reject(error);
    }
  }

  /** (Re)starts the bound of response `id`: a response the server stops sending fails, and is cancelled. */
  #watch(id: string): void {
    if (!this.#generations.has(id)) return;
    this.#unwatch(id);
    const timeoutMs = this.#options.conn.timeoutMs;
    this.#stallTimers.set(
      id,
      this.#clock.setTimeout(() => {
        this.#stallTimers.delete(id);
        const generation = this.#generations.get(id);
        if (!generation) return;
        this.#generations.delete(id);
        const error = new ProviderError(PROVIDER, true, `the response stalled: nothing from the server within ${timeoutMs} ms`);
        this.#send({ type: 'response.cancel' });
        generation.fail(error);
        this.emit('error', error);
      }, timeoutMs),
    );
  }

  #unwatch(id: string): void {
    const timer = this.#stallTimers.get(id);
    if (timer === undefined) return;
    this.#stallTimers.delete(id);
    this.#clock.clearTimeout(timer);
  }

  #providerError(error: unknown, recoverable: boolean, context?: string): ProviderError {
    if (error instanceof ProviderError) return context ? new ProviderError(PROVIDER, recoverable, `${context}: ${error.message.replace(/^openai: /, '')}`, { cause: error }) : error;
    const timeout = error as Partial<RealtimeConnectTimeout> | undefined;
    const what = timeout?.kind === 'timeout' ? `no session within ${timeout.timeoutMs} ms` : describe(error);
    return new ProviderError(PROVIDER, recoverable, context ? `${context}: ${what}` : what, { cause: error });
  }
}

/** A socket error: a refused handshake (401, 403, 404) is not worth trying again; the rest may be. */
function socketError(error: Error): ProviderError {
  const status = Number(/Unexpected server response: (\d{3})/.exec(error.message)?.[1]);
  const refused = status === 401 || status === 403 || status === 404;
  return new ProviderError(PROVIDER, !refused, refused ? `the server refused the connection: HTTP ${status}` : `connection failed: ${describe(error)}`, {
    cause: error,
    ...(Number.isNaN(status) ? {} : { status }),
  });
}

/** The tools as the Realtime API takes them (flat, unlike chat completions' `function` wrapper). */
function toolsOf(tools: RealtimeToolDefinition[]) {
  return tools.map(({ name, description, parameters }) => ({ type: 'function' as const, name, description, parameters }));
}
