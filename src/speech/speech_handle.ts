/**
 * A SpeechHandle: one utterance of the agent, as returned by `say()` and `generateReply()`.
 * Its lifecycle is machines/speech.ts; awaiting the handle waits until it has finished playing.
 */
import type { Actor } from 'xstate';
import { speechMachine, type SpeechSource } from '../../machines/speech.js';
import { startActor } from '../actors/start_actor.js';
import { InterruptionRefusedError, VoxstateError } from '../errors.js';
import { newId } from '../ids.js';
import type { ChatItem } from '../llm/chat_context.js';
import { currentSpeech } from './speech_scope.js';

export type { SpeechSource };
export type SpeechState = 'scheduled' | 'playing' | 'done' | 'interrupted';

/** Speech priorities, as LiveKit's: higher plays first, equal ones in order. */
export const SPEECH_PRIORITY = { low: 0, normal: 5, high: 10 } as const;

export interface SpeechHandleOptions {
  source: SpeechSource;
  allowInterruptions: boolean;
  priority?: number;
  /** The speech that led to this one (a tool response follows its reply). */
  parent?: SpeechHandle;
  /** How many LLM steps led to this speech (1 for a first reply). */
  step?: number;
  onError: (error: unknown) => void;
}

export class SpeechHandle implements PromiseLike<void> {
  readonly id = newId('speech');
  readonly source: SpeechSource;
  readonly priority: number;
  readonly parent: SpeechHandle | undefined;
  readonly step: number;
  readonly actor: Actor<typeof speechMachine>;
  /** Chat items this speech added to the history. */
  readonly chatItems: ChatItem[] = [];
  readonly #abort = new AbortController();
  readonly #done: Promise<void>;
  readonly #released: Promise<void>;
  #release!: () => void;
  readonly #settled: Promise<void>;
  #settle!: () => void;
  #started = false;
  #speaking = false;
  #spoke = false;
  #toolsPending = false;

  constructor(options: SpeechHandleOptions) {
    this.source = options.source;
    this.priority = options.priority ?? SPEECH_PRIORITY.normal;
    this.parent = options.parent;
    this.step = options.step ?? 1;
    this.actor = startActor(speechMachine, {
      name: `speech ${this.id}`,
      input: { id: this.id, source: options.source, allowInterruptions: options.allowInterruptions },
      onError: options.onError,
    });
    this.#done = new Promise((resolve) => {
      this.actor.subscribe({ complete: resolve, error: () => resolve() });
    });
    this.#released = new Promise((resolve) => (this.#release = resolve));
    this.#settled = new Promise((resolve) => (this.#settle = resolve));
    void this.#done.then(() => {
      this.#release();
      // Ended before it played (interrupted while queued, or the session closed): nothing to wait for.
      if (!this.#started) this.#settle();
    });
  }

  get state(): SpeechState {
    return this.actor.getSnapshot().value as SpeechState;
  }

  get allowInterruptions(): boolean {
    return this.actor.getSnapshot().context.allowInterruptions;
  }

  set allowInterruptions(allow: boolean) {
    this.actor.send({ type: 'allowInterruptions.set', allow });
  }

  get interrupted(): boolean {
    return this.actor.getSnapshot().context.interrupted;
  }

  /** Whether the speech has ended, played out or interrupted. */
  get done(): boolean {
    return this.actor.getSnapshot().status !== 'active';
  }

  /** Whether its audio (or text) is going out right now. */
  get speaking(): boolean {
    return this.#speaking && !this.done;
  }

  /** The error the speech ended with, if it failed. */
  get error(): unknown {
    return this.actor.getSnapshot().context.error;
  }

  /** Fires when the speech is interrupted: whatever produces or plays it stops. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /**
   * Interrupts the speech. Refused (InterruptionRefusedError) when it does not allow interruptions,
   * unless `force`. Interrupting a finished speech does nothing.
   */
  interrupt(options: { force?: boolean } = {}): this {
    if (this.done) return this;
    const event = { type: 'interrupt', force: options.force === true } as const;
    if (!this.actor.getSnapshot().can(event)) throw new InterruptionRefusedError(this.id);
    this.actor.send(event);
    this.#abort.abort(new VoxstateError('interrupted', `speech ${this.id} was interrupted`));
    return this;
  }

  /** Resolves when the speech has ended. Refuses a wait from the speech's own tool (it would never end). */
  waitForPlayout(): Promise<void> {
    if (currentSpeech() === this) {
      return Promise.reject(
        new VoxstateError('circular_wait', `speech ${this.id} cannot be awaited from its own tool or hook: it ends after they return`),
      );
    }
    return this.#done;
  }

  then<T1 = void, T2 = never>(
    onfulfilled?: ((value: void) => T1 | PromiseLike<T1>) | null,
    onrejected?: ((reason: unknown) => T2 | PromiseLike<T2>) | null,
  ): PromiseLike<T1 | T2> {
    return this.waitForPlayout().then(onfulfilled, onrejected);
  }

  /** Calls `callback` once the speech has ended (at once if it has). */
  addDoneCallback(callback: (speech: SpeechHandle) => void): void {
    void this.#done.then(() => callback(this));
  }

  /** @internal the scheduler gives it the output */
  _play(): void {
    this.#started = true;
    this.actor.send({ type: 'play' });
  }

  /**
   * @internal resolves once it has ended and so has everything it started: an interrupted speech
   * ends at once, while a tool it called may still be running.
   */
  get _settled(): Promise<void> {
    return Promise.all([this.#done, this.#settled]).then(() => {});
  }

  /** @internal its output has started (true) or ended (false) */
  _setSpeaking(speaking: boolean): void {
    this.#speaking = speaking;
    if (speaking) this.#spoke = true;
  }

  /**
   * @internal the agent is thinking for this speech: it is a reply still waiting for its first
   * audio, or the LLM asked for tools that have not finished yet. Once its audio has ended and no
   * tool is due, the agent is listening, even before the speech releases the output.
   */
  get _thinking(): boolean {
    return this._toolsDue || (!this.#spoke && !this.done && this.source !== 'say');
  }

  /** @internal tools the LLM asked for in this speech have not finished (and it was not interrupted) */
  get _toolsDue(): boolean {
    return this.#toolsPending && !this.done && !this.interrupted;
  }

  /** @internal the LLM asked for tools (true), or they have run and their follow-up is scheduled (false) */
  _setToolsPending(pending: boolean): void {
    this.#toolsPending = pending;
  }

  /** @internal it no longer needs the output: the next speech may play (its tools may still run) */
  _releaseOutput(): void {
    this.#release();
  }

  /** @internal resolves once the output is free again */
  get _outputReleased(): Promise<void> {
    return this.#released;
  }

  /** @internal everything it had to do is done: the scheduler's task for it (its reply, and the tools that reply started) has finished */
  _finish(error?: unknown): void {
    this.actor.send(error === undefined ? { type: 'finish' } : { type: 'finish', error });
    this.#settle();
  }
}
