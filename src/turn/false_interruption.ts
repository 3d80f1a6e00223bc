/**
 * Was that an interruption? When the user speaks over the agent long enough, the agent's speech is
 * paused rather than cut (if its output can pause, and `resume` is on). Words from the user make it
 * a real interruption; no words within `timeoutMs` (a cough, a noise, a backchannel the STT did not
 * catch) make it a false one: the speech resumes where it was.
 */
import { log } from '../log/logger.js';

export interface InterruptionHooks {
  /** Pauses the speech; false when it cannot be paused (then it is interrupted at once). */
  pause(): boolean;
  resume(): void;
  interrupt(): void;
  /** A false interruption was detected; the speech resumed. */
  falseInterruption(): void;
}

export class InterruptionDecision {
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly hooks: InterruptionHooks,
    private readonly options: {
      /** ms to wait for words while paused. */
      timeoutMs: number;
      /** Whether to pause and resume at all; without it user speech interrupts at once. */
      resume: boolean;
    },
  ) {}

  /** Whether a pause is waiting for words. */
  get pending(): boolean {
    return this.#timer !== undefined;
  }

  /** The user has spoken long enough to interrupt. */
  userSpeaking(): void {
    if (this.pending) return;
    if (!this.options.resume || !this.hooks.pause()) {
      log().debug('user speech over the agent: an interruption');
      this.hooks.interrupt();
      return;
    }
    log().debug({ falseInterruptionTimeout: this.options.timeoutMs }, 'user speech over the agent: paused, waiting for words');
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      log().debug({ falseInterruptionTimeout: this.options.timeoutMs }, 'no words while paused: a false interruption, resuming');
      this.hooks.resume();
      this.hooks.falseInterruption();
    }, this.options.timeoutMs);
  }

  /** The user said something: a pause becomes a real interruption. */
  words(text: string): void {
    if (!this.pending || text.trim() === '') return;
    this.cancel();
    log().debug({ transcript: text }, 'words while paused: an interruption');
    this.hooks.interrupt();
  }

  /** Forgets a pending decision (the speech ended or was interrupted otherwise). */
  cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
