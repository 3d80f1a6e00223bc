/**
 * A session listening to the user's voice: audio goes to the VAD and the STT (AudioRecognition and
 * the user-turn statechart), and what comes back becomes the session's control events: the user's
 * speech edges and transcripts, user speech over the agent (the session machine decides whether
 * it pauses or interrupts the agent), and each finished turn as the user's input. Beside that it
 * reports each overlap of the user's speech with the agent's and what it came to, requests the
 * reply before the turn is over (preemptive generation) and measures each spoken turn's latencies.
 */
import { isRealtimeModel } from './realtime_link.js';
import type { Agent } from '../agent/agent.js';
import type { Clock } from '../actors/start_actor.js';
import type { AudioFrame } from '../audio/audio_frame.js';
import { VoxstateError } from '../errors.js';
import { log } from '../log/logger.js';
import type { SpeechHandle } from '../speech/speech_handle.js';
import { VADStreamAdapter } from '../stt/vad_stream_adapter.js';
import type { STT } from '../stt/stt.js';
import { AudioRecognition } from '../turn/audio_recognition.js';
import { PreemptiveReply } from '../turn/preemptive_reply.js';
import type { TurnOptions } from '../turn/turn_handling.js';
import type { VAD } from '../vad/vad.js';
import type { AgentSession } from './agent_session.js';

/** What listening needs of its session: its public API (the user's input, its actor for user speech over the agent, its events). */
export type ListeningSession = Pick<AgentSession, 'history' | 'currentAgent' | 'llm' | 'state' | 'currentSpeech' | 'output' | 'actor' | 'input' | 'emit'>;

export interface VoiceInputOptions {
  vad: VAD | undefined;
  stt: STT | undefined;
  turn: TurnOptions;
  language?: string;
  clock?: Clock;
  /** The VAD, the STT or the user-turn actor failed. */
  failed(error: unknown, source: 'vad' | 'stt' | 'turn'): void;
  /** A finished turn could not be taken as the user's input. */
  report(error: unknown, source: string): void;
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
  #overlap: Overlap | undefined;
  #times: TurnTimes = {};
  #preemptive: PreemptiveReply | undefined;

  constructor(
    private readonly session: ListeningSession,
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
    this.#recognition = new AudioRecognition(
      {
        speechStarted: () => {
          this.#overlapping();
          session.input.speechStarted();
        },
        speechEnded: () => {
          this.#times = { endOfSpeech: Date.now() };
          // Over before it came to anything (too short, or the speech would not be interrupted),
          // unless the agent is paused waiting for the user's words.
          if (!session.actor.getSnapshot().matches({ open: { agent: { listening: 'holding' } } })) this.decided(false);
          session.input.speechEnded();
        },
        speaking: (event) => {
          this.#overlapping();
          // Speech over a speech that allows interruptions: the session machine decides, by what
          // the agent is doing, whether it is long enough to pause or interrupt it.
          const current = session.currentSpeech;
          if (!current || current.done || !current.allowInterruptions) return;
          const over = { type: 'user.speakingOver', speechDurationMs: event.speechDurationMs, pausable: pausable(session) } as const;
          if (session.actor.getSnapshot().can(over)) session.actor.send(over);
        },
        transcribed: (transcript, isFinal, language) => {
          if (isFinal) this.#times.finalTranscript ??= Date.now();
          if (isFinal) this.#preempt(transcript);
          session.actor.send({ type: 'user.transcribed', transcript, isFinal, language });
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
          session.input.text(transcript).catch((error: unknown) => options.report(error, 'input'));
        },
        error: (error, source) => options.failed(error, source),
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
    const metrics = {
      type: 'turn_metrics',
      transcriptionDelayMs: (times.finalTranscript ?? times.committed) - times.endOfSpeech,
      endOfUtteranceDelayMs: times.committed - times.endOfSpeech,
      e2eLatencyMs: now - times.endOfSpeech,
      speechId: speech.id,
      timestamp: now,
    } as const;
    this.session.emit('metrics_collected', { type: 'metrics_collected', metrics, createdAt: now });
  }

  async close(): Promise<void> {
    this.#preemptive?.cancel();
    await this.#recognition.close();
  }

  /** The user speaks while the agent's speech is heard: an overlap begins, unless one is open. */
  #overlapping(): void {
    if (this.#overlap) return;
    const speech = this.session.currentSpeech;
    if (speech?.speaking) this.#overlap = { startedAt: Date.now(), speechId: speech.id };
  }

  /** The open overlap came to an interruption, or not (the session machine decided it). */
  decided(isInterruption: boolean): void {
    const overlap = this.#overlap;
    if (!overlap) return;
    this.#overlap = undefined;
    const detectedAt = Date.now();
    this.session.emit('overlapping_speech', {
      type: 'overlapping_speech',
      isInterruption,
      overlapStartedAt: overlap.startedAt,
      detectedAt,
      speechId: overlap.speechId,
      createdAt: detectedAt,
    });
  }

  /** Requests the reply to the turn so far, before the turn is over (preemptive generation). */
  #preempt(finalText: string): void {
    const agent = this.session.currentAgent;
    const llm = agent?.llm ?? this.session.llm;
    if (!this.options.turn.preemptiveGeneration || !llm || isRealtimeModel(llm) || !agent || this.session.state !== 'running') return;
    const before = this.#recognition.turn.getSnapshot().context.transcript;
    const transcript = (before === '' ? finalText.trim() : `${before} ${finalText.trim()}`).trim();
    if (transcript === '' || this.#preemptive?.transcript === transcript) return;
    this.#preemptive?.cancel();
    this.#preemptive = new PreemptiveReply(transcript, agent, this.session.history.items.length, llm, this.session.history);
  }
}

/** Whether the session's output can hold its speech where it is (and resume it). */
function pausable(session: ListeningSession): boolean {
  return session.output.pause !== undefined && session.output.resume !== undefined;
}
