/**
 * Publishes an AgentSession's lifecycle on a runtime, from the session's public events only:
 *
 * - a run per user turn: `run:started` when the user's message is added, `run:completed` (or
 *   `run:failed`) once every speech of the turn has ended: its reply, the follow-ups of its tool
 *   calls, and anything said while it was going on; `run:timeout` if that takes longer than the
 *   runtime's runTimeoutMs. A turn the agent does not answer (StopResponse, a reply refused
 *   because the current speech cannot be interrupted) ends, unanswered, when the next turn starts
 *   or the session closes: the session does not announce that it decided not to reply;
 * - `message:received` / `message:sent` for the user's and the agent's messages;
 * - `action:started` / `action:completed` / `action:failed` for each tool call;
 * - `model:used` from each model measurement, `model:failed` from each model failure;
 * - `voice:started` / `voice:ended` when the user or the agent starts or stops speaking.
 */
import { VoxstateError, describe } from '../errors.js';
import { newId } from '../ids.js';
import type { ChatItem, ChatMessage } from '../llm/chat_context.js';
import { providerOf } from '../metrics/model_label.js';
import type { ModelMetrics } from '../provider/metrics.js';
import { ProviderError } from '../provider/provider_error.js';
import type { AgentSession } from '../session/agent_session.js';
import type { AgentSessionEvents } from '../session/events.js';
import type { SpeechHandle } from '../speech/speech_handle.js';
import type { ModelType, RunPayload } from './registry.js';
import type { AgentRuntime } from './runtime.js';

interface Run {
  readonly payload: RunPayload;
  readonly speeches: SpeechHandle[];
  /** Speeches of the run not yet ended. */
  live: number;
  interrupted: boolean;
  error: VoxstateError | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  ended: boolean;
}

const MODEL_SOURCES: ReadonlySet<string> = new Set<ModelType>(['llm', 'stt', 'tts', 'vad']);

/** @internal created by AgentRuntime.attach */
export class SessionPublisher {
  readonly #runs: Run[] = [];
  /** The open run of each speech, by speech id (what tool and model events name). */
  readonly #bySpeech = new Map<string, Run>();
  readonly #speakingSince: { user?: number; agent?: number } = {};
  readonly #listeners: { [E in keyof AgentSessionEvents]?: AgentSessionEvents[E] };

  constructor(
    private readonly runtime: AgentRuntime,
    private readonly session: AgentSession,
    private readonly runTimeoutMs: number | undefined,
  ) {
    this.#listeners = {
      conversation_item_added: ({ item }) => this.#itemAdded(item),
      speech_created: ({ speechHandle, source, userInitiated }) => this.#speechCreated(speechHandle, source === 'generate_reply' && !userInitiated),
      function_tool_started: (event) => {
        const { speechId, callId, name } = event;
        void runtime.emit('action:started', { session, ...this.#runOf(speechId), speechId, callId, name, arguments: event.arguments });
      },
      function_tool_completed: (event) => {
        const { speechId, callId, name, output, durationMs, error } = event;
        const payload = { session, ...this.#runOf(speechId), speechId, callId, name, arguments: event.arguments, output, durationMs };
        if (event.isError) void runtime.emit('action:failed', { ...payload, error: error ?? new VoxstateError('tool_failed', output) });
        else void runtime.emit('action:completed', payload);
      },
      metrics_collected: ({ metrics }) => {
        if (metrics.type !== 'turn_metrics') this.#modelUsed(metrics);
      },
      error: ({ error, source }) => {
        if (!MODEL_SOURCES.has(source)) return;
        const model = this.#labelOf(source as ModelType);
        const provider = error instanceof ProviderError ? error.provider : model === undefined ? undefined : providerOf(model);
        const runId = this.#runs.at(-1)?.payload.runId;
        void runtime.emit('model:failed', {
          session,
          modelType: source as ModelType,
          error,
          ...(model === undefined ? {} : { model }),
          ...(provider === undefined ? {} : { provider }),
          ...(runId === undefined ? {} : { runId }),
        });
      },
      user_state_changed: ({ oldState, newState }) => this.#voice('user', oldState === 'speaking', newState === 'speaking'),
      agent_state_changed: ({ oldState, newState }) => this.#voice('agent', oldState === 'speaking', newState === 'speaking'),
      close: () => this.stop(),
    };
    for (const [event, listener] of Object.entries(this.#listeners)) session.on(event as 'close', listener as AgentSessionEvents['close']);
  }

  /** Stops publishing; runs still open end now, as they are. */
  stop(): void {
    for (const [event, listener] of Object.entries(this.#listeners)) this.session.off(event as 'close', listener as AgentSessionEvents['close']);
    for (const run of [...this.#runs]) this.#end(run);
  }

  #itemAdded(item: ChatItem): void {
    if (item.type !== 'message') return;
    if (item.role === 'user') this.#userMessage(item);
    else if (item.role === 'assistant') {
      // The message was just added by the speech holding the output.
      const speech = this.session.currentSpeech;
      const mine = speech?.chatItems.includes(item) ? speech : undefined;
      void this.runtime.emit('message:sent', {
        session: this.session,
        message: item,
        interrupted: item.interrupted,
        ...(mine ? { speechId: mine.id, ...this.#runOf(mine.id) } : {}),
      });
    }
  }

  #userMessage(message: ChatMessage): void {
    // A turn still waiting for its first speech was not answered: this one supersedes it.
    for (const run of [...this.#runs]) if (run.speeches.length === 0) this.#end(run);
    const payload: RunPayload = { runId: newId('run'), session: this.session, message, startedAt: Date.now() };
    const run: Run = { payload, speeches: [], live: 0, interrupted: false, error: undefined, timer: undefined, ended: false };
    this.#runs.push(run);
    if (this.runTimeoutMs !== undefined) {
      const timeoutMs = this.runTimeoutMs;
      run.timer = setTimeout(() => {
        run.timer = undefined;
        if (!run.ended) void this.runtime.emit('run:timeout', { ...payload, timeoutMs });
      }, timeoutMs);
    }
    void this.runtime.emit('message:received', { session: this.session, message, runId: payload.runId });
    void this.runtime.emit('run:started', payload);
  }

  #speechCreated(speech: SpeechHandle, isTurnReply: boolean): void {
    // A follow-up belongs to its parent's run; a turn's reply to the newest run; anything else
    // (a tool's say(), a reply asked for while the turn goes on) to the newest run still open.
    const run = speech.parent ? this.#bySpeech.get(speech.parent.id) : this.#runs.at(-1);
    if (run === undefined || (!isTurnReply && !speech.parent && run.speeches.length === 0)) return;
    run.speeches.push(speech);
    run.live += 1;
    this.#bySpeech.set(speech.id, run);
    speech.addDoneCallback(() => {
      if (run.ended) return;
      run.live -= 1;
      if (speech.interrupted) run.interrupted = true;
      if (speech.error !== undefined && run.error === undefined) run.error = asError(speech.error);
      if (run.live === 0) this.#end(run);
    });
  }

  #end(run: Run): void {
    if (run.ended) return;
    run.ended = true;
    if (run.timer !== undefined) clearTimeout(run.timer);
    this.#runs.splice(this.#runs.indexOf(run), 1);
    for (const speech of run.speeches) this.#bySpeech.delete(speech.id);
    const endedAt = Date.now();
    const ended = {
      ...run.payload,
      endedAt,
      durationMs: endedAt - run.payload.startedAt,
      speechIds: run.speeches.map((speech) => speech.id),
      replied: run.speeches.length > 0,
      interrupted: run.interrupted,
    };
    if (run.error) void this.runtime.emit('run:failed', { ...ended, error: run.error });
    else void this.runtime.emit('run:completed', ended);
  }

  #runOf(speechId: string | undefined): { runId?: string } {
    const run = speechId === undefined ? undefined : this.#bySpeech.get(speechId);
    return run ? { runId: run.payload.runId } : {};
  }

  #modelUsed(metrics: ModelMetrics): void {
    const modelType = metrics.type.slice(0, metrics.type.indexOf('_')) as ModelType;
    const durationMs = metrics.type === 'vad_metrics' ? metrics.inferenceDurationTotalMs : metrics.durationMs;
    const tokens =
      metrics.type === 'llm_metrics'
        ? { tokens: { prompt: metrics.promptTokens, completion: metrics.completionTokens, total: metrics.totalTokens } }
        : {};
    // Providers rarely know the speech; an LLM or TTS request reports while its speech holds the output.
    const speechId = ('speechId' in metrics ? metrics.speechId : undefined) ?? (modelType === 'llm' || modelType === 'tts' ? this.session.currentSpeech?.id : undefined);
    void this.runtime.emit('model:used', {
      session: this.session,
      ...this.#runOf(speechId),
      modelType,
      provider: providerOf(metrics.label),
      model: metrics.label,
      durationMs,
      ...tokens,
      metrics,
    });
  }

  #labelOf(modelType: ModelType): string | undefined {
    const session = this.session;
    const model = modelType === 'llm' ? (session.currentAgent?.llm ?? session.llm) : session[modelType];
    const label = (model as { label?: unknown } | undefined)?.label;
    return typeof label === 'string' ? label : undefined;
  }

  #voice(speaker: 'user' | 'agent', was: boolean, is: boolean): void {
    if (was === is) return;
    const now = Date.now();
    if (is) {
      this.#speakingSince[speaker] = now;
      void this.runtime.emit('voice:started', { session: this.session, speaker });
      return;
    }
    const since = this.#speakingSince[speaker];
    this.#speakingSince[speaker] = undefined;
    void this.runtime.emit('voice:ended', { session: this.session, speaker, ...(since === undefined ? {} : { durationMs: now - since }) });
  }
}

function asError(error: unknown): VoxstateError {
  return error instanceof VoxstateError ? error : new VoxstateError('run_failed', describe(error), { cause: error });
}
