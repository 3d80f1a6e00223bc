/**
 * Listens to the user: audio frames go to the VAD and the STT on their streams (never through an
 * actor); what comes back — speech edges, transcripts — drives the user-turn statechart
 * (machines/user_turn.ts), which decides when the user has finished. The session hears about it
 * through `hooks`.
 */
import type { Actor } from 'xstate';
import { userTurnMachine } from '../../machines/user_turn.js';
import { startActor, type Clock } from '../actors/start_actor.js';
import { checkAudioFrame, type AudioFrame } from '../audio/audio_frame.js';
import { log } from '../log/logger.js';
import type { SpeechStream, STT } from '../stt/stt.js';
import type { VAD, VADEvent, VADStream } from '../vad/vad.js';

export interface RecognitionHooks {
  /** VAD: the user started speaking. */
  speechStarted(event: VADEvent): void;
  /** VAD: the user stopped speaking. */
  speechEnded(event: VADEvent): void;
  /** VAD: a window while the user speaks (to decide an interruption). */
  speaking(event: VADEvent): void;
  /** STT: a transcript, interim or final. */
  transcribed(text: string, isFinal: boolean, language: string | undefined): void;
  /** The user's turn is over. */
  turnCompleted(transcript: string): void;
  error(error: unknown, source: 'vad' | 'stt' | 'turn'): void;
}

export interface AudioRecognitionOptions {
  vad?: VAD;
  stt?: STT;
  minEndpointingDelay: number;
  maxEndpointingDelay: number;
  language?: string;
  clock?: Clock;
}

export class AudioRecognition {
  readonly turn: Actor<typeof userTurnMachine>;
  readonly #vad: VADStream | undefined;
  readonly #stt: SpeechStream | undefined;
  readonly #done: Promise<void>;
  readonly #failed = new Set<'vad' | 'stt'>();

  constructor(
    private readonly hooks: RecognitionHooks,
    options: AudioRecognitionOptions,
  ) {
    this.turn = startActor(userTurnMachine, {
      name: 'user turn',
      input: { minEndpointingDelay: options.minEndpointingDelay, maxEndpointingDelay: options.maxEndpointingDelay },
      onError: (error) => hooks.error(error, 'turn'),
      ...(options.clock ? { clock: options.clock } : {}),
    });
    this.turn.on('turn_completed', (event) => hooks.turnCompleted(event.transcript));
    this.turn.on('turn_dropped', () => log().debug({ maxEndpointingDelay: options.maxEndpointingDelay }, 'user turn dropped: nothing was transcribed'));
    this.#vad = options.vad?.stream();
    this.#stt = options.stt?.stream(options.language ? { language: options.language } : {});
    this.#done = Promise.all([this.#readVad(), this.#readStt()]).then(() => undefined);
  }

  /**
   * Feeds one frame of the user's audio to the VAD and the STT; one that failed is left out. A
   * malformed frame is refused here (AudioFrameError), before it reaches either.
   */
  pushFrame(frame: AudioFrame): void {
    checkAudioFrame(frame);
    if (this.#vad && !this.#failed.has('vad')) this.#push(this.#vad, frame, 'vad');
    if (this.#stt && !this.#failed.has('stt')) this.#push(this.#stt, frame, 'stt');
  }

  #push(stream: VADStream | SpeechStream, frame: AudioFrame, source: 'vad' | 'stt'): void {
    try {
      stream.pushFrame(frame);
    } catch (error) {
      this.#fail(error, source);
    }
  }

  #fail(error: unknown, source: 'vad' | 'stt'): void {
    if (this.#failed.has(source)) return;
    this.#failed.add(source);
    this.hooks.error(error, source);
  }

  /** Reads `frames` to their end (e.g. a room track, a WAV file played in real time). */
  async consume(frames: AsyncIterable<AudioFrame>): Promise<void> {
    for await (const frame of frames) this.pushFrame(frame);
  }

  /** Stops listening; resolves once the VAD and STT streams have ended. */
  async close(): Promise<void> {
    await Promise.all([this.#vad?.close(), this.#stt?.close()]);
    await this.#done;
    this.turn.stop();
  }

  async #readVad(): Promise<void> {
    if (!this.#vad) return;
    try {
      for await (const event of this.#vad) {
        if (event.type === 'start_of_speech') {
          this.turn.send({ type: 'vad.speechStarted' });
          this.hooks.speechStarted(event);
        } else if (event.type === 'end_of_speech') {
          this.turn.send({ type: 'vad.speechEnded' });
          this.hooks.speechEnded(event);
        } else if (event.speaking) {
          this.hooks.speaking(event);
        }
      }
    } catch (error) {
      this.#fail(error, 'vad');
    }
  }

  async #readStt(): Promise<void> {
    if (!this.#stt) return;
    try {
      for await (const event of this.#stt) {
        if (event.type !== 'interim_transcript' && event.type !== 'final_transcript') continue;
        const best = event.alternatives[0];
        if (!best) continue;
        const isFinal = event.type === 'final_transcript';
        if (isFinal) log().debug({ transcript: best.text, language: best.language }, 'received user transcript');
        this.hooks.transcribed(best.text, isFinal, best.language);
        if (isFinal) this.turn.send({ type: 'stt.final', text: best.text });
      }
    } catch (error) {
      this.#fail(error, 'stt');
    }
  }
}
