/**
 * AgentSession: runs an Agent in a conversation. Its lifecycle, what its agent is doing and what
 * its user is doing are machines/session.ts (lifecycle idle → starting → running → draining →
 * closing → closed, beside the agent's and the user's states); this class provides the machine's
 * phases (connecting the room, exiting the agents, waiting for speech, releasing resources) and
 * its actions on speech (pausing, resuming, interrupting it), schedules speech, and re-emits the
 * machine's events as LiveKit-style session events.
 *
 *   const session = new AgentSession({ llm });
 *   await session.start({ agent: new MyAgent(), room: ctx.room });
 *   session.say('Hello!');
 */
import type { Actor, SnapshotFrom, StateValue } from 'xstate';
import { fromTask } from '../actors/from_task.js';
import { sessionMachine, type AgentState, type CloseReason, type SessionTimeout, type UserInterruption, type UserState } from '../../machines/session.js';
import { Agent, AgentTask, StopResponse } from '../agent/agent.js';
import { AgentStack } from '../agent/agent_stack.js';
import { hostOf, startActor, type Clock } from '../actors/start_actor.js';
import { until } from '../actors/until.js';
import {
  ClosedError,
  HookError,
  InterruptionRefusedError,
  InvalidOptionsError,
  NotStartedError,
  TimeoutError,
  VoxstateError,
  describe,
  type ListenerError,
} from '../errors.js';
import { EventEmitter } from '../events/emitter.js';
import { isOfflineStandIn, type OfflineStandIn, type STT, type TTS, type VAD } from '../inference/models.js';
import type { AudioFrame } from '../audio/audio_frame.js';
import { currentJobContext } from '../job/job_scope.js';
import { ChatContext, type ChatItem, type ChatMessage } from '../llm/chat_context.js';
import type { LLM, ToolChoice } from '../llm/llm.js';
import type { GenerationCreatedEvent, RealtimeModel } from '../llm/realtime.js';
import { isRealtimeModel, RealtimeLink, type RealtimeScope } from './realtime_link.js';
import { playSynthesized } from '../speech/synthesized_output.js';
import { log } from '../log/logger.js';
import type { Room } from '../room/room.js';
import type { AudioOutput } from '../audio/audio_output.js';
import { VoiceOutput } from '../speech/voice_output.js';
import { SpeechHandle, type SpeechSource } from '../speech/speech_handle.js';
import { HistoryOnlyOutput, RoomTextOutput, type Playout, type SpeechOutput } from '../speech/speech_output.js';
import { SpeechScheduler, type SpeechTask } from '../speech/speech_scheduler.js';
import { currentSpeech } from '../speech/speech_scope.js';
import type { AgentMetrics, AgentSessionEvents, CloseEvent } from './events.js';
import { ModelUsageCollector, type AgentSessionUsage } from '../metrics/usage.js';
import type { ModelEvents } from '../provider/model.js';
import { ProviderError } from '../provider/provider_error.js';
import { asRequester, onRequestMetrics } from '../provider/requester.js';
import { runRealtimeToolCalls, runReply, type ReplyOptions, type ReplyScope } from './reply.js';
import { RoomIO } from './room_io.js';
import { resolveRoomOptions, type RoomInputOptions, type RoomOptions, type RoomOutputOptions } from './room_options.js';
import { VoiceInput } from './voice_input.js';
import { SessionFlow, type SessionFlowOptions } from './session_flow.js';
import { SessionRecorder } from '../report/session_recorder.js';
import { makeSessionReport } from '../report/make_session_report.js';
import { SessionRecording, type RecordingOptions } from '../recording/session_recording.js';
import type { SessionReportParts } from '../report/build_session_report.js';
import type { Flow } from '../flow/flow.js';
import type { FlowRun } from '../flow/flow_run.js';
import type { SavedSession } from '../flow/saved_session.js';
import { toolEntries, type NamedTool } from '../llm/tool_set.js';
import { PendingRunResult, RunResult } from '../testing/run_result.js';
import type { RunEvent } from '../testing/run_events.js';
import { resolveTurnOptions, type FlatTurnOptions, type TurnHandlingOptions, type TurnOptions } from '../turn/turn_handling.js';
import { announce } from '../inspect/registry.js';
import { traceActivation, traceSession } from '../telemetry/session_tracing.js';

/**
 * An AgentSession's options. The turn-taking settings come in two shapes: flat, as LiveKit's Python
 * AgentSession has them (`minEndpointingDelay`, …), or agents-js's `turnHandling`; a setting may
 * be given in one of them, not both. What cannot be honoured throws InvalidOptionsError.
 */
export interface AgentSessionOptions<UserData = unknown> extends FlatTurnOptions {
  /** The LLM, or a realtime model (speech to speech: it hears the user and speaks itself). */
  llm?: LLM | RealtimeModel;
  /** Speech recognition; an offline stand-in (no credentials) leaves the session text-only. */
  stt?: STT | OfflineStandIn;
  /** Speech synthesis; an offline stand-in leaves the agent's speech as text. */
  tts?: TTS | OfflineStandIn;
  vad?: VAD;
  userData?: UserData;
  /** Most LLM steps one user turn may take through tool calls (default 3). */
  maxToolSteps?: number;
  /**
   * Seconds of shared silence before the user is `away` (default 15); null never. In seconds, as
   * in both LiveKit SDKs (the session's other durations are in ms).
   */
  userAwayTimeout?: number | null;
  /** Upper bound for onEnter and for onExit of each agent, in ms (default 30000). */
  agentHookTimeout?: number;
  /** Upper bound for queued speech to play out while draining, in ms (default 30000). */
  speechDrainTimeout?: number;
  /** Upper bound for releasing resources once drained, in ms (default 10000). */
  closeTimeout?: number;
  /** Start the reply on the final transcript, before the turn is committed (or turnHandling.preemptiveGeneration). */
  preemptiveGeneration?: boolean;
  /** ms after the user's end of speech before a transcribed turn ends (default 500; or turnHandling.endpointing.minDelay). */
  minEndpointingDelay?: number;
  /** ms after the user's end of speech after which the turn ends regardless (default 3000; or turnHandling.endpointing.maxDelay). */
  maxEndpointingDelay?: number;
  /** ms of user speech that interrupt the agent (default 500; or turnHandling.interruption.minDuration). */
  minInterruptionDuration?: number;
  /**
   * ms to wait for words after the user spoke over the agent, whose speech is paused meanwhile
   * (when the output can pause); without words it resumes (default 2000; or
   * turnHandling.interruption.falseInterruptionTimeout).
   */
  falseInterruptionTimeout?: number;
  /** agents-js's shape of the turn-taking settings: endpointing, interruption, preemptive generation. */
  turnHandling?: TurnHandlingOptions;
  /** Language for speech recognition, e.g. "en". */
  language?: string;
  /** Where the agent's audio goes; with a TTS (not an offline stand-in), speech is spoken there. */
  audioOutput?: AudioOutput;
  /** Unrecoverable LLM or TTS failures in a row (without the agent speaking) that close the session (default 3). */
  maxUnrecoverableErrors?: number;
  /** Clock for the session's timers (XState's SimulatedClock in tests). */
  clock?: Clock;
  /**
   * Records the conversation: the user's and the agent's audio in one stereo WAV file, and the
   * session report beside it, written into `dir` once the session has closed. A directory that
   * cannot be written fails start() with a RecordingError. In a job, `console --record DIR` sets it.
   */
  record?: RecordingOptions;
  /**
   * Keep what a session report needs while the session runs (default true): every event, and the
   * state timeline of its actors (about 2.8 KB and 30 µs of CPU per text turn). False keeps
   * nothing: makeSessionReport() and `record` are then refused.
   */
  report?: boolean;
}

export interface SayOptions {
  allowInterruptions?: boolean;
  /** Add what was played to the history (default true). */
  addToChatCtx?: boolean;
}

export interface GenerateReplyOptions {
  /** A user message to add before replying. */
  userInput?: string;
  /** Extra instructions for this reply only. */
  instructions?: string;
  allowInterruptions?: boolean;
  toolChoice?: ToolChoice;
}

export type SessionState = 'idle' | 'starting' | 'running' | 'draining' | 'closing' | 'closed';

/** What AgentSession.start() takes: the agent to start with, or a flow (whose states name the agents). */
export interface StartOptions extends Partial<Omit<SessionFlowOptions, 'flow'>> {
  agent?: Agent;
  /** A conversation flow (defineFlow): its statechart decides which agent talks, and its context is userData. */
  flow?: Flow;
  room?: Room;
  inputOptions?: RoomInputOptions;
  outputOptions?: RoomOutputOptions;
}

/** The control surface for user input: typed or transcribed text and VAD edges. */
export interface UserInput {
  /**
   * A finished user turn: interrupts the agent if it may, adds the message, runs the agent's
   * onUserTurnCompleted and schedules the reply (announced by `speech_created`). Resolves once
   * that is done, not when the reply has been heard.
   */
  text(text: string): Promise<void>;
  /** The user started speaking (VAD start of speech). */
  speechStarted(): void;
  /** The user stopped speaking (VAD end of speech). */
  speechEnded(): void;
}

type SessionSnapshot = SnapshotFrom<typeof sessionMachine>;

export class AgentSession<UserData = unknown> extends EventEmitter<AgentSessionEvents> {
  static readonly #machine = sessionMachine.provide({
    actors: {
      startSession: fromTask(({ system }) => hostOf<AgentSession>(system).#connect()),
      exitAgent: fromTask(({ system }) => hostOf<AgentSession>(system).#agents.exitAll()),
      awaitSpeech: fromTask(async ({ system }) => {
        const session = hostOf<AgentSession>(system);
        await session.#scheduler.settled(session.#drainExempt);
        await session.#output?.flush?.();
      }),
      releaseResources: fromTask(({ system }) => hostOf<AgentSession>(system).#release()),
    },
    actions: {
      interruptAllSpeech: ({ system }) => hostOf<AgentSession>(system).#interruptAll(),
      interruptSpeech: ({ system, event }, { by }) => hostOf<AgentSession>(system).#userInterrupts(by, event),
      pauseSpeech: ({ system }) => hostOf<AgentSession>(system).#pause(),
      resumeSpeech: ({ system }) => hostOf<AgentSession>(system).#resume(),
    },
  });

  readonly actor: Actor<typeof sessionMachine>;
  /** The conversation so far. */
  readonly history = new ChatContext();
  readonly #userData: UserData;
  llm: LLM | RealtimeModel | undefined;
  stt: STT | OfflineStandIn | undefined;
  tts: TTS | OfflineStandIn | undefined;
  vad: VAD | undefined;
  readonly input: UserInput;
  readonly #options: Required<Pick<AgentSessionOptions, 'maxToolSteps' | 'agentHookTimeout' | 'maxUnrecoverableErrors'>> &
    Pick<AgentSessionOptions, 'language' | 'clock' | 'audioOutput' | 'record'>;
  readonly #turn: TurnOptions;
  readonly #usage = new ModelUsageCollector();
  readonly #scheduler: SpeechScheduler;
  readonly #agents: AgentStack;
  readonly #drainExempt = new Set<SpeechHandle>();
  readonly #closed: Promise<CloseEvent>;
  #resolveClosed!: (event: CloseEvent) => void;
  #output: SpeechOutput | undefined;
  /** The room the session was started with, and how it uses it. */
  #room: { room: Room; options: RoomOptions } | undefined;
  #roomIO: RoomIO | undefined;
  /** The flow the session runs, if started with one. */
  #flow: SessionFlow | undefined;
  /** What the session's report is made of, kept as it runs. */
  readonly #recorder: SessionRecorder | undefined;
  /** The conversation's recording, when the session records. */
  #recording: SessionRecording | undefined;
  #recordingSaved: Promise<void> | undefined;
  /** The run() under way, if any: runs do not nest. */
  #pendingRun: Promise<RunEvent[]> | undefined;
  #unrecoverable = 0;
  #stopWatchingModels: () => void = () => {};
  #voice: VoiceInput | undefined;
  /** The conversation with the realtime model, when the session's llm is one (opened at start). */
  #realtime: RealtimeLink | undefined;
  /** Where the realtime model's own voice plays (its audio answers, with somewhere to play them). */
  #realtimeAudio: AudioOutput | undefined;
  /** What close() and aclose() return: one promise, resolved once the session has closed. */
  #closing: Promise<void> | undefined;
  readonly #replies: ReplyScope;

  /** Throws InvalidOptionsError when a turn-taking setting cannot be honoured (see TurnHandlingOptions), or for `record` without a report. */
  constructor(options: AgentSessionOptions<UserData> = {}) {
    super();
    if (options.report === false && options.record) {
      throw new InvalidOptionsError('AgentSession', ['record writes the session report beside the audio: leave report on (report: false keeps none)']);
    }
    this.#turn = resolveTurnOptions(options);
    this.llm = options.llm;
    this.stt = options.stt;
    this.tts = options.tts;
    this.vad = options.vad;
    this.#userData = options.userData as UserData;
    this.#options = {
      maxToolSteps: options.maxToolSteps ?? 3,
      agentHookTimeout: options.agentHookTimeout ?? 30_000,
      maxUnrecoverableErrors: options.maxUnrecoverableErrors ?? 3,
      language: options.language,
      clock: options.clock,
      audioOutput: options.audioOutput,
      record: options.record,
    };
    this.#closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    this.#scheduler = new SpeechScheduler(
      (activity) => this.actor.send(activity),
      (speech, error) => this.#failed(error, speech.source === 'say' ? 'tts' : 'llm'),
    );
    this.#agents = new AgentStack(this, {
      hookTimeout: this.#options.agentHookTimeout,
      report: (error) => this.#report(error, 'agent'),
      // A realtime model speaks as the agent in charge: its instructions and tools (agents-js does the same).
      inCharge: (agent) => this.#realtime?.updateAgent(agent),
      entered: (agent, actor) => {
        this.#recorder?.watch(actor, `agent ${agent.id}`);
        traceActivation(this, agent, actor);
      },
    });
    this.input = {
      text: (text) => this.#userText(text),
      speechStarted: () => this.actor.send({ type: 'user.speechStarted' }),
      speechEnded: () => this.actor.send({ type: 'user.speechEnded' }),
    };
    this.actor = startActor(AgentSession.#machine, {
      name: 'AgentSession',
      host: this,
      input: {
        userAwayTimeout: awayTimeoutMs(options.userAwayTimeout),
        speechDrainTimeout: options.speechDrainTimeout ?? 30_000,
        closeTimeout: options.closeTimeout ?? 10_000,
        interruption: this.#turn.interruption,
        resumeFalseInterruption: this.#turn.resumeFalseInterruption,
        falseInterruptionTimeout: this.#turn.falseInterruptionTimeout,
      },
      onError: (error) => this.#report(error, 'session'),
      ...(options.clock ? { clock: options.clock } : {}),
    });
    this.#recorder = options.report === false ? undefined : new SessionRecorder(this.actor);
    this.actor.on('*', (event) => this.#relay(event));
    this.#replies = {
      session: this,
      maxToolSteps: this.#options.maxToolSteps,
      play: (speech, text, toolCalls) => this.#play(speech, text, true, toolCalls),
      // A realtime model answers from its own conversation: the outputs go in there, before a follow-up asks it.
      toolOutputs: (outputs) => {
        for (const output of outputs) this.#realtime?.sendFunctionOutput(output.callId, output.output);
      },
      followUp: (parent) => {
        if (this.state !== 'running') return;
        if (this.#realtime) this.#realtimeReply(this.#realtime, undefined, false, parent.allowInterruptions, parent);
        else this.#reply({}, false, parent);
      },
      report: (error, source) => this.#report(error, source),
    };
    this.#stopWatchingModels = this.#watchModels();
  }

  /**
   * Relays the measurements of this session's requests to its models (a model shared by the
   * sessions of a process reports each request to the session that made it; a measurement from
   * outside any session's request counts for every session watching), and logs their retries
   * (recoverable errors): this session's own failures come from its own requests (#failed).
   */
  #watchModels(): () => void {
    const models = [
      ['llm', this.llm],
      ['stt', this.stt],
      ['tts', this.tts],
      ['vad', this.vad],
    ] as const;
    const stops: Array<() => void> = [];
    for (const [source, model] of models) {
      if (!(model instanceof EventEmitter)) continue;
      const emitter = model as EventEmitter<ModelEvents>;
      // A retry is not the session's failure (as LiveKit, it is not an error event): it is logged.
      const onError = (error: ProviderError) => {
        if (error.recoverable) log().warn({ err: error, source }, error.message);
      };
      const stopMetrics = onRequestMetrics(emitter, this, (metrics) => this.#metricsCollected(metrics));
      emitter.on('error', onError);
      stops.push(() => {
        stopMetrics();
        emitter.off('error', onError);
      });
    }
    return () => {
      for (const stop of stops) stop();
    };
  }

  /**
   * Reports a measurement, and the usage it adds (session_usage_updated) if it is billable. A VAD's
   * inference counts in `usage` without an update: a process's streams report together every second
   * (their windows share calls), and an update each time stalled a hundred sessions' audio.
   */
  #metricsCollected(metrics: AgentMetrics): void {
    const createdAt = Date.now();
    this.emit('metrics_collected', { type: 'metrics_collected', metrics, createdAt });
    if (this.#usage.collect(metrics)) this.emit('session_usage_updated', { type: 'session_usage_updated', usage: this.usage, createdAt });
  }

  /**
   * What the session's models were used for so far (agents-js's shape, with totals and VAD
   * inference), summed from the measurements of this session's own requests.
   */
  get usage(): AgentSessionUsage {
    return this.#usage.usage;
  }

  /**
   * A request of this session failed for good. Unrecoverable LLM and TTS failures close the session
   * once `maxUnrecoverableErrors` happen without the agent speaking in between; others (STT, VAD)
   * close it at once: the session could not hear the user any more.
   */
  #failed(error: unknown, source: 'llm' | 'tts' | 'stt' | 'vad' | 'turn' | 'realtime'): void {
    this.#report(error, source);
    const unrecoverable = !(error instanceof ProviderError) || !error.recoverable;
    if (!unrecoverable || this.state !== 'running') return;
    if (source === 'llm' || source === 'tts') {
      this.#unrecoverable += 1;
      if (this.#unrecoverable < this.#options.maxUnrecoverableErrors) return;
    }
    this.#close('error', false, toError(error));
  }

  /** Where the session is in its lifecycle (the machine's lifecycle region). */
  get state(): SessionState {
    return regionState(this.actor.getSnapshot(), 'lifecycle') as SessionState;
  }

  /** What the agent is doing (the machine's agent region). */
  get agentState(): AgentState {
    return regionState(this.actor.getSnapshot(), 'agent') as AgentState;
  }

  /** What the user is doing (the machine's user region). */
  get userState(): UserState {
    return regionState(this.actor.getSnapshot(), 'user') as UserState;
  }

  /** The session's data for its agents and tools: the flow's context when a flow runs, else the `userData` option. */
  get userData(): UserData {
    return (this.#flow ? this.#flow.run.context : this.#userData) as UserData;
  }

  /** The flow the session runs, if any: its actor is the flow's statechart, live. */
  get flow(): FlowRun | undefined {
    return this.#flow?.run;
  }

  /**
   * The session as it is now, to continue in another session (`start({ flow, resume })`): the
   * flow's state and context, the agent in charge and the history. Only for a session with a flow.
   */
  save(): SavedSession {
    if (!this.#flow) throw new VoxstateError('no_flow', 'save() needs a session started with a flow');
    return this.#flow.save();
  }

  /** What the session's report is made of (see makeSessionReport). @internal */
  _reportParts(): SessionReportParts {
    if (!this.#recorder) throw new VoxstateError('no_report', 'this session keeps no report: it was made with report: false');
    const label = (model: unknown) => (model && typeof model === 'object' && 'label' in model ? String((model as { label: unknown }).label) : undefined);
    return {
      recorder: this.#recorder,
      history: this.history.items,
      usage: this.usage,
      room: this.room?.name,
      options: {
        llm: label(this.llm),
        stt: label(this.stt),
        tts: label(this.tts),
        vad: label(this.vad),
        ...this.#options,
        clock: undefined,
        audioOutput: undefined,
        turn: this.#turn,
        ...(this.#flow ? { flow: this.#flow.run.flow.id } : {}),
      },
    };
  }

  /** The tools a reply of `agent` offers: its own, and the flow's transitions it may take now. @internal */
  _toolsOf(agent: Agent): NamedTool[] {
    const own = toolEntries(agent.tools, `agent ${agent.id}`);
    return this.#flow ? [...own, ...this.#flow.toolsOf(agent)] : own;
  }

  /** The agent in charge now (a running AgentTask, else the session's agent). */
  get currentAgent(): Agent | undefined {
    return this.#agents.current;
  }

  /** Where speech goes. Defaults to the room's transcription when started with a room. */
  get output(): SpeechOutput {
    return this.#output ?? HISTORY_ONLY;
  }

  set output(output: SpeechOutput) {
    this.#output = output;
  }

  /** The speech that holds the output now. */
  get currentSpeech(): SpeechHandle | undefined {
    return this.#scheduler.current;
  }

  /** The room the session was started with. */
  get room(): Room | undefined {
    return this.#room?.room;
  }

  /**
   * Starts the session with `agent` (its onEnter runs; start() does not wait for it). With a room,
   * connects it (through the job when it is the job's room) and talks with its first participant
   * of the accepted kinds, as `inputOptions` and `outputOptions` say (agents-js's
   * RoomInputOptions and RoomOutputOptions; InvalidOptionsError for what voxstate cannot honour).
   * Rejects when connecting fails. Starting a started session does nothing.
   */
  async start(options: StartOptions): Promise<void> {
    if (options?.flow === undefined && !(options?.agent instanceof Agent)) throw new TypeError('start() needs { agent } (an Agent) or { flow } (made by defineFlow)');
    if (options.flow !== undefined && options.agent !== undefined) throw new TypeError('start() takes { agent } or { flow }, not both: the flow names its agents');
    const state = this.state;
    if (state === 'running' || state === 'starting') return;
    if (state !== 'idle') throw new ClosedError('AgentSession', 'start()', state);
    const roomOptions = resolveRoomOptions(options.inputOptions, options.outputOptions);
    const record = this.#options.record ?? currentJobContext()?._recordOptions;
    // Checked before anything starts: a recording that cannot be written is refused now, not at the end.
    if (record) this.#recording = await SessionRecording.open(record);
    if (options.flow !== undefined) {
      const { flow, resume, persist } = options;
      const opened = await SessionFlow.open(this, { flow, ...(resume ? { resume } : {}), ...(persist ? { persist } : {}) }, {
        handOver: (agent) => this.updateAgent(agent),
        // The same agent in another state may take other transitions: a realtime model is told its tools again.
        moved: (agent) => {
          if (agent === this.currentAgent) this.#realtime?.updateAgent(agent);
        },
        done: () => this.#flowDone(currentSpeech()),
        report: (error) => this.#report(error, 'flow'),
        ...(this.#options.clock ? { clock: this.#options.clock } : {}),
      });
      // Another start() went first while the saved session loaded.
      if (this.state !== 'idle' || this.#flow) return opened.close();
      this.#flow = opened;
      this.#recorder?.watch(opened.run.actor, `flow ${flow.id}`);
    }
    traceSession(this);
    this.#agents.enterLater(this.#flow?.run.agent ?? options.agent!);
    this.#room = options.room && { room: options.room, options: roomOptions };
    this.actor.send({ type: 'start' });
    await until(this.actor, (snapshot) => !snapshot.matches({ open: { lifecycle: 'starting' } }));
    if (this.state !== 'running') {
      // The session closed (or failed to start) before its agent entered: the agent exits unentered.
      this.#agents.abandonNext();
      const closeError = this.actor.getSnapshot().context.closeError;
      if (closeError !== undefined) throw toError(closeError);
      return;
    }
    this.#agents.enterNext();
    this.#scheduler.open();
  }

  /** Speaks `text`. Throws ClosedError once the session is closing (onExit may still speak). */
  say(text: string | AsyncIterable<string>, options: SayOptions = {}): SpeechHandle {
    this.#acceptSpeech('say()');
    if (isRealtimeModel(this.llm) && (!this.tts || isOfflineStandIn(this.tts))) {
      throw new VoxstateError('no_tts', 'say() with a realtime model needs a TTS on the session (the model speaks only its own replies): add tts, or use generateReply({ instructions })');
    }
    if (typeof text !== 'string' && !(text && Symbol.asyncIterator in Object(text))) {
      throw new TypeError('say() needs a string or an async iterable of strings');
    }
    const speech = this.#newSpeech('say', options.allowInterruptions ?? this.#turn.allowInterruptions);
    const addToChatCtx = options.addToChatCtx ?? true;
    this.#schedule(speech, true, (s) => this.#play(s, typeof text === 'string' ? once(text) : text, addToChatCtx));
    return speech;
  }

  /** Asks the agent's LLM for a reply (after adding `userInput`, if given). */
  generateReply(options: GenerateReplyOptions = {}): SpeechHandle {
    this.#acceptSpeech('generateReply()');
    if (options.userInput !== undefined) this.#commitUserMessage(options.userInput);
    if (this.#realtime) return this.#realtimeReply(this.#realtime, options.instructions, true, options.allowInterruptions);
    return this.#reply(options, true);
  }

  /**
   * Interrupts the current speech and the queued ones. Refused (InterruptionRefusedError) when the
   * current speech does not allow interruptions, unless `force`. Resolves when they have ended.
   */
  async interrupt(options: { force?: boolean } = {}): Promise<void> {
    const current = this.#scheduler.current;
    if (current && !current.done && !current.allowInterruptions && !options.force) {
      throw new InterruptionRefusedError(current.id);
    }
    const self = currentSpeech();
    const targets = [...this.#scheduler.live].filter((speech) => options.force || speech.allowInterruptions);
    for (const speech of targets) speech.interrupt(options);
    await Promise.all(targets.filter((speech) => speech !== self).map((speech) => speech.waitForPlayout()));
  }

  /**
   * Runs the active agent's onExit, then waits for queued speech to play out; the session then
   * takes no new speech and waits for a close. Called from a tool, it does not wait for that tool.
   */
  async drain(): Promise<void> {
    const state = this.state;
    if (state === 'idle') throw new NotStartedError('AgentSession', 'drain()');
    this.#exempt();
    if (state === 'starting') await until(this.actor, (snapshot) => !snapshot.matches({ open: { lifecycle: 'starting' } }));
    this.actor.send({ type: 'drain' });
    // Drained: past onExit and the queued speech (or already closing, or closed).
    await until(
      this.actor,
      (snapshot) =>
        !snapshot.matches({ open: { lifecycle: 'starting' } }) &&
        !snapshot.matches({ open: { lifecycle: { draining: 'exitingAgent' } } }) &&
        !snapshot.matches({ open: { lifecycle: { draining: 'awaitingSpeech' } } }),
    );
  }

  /**
   * Closes the session now: speech in flight is interrupted, onExit still runs. Resolves once
   * closed. The name of LiveKit's Python AgentSession; agents-js's is close(), which is the same.
   */
  aclose(): Promise<void> {
    void this.#close('user_initiated', false);
    // A recording is written once closed: closing is done when it is.
    this.#closing ??= this.#closed.then(() => this.#recordingSaved).then(() => undefined);
    return this.#closing;
  }

  /** agents-js's name for aclose(): the same call, returning the same promise. */
  close(): Promise<void> {
    return this.aclose();
  }

  /** Closes the session in the background; by default queued speech plays out first. */
  shutdown(options: { drain?: boolean; reason?: CloseReason } = {}): void {
    void this.#close(options.reason ?? 'user_initiated', options.drain ?? true);
  }

  /** Resolves with the close event once the session has closed. */
  closed(): Promise<CloseEvent> {
    return this.#closed;
  }

  /** Hands the conversation over to `agent`: the current agent's onExit, then the new one's onEnter. */
  updateAgent(agent: Agent): void {
    if (!(agent instanceof Agent)) throw new TypeError('updateAgent() needs an Agent');
    const state = this.state;
    if (state === 'idle' || state === 'starting') {
      this.#agents.enterLater(agent);
      return;
    }
    if (state !== 'running') throw new ClosedError('AgentSession', 'updateAgent()', state);
    this.#agents.handoff(agent);
  }

  /**
   * Lets `task` take over until it calls complete(): the current agent is paused (no onExit) and
   * resumed afterwards (no second onEnter). Rejects if the session closes first.
   */
  async runTask<T>(task: AgentTask<T>): Promise<T> {
    if (this.state === 'idle' || this.state === 'starting') throw new NotStartedError('AgentSession', 'runTask()');
    if (this.state !== 'running') throw new ClosedError('AgentSession', 'runTask()', this.state);
    return this.#agents.runTask(task);
  }

  /**
   * One user turn, for tests: `userInput` as typed text, then everything the agent does about it
   * (replies, tool calls and their outputs, handoffs and what the new agent says on entering).
   * Returns at once; the result is done when all of it has finished, with the events in order:
   * `await session.run(...)` (the Python seeds' form) or `await session.run(...).wait()`
   * (agents-js's) waits for that. A nested run, or a session that is not running, fails the result.
   */
  run(options: { userInput: string }): PendingRunResult {
    return new PendingRunResult(new RunResult(this.#run(options)));
  }

  async #run(options: { userInput: string }): Promise<RunEvent[]> {
    if (this.#pendingRun) throw new VoxstateError('nested_run', 'nested runs are not supported: await the previous run first');
    if (this.state !== 'running') throw this.state === 'idle' ? new NotStartedError('AgentSession', 'run()') : new ClosedError('AgentSession', 'run()', this.state);
    this.#pendingRun = this.#runTurn(options);
    try {
      return await this.#pendingRun;
    } finally {
      this.#pendingRun = undefined;
    }
  }

  /** One user turn and everything the agent does about it (see run()). */
  async #runTurn(options: { userInput: string }): Promise<RunEvent[]> {
    const { speeches, handoffs } = await this._settleAfter(() => this.#userText(options.userInput));
    const mine = new Set<ChatItem>([...handoffs.keys(), ...[...speeches].flatMap((speech) => speech.chatItems)]);
    // The turn's items are the last ones of the history: look back only as far as the first of
    // them, so that a turn does not cost more as the conversation grows.
    const items = this.history.items;
    let from = items.length;
    for (let found = 0; found < mine.size && from > 0; ) if (mine.has(items[--from]!)) found += 1;
    return items
      .slice(from)
      .filter((item) => mine.has(item))
      .map((item) => (item.type === 'agent_handoff' ? { type: item.type, item, ...handoffs.get(item)! } : ({ type: item.type, item } as RunEvent)));
  }

  /**
   * Runs `action` (a user turn, a timer, an event of the flow), then waits until everything it set
   * off has settled: every speech it created has ended (with its tools), no handoff is under way,
   * and the agents it brought in have finished entering (their onEnter may speak). Throws the
   * error of a speech that failed. Returns the speeches and handoffs, the latter with the agents
   * they were between. @internal (session.run's, and voxstate/testing's flow paths')
   */
  async _settleAfter(action: () => unknown): Promise<{ speeches: Set<SpeechHandle>; handoffs: Map<ChatItem, { oldAgent?: Agent; newAgent: Agent }> }> {
    const speeches = new Set<SpeechHandle>();
    const handoffs = new Map<ChatItem, { oldAgent?: Agent; newAgent: Agent }>();
    let current = this.currentAgent;
    const onSpeech = (event: { speechHandle: SpeechHandle }) => speeches.add(event.speechHandle);
    const onItem = ({ item }: { item: ChatItem }) => {
      if (item.type !== 'agent_handoff') return;
      const newAgent = this.#agents.agents.findLast((agent) => agent.id === item.newAgentId) ?? this.currentAgent!;
      handoffs.set(item, { ...(current && current.id === item.oldAgentId ? { oldAgent: current } : {}), newAgent });
      current = newAgent;
    };
    this.on('speech_created', onSpeech);
    this.on('conversation_item_added', onItem);
    try {
      await action();
      for (let seen = -1; seen !== speeches.size + handoffs.size; ) {
        seen = speeches.size + handoffs.size;
        // A speech interrupted while its tools run has ended; this waits for the tools too.
        await Promise.all([...speeches].map((speech) => this.#scheduler.whenSettled(speech)));
        await this.#agents.settled();
      }
    } finally {
      this.off('speech_created', onSpeech);
      this.off('conversation_item_added', onItem);
    }
    const failed = [...speeches].find((speech) => speech.error !== undefined);
    if (failed) throw failed.error;
    return { speeches, handoffs };
  }

  /**
   * Listens to the user's audio: frames go to the VAD and the STT on their streams, and the
   * user-turn statechart decides when the user has finished; the turn then goes on as typed text
   * would. Resolves when `frames` ends. Needs a VAD or an STT that is not an offline stand-in.
   */
  listen(frames: AsyncIterable<AudioFrame>): Promise<void> {
    const state = this.state;
    if (state === 'idle') throw new NotStartedError('AgentSession', 'listen()');
    if (state !== 'running' && state !== 'starting') throw new ClosedError('AgentSession', 'listen()', state);
    if (this.#recording) frames = this.#recording.listen(frames);
    return asRequester(this, () => {
      if (this.#realtime) return this.#listenRealtime(this.#realtime, frames);
      this.#voice ??= this.#listenToVoice();
      return this.#voice.consume(frames);
    });
  }

  #listenToVoice(): VoiceInput {
    const stt = this.stt && !isOfflineStandIn(this.stt) ? (this.stt as STT) : undefined;
    return new VoiceInput(this, {
      vad: this.vad,
      stt,
      turn: this.#turn,
      ...(this.#options.language ? { language: this.#options.language } : {}),
      ...(this.#options.clock ? { clock: this.#options.clock } : {}),
      failed: (error, source) => this.#failed(error, source),
      report: (error, source) => this.#report(error, source),
    });
  }

  /** Every event the session emits is kept for its report, listened to or not. */
  override emit<E extends keyof AgentSessionEvents>(event: E, ...args: Parameters<AgentSessionEvents[E]>): boolean {
    this.#recorder?.record(event, args[0]);
    return super.emit(event, ...args);
  }

  protected override reportListenerError(error: ListenerError): void {
    this.emit('error', { type: 'error', error, source: 'listener', createdAt: Date.now() });
  }

  // ---- the machine's phases ----

  async #connect(): Promise<void> {
    const job = currentJobContext();
    // The realtime model's session first: the room's audio goes to it as soon as it is heard.
    if (isRealtimeModel(this.llm)) this.#realtime = asRequester(this, () => new RealtimeLink(this.llm as RealtimeModel, this.currentAgent, this.#realtimeScope()));
    if (this.#room) {
      const { room, options } = this.#room;
      // Listen before connecting, so nothing said right after the connection is missed.
      this.#roomIO = new RoomIO(
        room,
        {
          events: this,
          agentState: () => this.agentState,
          userText: (text) => this.#userText(text),
          ...(this.vad || (this.stt && !isOfflineStandIn(this.stt)) || isRealtimeModel(this.llm) ? { userAudio: (frames: AsyncIterable<AudioFrame>) => this.listen(frames) } : {}),
          participantLeft: (identity, close) => {
            this.#flow?.run.notify({ type: 'participant.left', identity });
            if (close) this.shutdown({ drain: false, reason: 'participant_disconnected' });
          },
          report: (error, source) => this.#report(error, source),
        },
        options,
      );
      if (job && job.room === room) await job.connect();
      else if (!room.isConnected) await room.connect();
      this.#roomIO.connected();
    }
    // Decided once connected: the voice goes to the room's published audio.
    this.#output ??= this.#speechOutput();
    if (this.#realtime?.capabilities.audioOutput) this.#realtimeAudio = this.#recorded(this.#options.audioOutput ?? this.#roomIO?.publishAudio());
    job?._registerSession(this);
    if (this.#realtime) await this.#realtime.ready;
  }

  /**
   * The flow reached a final state: once the step that got there is over (a tool's speech, its
   * handoff) and the last agent has entered, the session drains (what it says is heard) and closes.
   */
  #flowDone(speech: SpeechHandle | undefined): void {
    const end = async () => {
      await this.#agents.settled();
      if (this.state === 'running') this.shutdown({ drain: true });
    };
    if (speech) speech.addDoneCallback(() => void end());
    else void end();
  }

  /** What the realtime model's session does to this one. */
  #realtimeScope(): RealtimeScope {
    return {
      userSpeaking: (speaking) => this.#userSpeaking(speaking),
      userTranscribed: (transcript) => {
        this.#commitUserMessage(transcript);
        this.actor.send({ type: 'user.transcribed', transcript, isFinal: true, language: this.#options.language });
      },
      generated: (generation) => {
        if (this.state !== 'running' && this.state !== 'draining') return;
        const speech = this.#newSpeech('generate_reply', this.#turn.allowInterruptions);
        this.#schedule(speech, false, (s) => this.#playGeneration(s, generation));
      },
      // A retry is logged (as the models' retries); a failure closes the session, as in LiveKit. While
      // starting, the start's own failure reports it.
      report: (error) => {
        if (error.recoverable) log().warn({ err: error, source: 'realtime' }, error.message);
        else if (this.state !== 'starting') this.#failed(error, 'realtime');
      },
      metrics: (metrics) => this.#metricsCollected(metrics),
      // A new server session knows nothing: the conversation so far goes back in.
      reconnected: () => this.#realtime?.restore(this.history),
      toolsOf: (agent) => this._toolsOf(agent),
    };
  }

  /**
   * The user started (true) or stopped speaking, as the realtime model (or the session's VAD for it)
   * heard. Over the agent, the session machine decides, as for the pipeline's VAD (it was judged
   * speech, so it is long enough): hold the answer while the user may be interrupting, where the
   * output can pause and the model goes on answering; else cut it.
   */
  #userSpeaking(speaking: boolean): void {
    if (!speaking) return this.input.speechEnded();
    this.input.speechStarted();
    const current = this.#scheduler.current;
    if (!current || current.done || !current.allowInterruptions) return;
    const pausable = !this.#realtime?.capabilities.interruptsItself && this.#realtimeAudio?.pause !== undefined;
    const over = { type: 'user.speakingOver', speechDurationMs: Number.POSITIVE_INFINITY, pausable } as const;
    if (this.actor.getSnapshot().can(over)) this.actor.send(over);
  }

  /** A speech that asks the realtime model for a response and plays it. */
  #realtimeReply(realtime: RealtimeLink, instructions: string | undefined, userInitiated: boolean, allowInterruptions?: boolean, parent?: SpeechHandle): SpeechHandle {
    const speech = this.#newSpeech(parent ? 'tool_response' : 'generate_reply', allowInterruptions ?? this.#turn.allowInterruptions, parent);
    this.#schedule(speech, userInitiated, async (s) => this.#playGeneration(s, await realtime.generateReply(instructions)));
    return speech;
  }

  /**
   * The user's audio, frame by frame, to the realtime model (a hot path: no actor involved). A model
   * without turn detection of its own has the session's VAD decide the turns: at the end of the
   * user's speech the audio is committed and a response asked for.
   */
  async #listenRealtime(realtime: RealtimeLink, frames: AsyncIterable<AudioFrame>): Promise<void> {
    const vad = realtime.capabilities.turnDetection ? undefined : this.vad?.stream();
    const turns = vad && (async () => {
      for await (const event of vad) {
        if (event.type === 'start_of_speech') this.#userSpeaking(true);
        else if (event.type === 'end_of_speech') {
          this.#userSpeaking(false);
          realtime.commitAudio();
          if (this.state === 'running') this.#realtimeReply(realtime, undefined, false);
        }
      }
    })();
    try {
      for await (const frame of frames) {
        if (this.state === 'closing' || this.state === 'closed') return;
        realtime.pushAudio(frame);
        vad?.pushFrame(frame);
      }
    } finally {
      // The microphone is closed: the turns the VAD still holds do not matter any more.
      vad?.endInput();
      await vad?.close();
      await turns;
    }
  }

  /**
   * Plays a realtime model's response as `speech`: each message's audio on the session's audio
   * output (its transcript as text where there is none), what was heard into the history; an
   * interrupted one stops the model and cuts its message where the user stopped hearing it.
   */
  async #playGeneration(speech: SpeechHandle, generation: GenerationCreatedEvent): Promise<void> {
    // The model's own voice when it speaks and there is somewhere to play it; else its text goes to
    // the session's output (spoken by the session's TTS, or shown).
    const audio = this.#realtimeAudio;
    // The functions it calls come beside its messages; they run once its output is released.
    const calls: Array<{ callId: string; name: string; arguments: string }> = [];
    // (A failure of this stream is the generation's: its messages fail with it, below, and report it.)
    const collecting = (async () => {
      for await (const call of generation.functionStream) calls.push({ callId: call.callId, name: call.name, arguments: call.arguments });
    })().catch(() => {});
    let released = false;
    try {
      for await (const message of generation.messageStream) {
        const { playout, commit } = this.#playout(speech);
        let playedMs = 0;
        try {
          if (audio) {
            ({ playedMs } = await playSynthesized(audio, message.audioStream, message.textStream, playout, this.#roomIO?.agentTranscript));
          } else {
            // Text only (or nowhere to play audio): the text goes where the session's speech goes; the
            // audio is left unread (a failure of it is the text's too, reported by the playout).
            void drain(message.audioStream).catch(() => {});
            await this.output.play(message.textStream, playout);
          }
        } finally {
          // What was heard stays in the history, also when the response broke off (a dropped connection).
          if (speech.interrupted) this.#realtime?.interrupted(message.messageId, playedMs);
          commit();
        }
        if (speech.interrupted) break;
      }
      if (!speech.interrupted) await collecting;
      const toRun = speech.interrupted ? [] : calls;
      speech._release(toRun.length);
      released = true;
      if (toRun.length === 0) return;
      try {
        await runRealtimeToolCalls(this.#replies, speech, toRun);
      } finally {
        speech._toolsSettled();
      }
    } finally {
      if (!released) speech._release(0);
    }
  }

  /**
   * Where speech goes: spoken, when the session has a TTS and somewhere to play audio (its
   * audioOutput, else the room's track), with the room's transcription following it; else as text
   * to the room's transcription; else (undefined) into the history only.
   */
  /** `output`, with what the agent plays on it recorded when the session records. */
  #recorded(output: AudioOutput | undefined): AudioOutput | undefined {
    return output && this.#recording ? this.#recording.agentOutput(output) : output;
  }

  #speechOutput(): SpeechOutput | undefined {
    const tts = this.tts && !isOfflineStandIn(this.tts) ? (this.tts as TTS) : undefined;
    const transcript = this.#roomIO?.agentTranscript;
    const audio = tts && this.#recorded(this.#options.audioOutput ?? this.#roomIO?.publishAudio());
    if (tts && audio) return new VoiceOutput(tts, audio, transcript);
    return transcript && new RoomTextOutput(transcript);
  }

  async #release(): Promise<void> {
    this.#interruptAll();
    await this.#realtime?.close();
    await this.#voice?.close();
    this.#stopWatchingModels();
    await this.#scheduler.settled(this.#drainExempt);
    this.#roomIO?.close();
    await this.#output?.close?.();
    await this.#flow?.close();
  }

  // ---- speech ----

  #acceptSpeech(call: string): void {
    const state = this.state;
    if (state === 'idle') throw new NotStartedError('AgentSession', call);
    if (state === 'starting' || state === 'running' || this.actor.getSnapshot().matches({ open: { lifecycle: { draining: 'exitingAgent' } } })) return;
    throw new ClosedError('AgentSession', call, state === 'closed' ? 'closed' : 'closing');
  }

  #newSpeech(source: SpeechSource, allowInterruptions: boolean, parent?: SpeechHandle): SpeechHandle {
    return new SpeechHandle({
      source,
      allowInterruptions,
      ...(parent ? { parent, step: parent.step + 1 } : {}),
      onError: (error) => this.#report(error, 'speech'),
    });
  }

  #schedule(speech: SpeechHandle, userInitiated: boolean, task: SpeechTask): void {
    this._announce('speech_created', { speechHandle: speech, source: speech.source, userInitiated });
    // What its models measure is this session's usage, also when a model is shared.
    this.#scheduler.add(speech, (s) => asRequester(this, () => task(s)));
  }

  #reply(options: GenerateReplyOptions & Pick<ReplyOptions, 'prefetched' | 'chatCtx'>, userInitiated: boolean, parent?: SpeechHandle): SpeechHandle {
    const speech = this.#newSpeech(
      parent ? 'tool_response' : 'generate_reply',
      options.allowInterruptions ?? parent?.allowInterruptions ?? this.#turn.allowInterruptions,
      parent,
    );
    this.#schedule(speech, userInitiated, (s) => runReply(this.#replies, s, options));
    return speech;
  }

  /**
   * Plays `text` for `speech`, then releases its output with the tools to run next (none when the
   * playout failed). What was heard goes into the history when `commit` is set, also when the
   * playout fails part-way (the LLM or the TTS broke off): then the failure is thrown after.
   */
  async #play(speech: SpeechHandle, text: AsyncIterable<string>, commit: boolean, toolCalls: () => number = () => 0): Promise<void> {
    const { playout, commit: commitHeard } = this.#playout(speech);
    let failed: { error: unknown } | undefined;
    try {
      await this.output.play(text, playout);
    } catch (error) {
      if (!speech.signal.aborted) failed = { error };
    } finally {
      speech._release(failed ? 0 : toolCalls());
    }
    if (commit) commitHeard();
    if (failed) throw failed.error;
  }

  /**
   * The playout of one message of `speech`: its start makes the agent speak and reserves the
   * message's place in the history (before anything said over it); `commit` adds what was heard there.
   */
  #playout(speech: SpeechHandle): { playout: Playout; commit: () => void } {
    let heard = '';
    let place: number | undefined;
    const playout: Playout = {
      speechId: speech.id,
      signal: speech.signal,
      started: () => {
        place = this.history.reserve();
        this.#unrecoverable = 0;
        this.#voice?.replyStarted(speech);
        speech._speak();
      },
      played: (piece) => {
        heard += piece;
      },
    };
    const commit = () => {
      if (heard !== '') this.#commitMessage(speech, heard, speech.interrupted, place ?? this.history.reserve());
    };
    return { playout, commit };
  }

  #commitMessage(speech: SpeechHandle, content: string, interrupted: boolean, place: number): void {
    const item = this.history.addMessage({ role: 'assistant', content, interrupted }, place);
    log().info({ speechId: speech.id, text: content, interrupted }, 'agent reply');
    speech.chatItems.push(item);
    this._announce('conversation_item_added', { item });
  }

  #commitUserMessage(content: string): ChatMessage {
    if (typeof content !== 'string') throw new TypeError('user input must be a string');
    const item = this.history.addMessage({ role: 'user', content });
    log().info({ transcript: content }, 'user transcript');
    this._announce('conversation_item_added', { item });
    return item;
  }

  #interruptAll(): void {
    for (const speech of this.#scheduler.live) speech.interrupt({ force: true });
  }

  /** The machine's decision: the user interrupts the speech holding the output (paused or not), if it allows it. */
  #userInterrupts(by: UserInterruption, event: { type: string; transcript?: string }): void {
    const speech = this.#scheduler.current;
    if (!speech || speech.done || !speech.allowInterruptions) return;
    if (by === 'voice') log().debug('user speech over the agent: an interruption');
    if (by === 'words') log().debug({ transcript: event.transcript }, 'words while paused: an interruption');
    speech.interrupt();
    if (by !== 'turn') this.#voice?.decided(true);
  }

  /** The machine's decision: the user spoke over the agent, whose speech is held while they may be interrupting it. */
  #pause(): void {
    log().debug({ falseInterruptionTimeout: this.#turn.falseInterruptionTimeout }, 'user speech over the agent: paused, waiting for words');
    this.#output?.pause?.();
    this.#realtimeAudio?.pause?.();
  }

  /** The machine's decision: no words came, a false interruption: the held speech goes on. */
  #resume(): void {
    log().debug({ falseInterruptionTimeout: this.#turn.falseInterruptionTimeout }, 'no words while paused: a false interruption, resuming');
    this.#output?.resume?.();
    this.#realtimeAudio?.resume?.();
    this.#voice?.decided(false);
  }

  async #userText(text: string): Promise<void> {
    const state = this.state;
    if (state === 'idle') throw new NotStartedError('AgentSession', 'input.text()');
    if (state === 'closed') throw new ClosedError('AgentSession', 'input.text()', 'closed');
    // What the user said is kept even when the session can no longer answer.
    const message = this.#commitUserMessage(text);
    // A realtime model keeps its own conversation: the typed turn goes into it.
    this.#realtime?.sendUserMessage(text);
    // The user is active even when the session can no longer answer (e.g. back while it drains).
    this.actor.send({ type: 'user.active' });
    if (state !== 'running' && state !== 'starting') return;
    // A turn while a speech holds the output interrupts it, if it allows interruptions and the
    // session machine's policy for what the agent is doing lets it; otherwise it is not answered.
    const current = this.#scheduler.current;
    if (current && !current.done && current.allowInterruptions) this.actor.send({ type: 'user.turnCompleted' });
    const reply = !current || current.done;
    const agent = this.currentAgent;
    // The agent may edit this copy: the edits apply to this reply only. (A copy is cheap: it
    // shares the history's items until one of them changes.)
    const turnCtx = this.history.copy();
    try {
      await agent?.onUserTurnCompleted(turnCtx, message);
    } catch (error) {
      if (error instanceof StopResponse) return;
      this.#report(new HookError('onUserTurnCompleted', agent?.id ?? 'agent', error), 'agent');
      return;
    }
    if (!reply) {
      log().info({ speech: current?.id }, 'not replying to this turn: the current speech was not interrupted');
      return;
    }
    if (this.state !== 'running') return;
    if (this.#realtime) {
      this.#realtimeReply(this.#realtime, undefined, false);
      return;
    }
    // A reply requested early is used only if the agent did not edit its turn context either.
    const unchanged = !turnCtx.modified;
    const prefetched = this.#voice?.takePreemptive(text, this.currentAgent, this.history.items.length - 1);
    if (unchanged && prefetched) this.#reply({ prefetched }, false);
    else {
      prefetched?.cancel();
      this.#reply(unchanged ? {} : { chatCtx: turnCtx }, false);
    }
  }

  // ---- closing ----

  #exempt(): void {
    const caller = currentSpeech();
    if (caller) this.#drainExempt.add(caller);
  }

  #close(reason: CloseReason, drain: boolean, error?: VoxstateError): Promise<CloseEvent> {
    this.#exempt();
    this.actor.send(error ? { type: 'close', reason, drain, error } : { type: 'close', reason, drain });
    return this.#closed;
  }

  // ---- events ----

  #report(error: unknown, source: string): void {
    const snapshot = this.actor?.getSnapshot();
    const report = { error: toError(error), source };
    if (snapshot?.status === 'active') this.actor.send({ type: 'error.reported', error: report });
    else this.#emitError(report.error, source);
  }

  #emitError(error: VoxstateError, source: string): void {
    log().error({ err: error, source }, error.message);
    this.emit('error', { type: 'error', error, source, createdAt: Date.now() });
  }

  /**
   * Announces what the session did with data (a history item, a speech, a tool step). These are
   * not changes of state, so they do not go through the machine: only control events do (a
   * transition costs more than the event). As the machine's own announcements, none comes once
   * the session has closed. @internal
   */
  _announce<K extends Announcement>(type: K, event: Omit<Parameters<AgentSessionEvents[K]>[0], 'type' | 'createdAt'>): void {
    if (this.actor.getSnapshot().status !== 'active') return;
    this.emit(type, ...([{ type, ...event, createdAt: Date.now() }] as Parameters<AgentSessionEvents[K]>));
    // The inspector page shows them in the session actor's log, under the session event's name.
    announce(this.actor, { type, ...event });
  }

  /**
   * Writes the recording (the audio and the report, with the close in it), in the background; what
   * goes wrong is logged (no event comes after close).
   */
  #saveRecording(): void {
    const recording = this.#recording;
    if (!recording) return;
    const job = currentJobContext();
    const report = job?.primarySession === this ? job.makeSessionReport(this) : makeSessionReport(this);
    const name = `${(this.room?.name ?? 'session').replace(/[^\w.-]+/g, '_')}-${new Date(report.session.startedAt ?? report.createdAt).toISOString().replace(/[:.]/g, '-')}`;
    this.#recordingSaved = recording.save(name, report).then(
      (files) => void log().info(files, 'session recorded'),
      (error: unknown) => void log().error({ err: error }, error instanceof Error ? error.message : String(error)),
    );
  }

  /** Re-emits what the machine announces, as the session's events (the same payloads, dated). */
  #relay(event: { type: string } & Record<string, unknown>): void {
    const createdAt = Date.now();
    switch (event.type) {
      case 'error': {
        const report = event.error as { error?: unknown; source?: string };
        if (report && typeof report === 'object' && report.error instanceof VoxstateError) this.#emitError(report.error, report.source ?? 'session');
        else this.#emitError(toError(event.error), 'session');
        return;
      }
      case 'close': {
        const close: CloseEvent = {
          type: 'close',
          reason: event.reason as CloseReason,
          error: event.error === undefined ? null : toError(event.error),
          createdAt,
        };
        this.emit('close', close);
        this.#saveRecording();
        this.#resolveClosed(close);
        return;
      }
      default:
        this.emit(event.type as keyof AgentSessionEvents, { ...event, createdAt } as never);
    }
  }
}

/** The session's events about data, which it announces itself (see `_announce`). */
type Announcement = 'conversation_item_added' | 'speech_created' | 'function_tools_executed';

/** Where speech goes when the session has no room and no voice: into the history only. */
const HISTORY_ONLY = new HistoryOnlyOutput();

type Region = 'lifecycle' | 'agent' | 'user';

/** What each region says once the session has closed and its regions have ended (the user as LiveKit resets it). */
const CLOSED: Record<Region, string> = { lifecycle: 'closed', agent: 'idle', user: 'listening' };

/** The state of one region of the session machine: the top-level state it is in. */
function regionState(snapshot: SessionSnapshot, region: Region): string {
  if (snapshot.value === 'closed') return CLOSED[region];
  const value = (snapshot.value as { open: Record<Region, StateValue> }).open[region];
  return typeof value === 'string' ? value : Object.keys(value)[0]!;
}

/** Reads `stream` to its end, discarding it. */
async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of stream);
}

async function* once(text: string): AsyncIterable<string> {
  yield text;
}

function toError(error: unknown): VoxstateError {
  if (error instanceof VoxstateError) return error;
  const timeout = error as Partial<SessionTimeout> | undefined;
  if (timeout?.kind === 'timeout' && typeof timeout.timeoutMs === 'number') {
    return new TimeoutError(timeout.phase === 'close' ? 'closing the session' : 'playing out queued speech', timeout.timeoutMs);
  }
  return new VoxstateError('session_failed', describe(error), { cause: error });
}

/** The away timer in ms, from the option in seconds. */
function awayTimeoutMs(seconds: number | null | undefined): number | null {
  if (seconds === null) return null;
  if (seconds === undefined) return 15_000;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) {
    throw new InvalidOptionsError('AgentSession', [`userAwayTimeout must be a number of seconds above 0, or null for never; got ${String(seconds)}`]);
  }
  return seconds * 1000;
}
