/**
 * A SpeechOutput whose playout the test controls: a speech starts playing when its first text
 * arrives and keeps the agent speaking until the test calls finish() (or the speech is interrupted).
 * With `pausable` set it can pause (the session holds its speech when the user speaks over it);
 * as an audio output, an interruption clears it, its pause included.
 */
import { consumeText, type Playout, type SpeechOutput } from '../../src/index.js';

interface Pending {
  speechId: string;
  text: string;
  finish: () => void;
}

export class ScriptedOutput implements SpeechOutput {
  /** Speeches that are playing now, oldest first. */
  readonly playing: Pending[] = [];
  /** Everything that finished playing, with whether it was interrupted. */
  readonly played: Array<{ speechId: string; text: string; interrupted: boolean }> = [];
  flushError: Error | undefined;
  closeError: Error | undefined;
  pausable = false;
  /** Whether the output holds its speech where it is (paused, not resumed nor cleared). */
  paused = false;
  #waiters: Array<() => void> = [];

  get pause(): (() => void) | undefined {
    return this.pausable ? () => void (this.paused = true) : undefined;
  }

  get resume(): (() => void) | undefined {
    return this.pausable ? () => void (this.paused = false) : undefined;
  }

  async play(text: AsyncIterable<string>, playout: Playout): Promise<void> {
    playout.signal.addEventListener('abort', () => (this.paused = false), { once: true });
    const whole = await consumeText(text, playout);
    if (playout.signal.aborted || whole === '') {
      this.played.push({ speechId: playout.speechId, text: whole, interrupted: playout.signal.aborted });
      return;
    }
    await new Promise<void>((resolve) => {
      const pending: Pending = { speechId: playout.speechId, text: whole, finish: resolve };
      this.playing.push(pending);
      playout.signal.addEventListener('abort', () => resolve(), { once: true });
      for (const wake of this.#waiters.splice(0)) wake();
    });
    const at = this.playing.findIndex((p) => p.speechId === playout.speechId);
    if (at >= 0) this.playing.splice(at, 1);
    this.played.push({ speechId: playout.speechId, text: whole, interrupted: playout.signal.aborted });
  }

  /** Resolves once some speech is playing. */
  async untilPlaying(): Promise<Pending> {
    while (this.playing.length === 0) await new Promise<void>((resolve) => this.#waiters.push(resolve));
    return this.playing[0]!;
  }

  /** Finishes the oldest playing speech. */
  async finish(): Promise<void> {
    (await this.untilPlaying()).finish();
  }

  async flush(): Promise<void> {
    if (this.flushError) throw this.flushError;
  }

  async close(): Promise<void> {
    if (this.closeError) throw this.closeError;
  }
}
