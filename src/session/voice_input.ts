/**
 * A session listening to the user's voice: audio goes to the VAD and the STT (AudioRecognition and
 * the user-turn statechart), user speech over the agent pauses or interrupts it (with the
 * false-interruption check), the reply may be requested before the turn is over (preemptive
 * generation), and each spoken turn's latencies are measured. The session hears about all of it
 * through its host.
 */
import type { Agent } from '../agent/agent.js';
import type { Clock } from '../actors/start_actor.js';
import type { AudioFrame } from '../audio/audio_frame.js';
import { VoxstateError } from '../errors.js';
import type { ChatContext } from '../llm/chat_context.js';
import type { LLM } from '../llm/llm.js';
import type { SpeechHandle } from '../speech/speech_handle.js';
import { VADStreamAdapter } from '../stt/vad_stream_adapter.js';
import type { STT } from '../stt/stt.js';
import { AudioRecognition } from '../turn/audio_recognition.js';
import { InterruptionDecision } from '../turn/false_interruption.js';
import { PreemptiveReply } from '../turn/preemptive_reply.js';
import type { VAD } from '../vad/vad.js';
import type { TurnMetrics } from './events.js';

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
  metrics(metrics: TurnMetrics): void;
}

export interface VoiceInputOptions {
  vad: VAD | undefined;
  stt: STT | undefined;
  minEndpointingDelay: number;
  maxEndpointingDelay: number;
  minInterruptionDuration: number;
  falseInterruptionTimeout: number;
  preemptiveGeneration: boolean;
  language?: string;
  clock?: Clock;
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
    this.#decision = new InterruptionDecision(
      { pause: () => host.pause(), resume: () => host.resume(), interrupt: () => host.interrupt(), falseInterruption: () => host.falseInterruption() },
      options.falseInterruptionTimeout,
    );
    this.#recognition = new AudioRecognition(
      {
        speechStarted: () => {
          this.#interrupted = false;
          host.speechStarted();
        },
        speechEnded: () => {
          this.#times = { endOfSpeech: Date.now() };
          host.speechEnded();
        },
        speaking: (event) => {
          // Speech long enough pauses the agent (or interrupts it, if its output cannot pause),
          // if its speech allows interruptions.
          if (this.#interrupted || event.speechDurationMs < options.minInterruptionDuration) return;
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
          this.#times.committed = Date.now();
          host.turnCompleted(transcript);
        },
        error: (error, source) => host.failed(error, source),
      },
      {
        ...(options.vad ? { vad: options.vad } : {}),
        ...(stt ? { stt } : {}),
        minEndpointingDelay: options.minEndpointingDelay,
        maxEndpointingDelay: options.maxEndpointingDelay,
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

  /** Requests the reply to the turn so far, before the turn is over (preemptive generation). */
  #preempt(finalText: string): void {
    const llm = this.host.llm();
    const agent = this.host.currentAgent();
    if (!this.options.preemptiveGeneration || !llm || !agent || !this.host.running()) return;
    const before = this.#recognition.turn.getSnapshot().context.transcript;
    const transcript = (before === '' ? finalText.trim() : `${before} ${finalText.trim()}`).trim();
    if (transcript === '' || this.#preemptive?.transcript === transcript) return;
    this.#preemptive?.cancel();
    this.#preemptive = new PreemptiveReply(transcript, agent, this.host.history.items.length, llm, this.host.history);
  }
}
