/**
 * A SpeechHandle: one utterance of the agent, as returned by `say()` and `generateReply()`.
 * Its lifecycle is machines/speech.ts, and the handle only reads it: what the speech is doing is
 * the actor's state, and awaiting the handle waits until the actor has ended.
 */
import type { Actor } from 'xstate';
import { speechMachine, type SpeechSource } from '../../machines/speech.js';
import { startActor } from '../actors/start_actor.js';
import { whenStopped } from '../actors/until.js';
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
  /** Resolves once the actor has ended: made on first use, shared by every wait. */
  #ended: Promise<void> | undefined;

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
  }

  get state(): SpeechState {
    const { value } = this.actor.getSnapshot();
    return (typeof value === 'string' ? value : 'playing') as SpeechState;
  }

  get allowInterruptions(): boolean {
    return this.actor.getSnapshot().context.allowInterruptions;
  }

  set allowInterruptions(allow: boolean) {
    this.actor.send({ type: 'allowInterruptions.set', allow });
  }

  get interrupted(): boolean {
    return this.actor.getSnapshot().value === 'interrupted';
  }

  /** Whether the speech has ended, played out or interrupted. */
  get done(): boolean {
    return this.actor.getSnapshot().status !== 'active';
  }

  /** Whether its audio (or text) is going out right now. */
  get speaking(): boolean {
    return this.actor.getSnapshot().matches({ playing: 'speaking' });
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
    return this.#whenEnded();
  }

  then<T1 = void, T2 = never>(
    onfulfilled?: ((value: void) => T1 | PromiseLike<T1>) | null,
    onrejected?: ((reason: unknown) => T2 | PromiseLike<T2>) | null,
  ): PromiseLike<T1 | T2> {
    return this.waitForPlayout().then(onfulfilled, onrejected);
  }

  /** Calls `callback` once the speech has ended (at once if it has). */
  addDoneCallback(callback: (speech: SpeechHandle) => void): void {
    void this.#whenEnded().then(() => callback(this));
  }

  #whenEnded(): Promise<void> {
    this.#ended ??= whenStopped(this.actor);
    return this.#ended;
  }

  /** @internal the scheduler gives it the output */
  _play(): void {
    this.actor.send({ type: 'play' });
  }

  /** @internal its first audio (or text) went out */
  _speak(): void {
    this.actor.send({ type: 'speak' });
  }

  /** @internal it no longer needs the output: the next speech may play; the `toolCalls` its LLM asked for run now */
  _release(toolCalls = 0): void {
    this.actor.send({ type: 'release', toolCalls });
  }

  /** @internal its tools have run and their follow-up is scheduled */
  _toolsSettled(): void {
    this.actor.send({ type: 'tools.settled' });
  }

  /** @internal its task has finished: its reply, and the tools that reply started */
  _finish(error?: unknown): void {
    this.actor.send(error === undefined ? { type: 'finish' } : { type: 'finish', error });
  }
}
