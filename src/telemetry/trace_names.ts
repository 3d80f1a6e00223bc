/**
 * The names of voxstate's spans and of their attributes. Where LiveKit's agents (Python and
 * agents-js) have a name for the same thing, it is theirs, so that queries and dashboards written
 * for LiveKit's traces work on voxstate's; OpenTelemetry's GenAI conventions (`gen_ai.*`) where
 * they apply; `voxstate.*` for what neither names.
 *
 * Durations in attributes are in seconds, as LiveKit's (`lk.response.ttft`, `lk.e2e_latency`).
 *
 * Content (what the user said, tool arguments and outputs, the room's name, error messages) is
 * under LiveKit's `lk.pii.*` names, and only recorded when `setTracing({ recordContent: true })`
 * says so: LiveKit strips its `lk.pii.*` attributes before any exporter but its own cloud, so the
 * same default keeps content out of a third-party backend.
 */

/** Span names. */
export const SPAN = {
  /** The job, from its start to its result (LiveKit's name; LiveKit's ends with the entrypoint function). */
  job: 'job_entrypoint',
  /** An AgentSession, from start() to its close. */
  session: 'agent_session',
  /** One activation of an agent in a session: from taking charge to the end of its onExit. */
  activation: 'agent_activity',
  /** The agent's onEnter hook. */
  onEnter: 'on_enter',
  /** The agent's onExit hook. */
  onExit: 'on_exit',
  /** A user's turn: from the start of their speech (or their typed message) to the end of the replies to it. */
  userTurn: 'user_turn',
  /** The recognition of a spoken turn: from the start of the user's speech to its final transcript. */
  stt: 'stt_request',
  /** One speech of the agent (a reply, a reply to tool outputs, a say()). */
  agentTurn: 'agent_turn',
  /** One request to the LLM (or one response of a realtime model). */
  llm: 'llm_request',
  /** One synthesis request to the TTS. */
  tts: 'tts_request',
  /** One tool call. */
  tool: 'function_tool',
} as const;

/** Names of span events. */
export const EVENT = {
  /** On the session span: the conversation was handed over to another agent. */
  handoff: 'agent_handoff',
  /** On an activation: an AgentTask took over (paused) and handed back (resumed). */
  paused: 'paused',
  resumed: 'resumed',
  /** On the session span: an STT's usage report (streaming STTs report per connection, not per turn). */
  sttMetrics: 'stt_metrics',
  /** On the session span: an error the session reported (OpenTelemetry's exception event). */
  exception: 'exception',
} as const;

/** Attribute names. */
export const ATTR = {
  // The job (LiveKit's).
  jobId: 'lk.job_id',
  agentName: 'lk.agent_name',
  roomSid: 'lk.room_sid',
  dispatchId: 'lk.dispatch_id',
  workerId: 'lk.job.worker_id',
  /** Content: a room's name often holds a phone number or a user's id. */
  roomName: 'lk.pii.room_name',
  shutdownReason: 'lk.shutdown.reason',
  /** voxstate's: success, failed (the JobResult's status). */
  jobStatus: 'voxstate.job.status',
  /** voxstate's: prefix of the job's log context fields (`ctx.logContextFields`), one attribute each. */
  contextPrefix: 'voxstate.context.',

  // The session (LiveKit's).
  closeReason: 'lk.close_reason',

  // Agents.
  agentLabel: 'lk.agent_label',
  previousAgentLabel: 'lk.previous_agent_label',
  genAiAgentName: 'gen_ai.agent.name',
  /** voxstate's: the activation is an AgentTask's. */
  agentTask: 'voxstate.agent.task',

  // Turns (LiveKit's).
  userTranscript: 'lk.pii.user_transcript',
  transcriptionDelay: 'lk.transcription_delay',
  endOfTurnDelay: 'lk.end_of_turn_delay',
  e2eLatency: 'lk.e2e_latency',
  /** voxstate's: the label of the STT that heard the turn. */
  sttLabel: 'voxstate.stt.label',

  // Speech.
  speechId: 'lk.speech_id',
  interrupted: 'lk.interrupted',
  /** voxstate's: say, generate_reply or tool_response. */
  speechSource: 'voxstate.speech.source',
  /** voxstate's: the LLM step of the user turn this speech is (1, then 2 for the reply to tool outputs, …). */
  speechStep: 'voxstate.speech.step',

  // Model requests.
  operationName: 'gen_ai.operation.name',
  providerName: 'gen_ai.provider.name',
  requestModel: 'gen_ai.request.model',
  responseId: 'gen_ai.response.id',
  inputTokens: 'gen_ai.usage.input_tokens',
  outputTokens: 'gen_ai.usage.output_tokens',
  cachedInputTokens: 'gen_ai.usage.cache_read.input_tokens',
  timeToFirstChunk: 'gen_ai.response.time_to_first_chunk',
  ttft: 'lk.response.ttft',
  ttfb: 'lk.response.ttfb',
  ttsLabel: 'lk.tts.label',
  llmMetrics: 'lk.llm_metrics',
  ttsMetrics: 'lk.tts_metrics',
  realtimeMetrics: 'lk.realtime_model_metrics',
  /** voxstate's: the request was cut short (an interruption). */
  cancelled: 'voxstate.request.cancelled',
  /** voxstate's: seconds of audio an STT heard, and how long a non-streaming recognition took. */
  sttAudioDuration: 'voxstate.stt.audio_duration',
  sttDuration: 'voxstate.stt.duration',
  sttStreamed: 'voxstate.stt.streamed',

  // Tool calls (LiveKit's, and the GenAI conventions').
  toolId: 'lk.function_tool.id',
  toolName: 'lk.function_tool.name',
  toolIsError: 'lk.function_tool.is_error',
  toolArguments: 'lk.pii.function_tool.arguments',
  toolOutput: 'lk.pii.function_tool.output',
  genAiToolName: 'gen_ai.tool.name',
  genAiToolCallId: 'gen_ai.tool.call.id',

  // Errors (OpenTelemetry's).
  errorType: 'error.type',
  exceptionType: 'exception.type',
  /** Content: a message may quote what the user said or what a tool returned. */
  exceptionMessage: 'exception.message',
  /** voxstate's: what reported the error (llm, tts, tool, agent, …). */
  errorSource: 'voxstate.error.source',
} as const;
