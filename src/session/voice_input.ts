/**
 * A session listening to the user's voice: audio goes to the VAD and the STT (AudioRecognition and
 * the user-turn statechart), user speech over the agent pauses or interrupts it (with the
 * false-interruption check) and each such overlap is reported with what it came to, the reply may
 * be requested before the turn is over (preemptive generation), and each spoken turn's latencies
 * are measured. The session hears about all of it through its host.
 */
import type { Agent } from '../agent/agent.js';
import type { Clock } from '../actors/start_actor.js';
import type { AudioFrame } from '../audio/audio_frame.js';
import { VoxstateError } from '../errors.js';
import { log } from '../log/logger.js';
import type { ChatContext } from '../llm/chat_context.js';
import type { LLM } from '../llm/llm.js';
import type { SpeechHandle } from '../speech/speech_handle.js';
import { VADStreamAdapter } from '../stt/vad_stream_adapter.js';
import type { STT } from '../stt/stt.js';
import { AudioRecognition } from '../turn/audio_recognition.js';
import { InterruptionDecision } from '../turn/false_interruption.js';
import { PreemptiveReply } from '../turn/preemptive_reply.js';
import type { TurnOptions } from '../turn/turn_handling.js';
import type { VAD } from '../vad/vad.js';
import type { OverlappingSpeechEvent, TurnMetrics } from './events.js';

export interface VoiceInputHost {
  readonly history: ChatContext;
  running(): boolean;
  currentAgent(): Agent | undefined;
  llm(): LLM | undefined;
  /** The speech holding the output. */
  currentSpeech(): SpeechHandle | undefined;
  /** Holds the current speech where it is; false when the output cannot pause. */
  pause(): boolean;
  resume(): void;
  /** Interrupts the held (or current) speech, if it allows interruptions. */
  interrupt(): void;
  falseInterruption(): void;
  speechStarted(): void;
  speechEnded(): void;
  transcribed(transcript: string, isFinal: boolean, language: string | undefined): void;
  turnCompleted(transcript: string): void;
  failed(error: unknown, source: 'vad' | 'stt' | 'turn'): void;
  /** The user spoke over the agent, and this is what it came to. */
  overlappingSpeech(overlap: Omit<OverlappingSpeechEvent, 'type' | 'createdAt'>): void;
  metrics(metrics: TurnMetrics): void;
}

export interface VoiceInputOptions {
  vad: VAD | undefined;
  stt: STT | undefined;
  turn: TurnOptions;
  language?: string;
  clock?: Clock;
}

/** User speech over the agent's speech, not decided yet. */
interface Overlap {
  startedAt: number;
  speechId: string;
}

interface TurnTimes {
  endOfSpeech?: number;
  finalTranscript?: number;
  committed?: number;
  measured?: boolean;
}

export class VoiceInput {
  readonly #recognition: AudioRecognition;
  readonly #decision: InterruptionDecision;
  #interrupted = false;
  #overlap: Overlap | undefined;
  #times: TurnTimes = {};
  #preemptive: PreemptiveReply | undefined;

  constructor(
    private readonly host: VoiceInputHost,
    private readonly options: VoiceInputOptions,
  ) {
    let stt = options.stt;
    if (!options.vad && !stt) throw new VoxstateError('no_audio_models', 'listen() needs a VAD or an STT (not an offline stand-in)');
    // An STT that cannot stream transcribes the utterances the VAD cuts out.
    if (stt && !stt.capabilities.streaming) {
      if (!options.vad) throw new VoxstateError('no_vad', `${stt.label} cannot stream: listen() needs a VAD to cut the utterances it transcribes`);
      stt = new VADStreamAdapter(stt, options.vad);
    }
    const { turn } = options;
    this.#decision = new InterruptionDecision(
      {
        pause: () => host.pause(),
        resume: () => host.resume(),
        interrupt: () => {
          this.#decided(true);
          host.interrupt();
        },
        falseInterruption: () => {
          this.#decided(false);
          host.falseInterruption();
        },
      },
      { timeoutMs: turn.falseInterruptionTimeout, resume: turn.resumeFalseInterruption },
    );
    this.#recognition = new AudioRecognition(
      {
        speechStarted: () => {
          this.#interrupted = false;
          this.#overlapping();
          host.speechStarted();
        },
        speechEnded: () => {
          this.#times = { endOfSpeech: Date.now() };
          // Over before it came to anything (too short, or the speech would not be interrupted).
          if (!this.#decision.pending) this.#decided(false);
          host.speechEnded();
        },
        speaking: (event) => {
          this.#overlapping();
          // Speech long enough pauses the agent (or interrupts it, if its output cannot pause),
          // if its speech allows interruptions.
          if (this.#interrupted || event.speechDurationMs < turn.minInterruptionDuration) return;
          const current = host.currentSpeech();
          if (current && !current.done && current.allowInterruptions) {
            this.#interrupted = true;
            this.#decision.userSpeaking();
          }
        },
        transcribed: (transcript, isFinal, language) => {
          if (isFinal) this.#times.finalTranscript ??= Date.now();
          this.#decision.words(transcript);
          if (isFinal) this.#preempt(transcript);
          host.transcribed(transcript, isFinal, language);
        },
        turnCompleted: (transcript) => {
          const times = this.#times;
          times.committed = Date.now();
          log().debug(
            {
              transcript,
              endpointingDelayMs: times.endOfSpeech === undefined ? undefined : times.committed - times.endOfSpeech,
              minEndpointingDelay: turn.minEndpointingDelay,
              maxEndpointingDelay: turn.maxEndpointingDelay,
            },
            'end of user turn',
          );
          host.turnCompleted(transcript);
        },
        error: (error, source) => host.failed(error, source),
      },
      {
        ...(options.vad ? { vad: options.vad } : {}),
        ...(stt ? { stt } : {}),
        minEndpointingDelay: turn.minEndpointingDelay,
        maxEndpointingDelay: turn.maxEndpointingDelay,
        ...(options.language ? { language: options.language } : {}),
        ...(options.clock ? { clock: options.clock } : {}),
      },
    );
  }

  /** Reads the user's audio to its end. */
  consume(frames: AsyncIterable<AudioFrame>): Promise<void> {
    return this.#recognition.consume(frames);
  }

  /**
   * The reply requested early for this turn, if it still fits: same words, same conversation (the
   * user message is the one item added since), same agent. Otherwise it is cancelled.
   */
  takePreemptive(transcript: string, agent: Agent | undefined, historyLength: number): PreemptiveReply | undefined {
    const preemptive = this.#preemptive;
    this.#preemptive = undefined;
    if (preemptive?.fits(transcript, agent, historyLength)) return preemptive;
    preemptive?.cancel();
    return undefined;
  }

  /** The first audio of a reply went out: the latencies of the spoken turn it answers. */
  replyStarted(speech: SpeechHandle): void {
    const times = this.#times;
    if (times.endOfSpeech === undefined || times.committed === undefined || times.measured || speech.source === 'say') return;
    times.measured = true;
    const now = Date.now();
    this.host.metrics({
      type: 'turn_metrics',
      transcriptionDelayMs: (times.finalTranscript ?? times.committed) - times.endOfSpeech,
      endOfUtteranceDelayMs: times.committed - times.endOfSpeech,
      e2eLatencyMs: now - times.endOfSpeech,
      speechId: speech.id,
      timestamp: now,
    });
  }

  async close(): Promise<void> {
    this.#decision.cancel();
    this.#preemptive?.cancel();
    await this.#recognition.close();
  }

  /** The user speaks while the agent's speech is heard: an overlap begins, unless one is open. */
  #overlapping(): void {
    if (this.#overlap) return;
    const speech = this.host.currentSpeech();
    if (speech?.speaking) this.#overlap = { startedAt: Date.now(), speechId: speech.id };
  }

  /** The open overlap came to an interruption, or not. */
  #decided(isInterruption: boolean): void {
    const overlap = this.#overlap;
    if (!overlap) return;
    this.#overlap = undefined;
    this.host.overlappingSpeech({ isInterruption, overlapStartedAt: overlap.startedAt, detectedAt: Date.now(), speechId: overlap.speechId });
  }

  /** Requests the reply to the turn so far, before the turn is over (preemptive generation). */
  #preempt(finalText: string): void {
    const llm = this.host.llm();
    const agent = this.host.currentAgent();
    if (!this.options.turn.preemptiveGeneration || !llm || !agent || !this.host.running()) return;
    const before = this.#recognition.turn.getSnapshot().context.transcript;
    const transcript = (before === '' ? finalText.trim() : `${before} ${finalText.trim()}`).trim();
    if (transcript === '' || this.#preemptive?.transcript === transcript) return;
    this.#preemptive?.cancel();
    this.#preemptive = new PreemptiveReply(transcript, agent, this.host.history.items.length, llm, this.host.history);
  }
}
