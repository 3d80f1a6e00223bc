/**
 * The speech queue of a session: one speech holds the output at a time, the highest priority
 * first and equal priorities in order. A speech releases the output once it has played; its tools
 * may still run after that, so a tool that says something, or drains the session, is heard
 * instead of waiting behind itself.
 *
 * The scheduler also tells the session what the speech the agent attends to is doing, as an event
 * for the session's agent region (machines/session.ts). It only reads the speeches' states (one
 * subscription to each speech's actor); what the agent makes of them is the session machine's.
 */
import type { SnapshotFrom } from 'xstate';
import type { SpeechActivityEvent } from '../../machines/session.js';
import type { speechMachine } from '../../machines/speech.js';
import type { SpeechHandle, SpeechSource } from './speech_handle.js';

export type SpeechTask = (speech: SpeechHandle) => Promise<void>;

type SpeechSnapshot = SnapshotFrom<typeof speechMachine>;

const SPEAKING: SpeechActivityEvent = { type: 'speech.speaking' };
const TOOLS_PENDING: SpeechActivityEvent = { type: 'speech.toolsPending' };
const IDLE: SpeechActivityEvent = { type: 'speech.idle' };
const GENERATING: Record<SpeechSource, SpeechActivityEvent> = {
  say: { type: 'speech.generating', source: 'say' },
  generate_reply: { type: 'speech.generating', source: 'generate_reply' },
  tool_response: { type: 'speech.generating', source: 'tool_response' },
};

export class SpeechScheduler {
  readonly #queue: Array<{ speech: SpeechHandle; task: SpeechTask }> = [];
  readonly #live = new Set<SpeechHandle>();
  /** Each started speech's task: an interrupted speech has ended while its task may still run. */
  readonly #tasks = new WeakMap<SpeechHandle, Promise<void>>();
  readonly #waiters = new Set<() => void>();
  #current: SpeechHandle | undefined;
  #open = false;
  /** The activity last relayed (one of the constants above), so that a change of a speech that changes nothing is not relayed. */
  #relayed: SpeechActivityEvent = IDLE;

  constructor(
    private readonly relay: (event: SpeechActivityEvent) => void,
    private readonly onTaskError: (speech: SpeechHandle, error: unknown) => void,
  ) {}

  /** The speech holding the output. */
  get current(): SpeechHandle | undefined {
    return this.#current;
  }

  /** Speeches not yet ended: queued, playing, or running their tools. */
  get live(): ReadonlySet<SpeechHandle> {
    return this.#live;
  }

  /** Starts handing out the output (the session is running). */
  open(): void {
    this.#open = true;
    this.#pump();
  }

  add(speech: SpeechHandle, task: SpeechTask): void {
    this.#live.add(speech);
    speech.actor.subscribe((snapshot) => this.#changed(speech, snapshot));
    const at = this.#queue.findIndex((queued) => queued.speech.priority < speech.priority);
    if (at < 0) this.#queue.push({ speech, task });
    else this.#queue.splice(at, 0, { speech, task });
    this.#pump();
  }

  /** The queued speeches, in the order they would play. */
  queued(): SpeechHandle[] {
    return this.#queue.map((queued) => queued.speech);
  }

  /** Resolves when every live speech except `except` has ended. */
  settled(except: ReadonlySet<SpeechHandle> = new Set()): Promise<void> {
    const done = () => [...this.#live].every((speech) => except.has(speech));
    if (done()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (!done()) return;
        this.#waiters.delete(check);
        resolve();
      };
      this.#waiters.add(check);
    });
  }

  /**
   * Resolves once `speech` has ended and so has everything it started: an interrupted speech ends
   * at once, while a tool it called may still be running. (A started speech's task ends after it.)
   */
  whenSettled(speech: SpeechHandle): Promise<void> {
    const task = this.#tasks.get(speech);
    if (task) return task;
    return new Promise<void>((resolve) => speech.addDoneCallback(() => resolve())).then(() => this.#tasks.get(speech));
  }

  /** A speech changed: what the agent attends to may have; an ended speech leaves; a released output goes to the next one. */
  #changed(speech: SpeechHandle, snapshot: SpeechSnapshot): void {
    this.#relayActivity();
    const ended = snapshot.status !== 'active';
    if (ended && this.#live.delete(speech)) for (const check of [...this.#waiters]) check();
    // Handed on after what the release itself sets off (the history, the relay above) has run.
    if (speech === this.#current && (ended || released(snapshot))) queueMicrotask(() => this.#released(speech));
  }

  #released(speech: SpeechHandle): void {
    if (this.#current !== speech) return;
    this.#current = undefined;
    this.#relayActivity();
    this.#pump();
  }

  #pump(): void {
    while (this.#open && this.#current === undefined) {
      const next = this.#queue.shift();
      if (next === undefined) return;
      if (next.speech.done) continue; // interrupted while it waited
      const { speech, task } = next;
      this.#current = speech;
      speech._play();
      const running = task(speech).then(
        () => speech._finish(),
        (error: unknown) => {
          this.onTaskError(speech, error);
          speech._finish(error);
        },
      );
      this.#tasks.set(speech, running);
    }
  }

  /** Relays what the speech the agent attends to is doing, if that changed. */
  #relayActivity(): void {
    const activity = this.#activity();
    if (activity === this.#relayed) return;
    this.#relayed = activity;
    this.relay(activity);
  }

  /**
   * What the agent attends to: the speech holding the output while it is generated or heard, or
   * while its own tools are pending; once it is done with the output, that (idle) first, even when
   * another speech's tools still run; then any speech running its tools (also while a say() waits
   * for its audio behind them); else nothing.
   */
  #activity(): SpeechActivityEvent {
    const current = this.#current;
    const phase = current ? playingPhase(current.actor.getSnapshot()) : undefined;
    if (phase === 'speaking') return SPEAKING;
    if (phase === 'runningTools') return TOOLS_PENDING;
    if (current && phase !== 'generating') return IDLE;
    for (const speech of this.#live) if (playingPhase(speech.actor.getSnapshot()) === 'runningTools') return TOOLS_PENDING;
    return current ? GENERATING[current.source] : IDLE;
  }
}

/** Where a playing speech is (generating, speaking, runningTools, settled); undefined when it is not playing. */
function playingPhase(snapshot: SpeechSnapshot): string | undefined {
  if (snapshot.status !== 'active') return undefined;
  return (snapshot.value as { playing?: string }).playing;
}

/** Whether a speech is done with the output: it was released. */
function released(snapshot: SpeechSnapshot): boolean {
  const phase = playingPhase(snapshot);
  return phase === 'runningTools' || phase === 'settled';
}
