/**
 * voxstate: realtime voice and chat agents where every job, session, agent and speech is an
 * XState v5 actor. The statecharts themselves are exported from "voxstate/machines".
 */
export { Agent, AgentTask, StopResponse, type AgentOptions, type AgentLifecycleState } from './agent/agent.js';
export {
  AgentSession,
  type AgentSessionOptions,
  type GenerateReplyOptions,
  type SayOptions,
  type SessionState,
  type UserInput,
} from './session/agent_session.js';
export type * from './session/events.js';
export { AgentSessionEventTypes, CloseReason } from './session/events.js';
export * as voice from './voice/index.js';
export * as metrics from './metrics/index.js';
export { logMetrics } from './metrics/log_metrics.js';
export type { AgentSessionUsage } from './metrics/usage.js';
export type { EndpointingOptions, InterruptionOptions, PreemptiveGenerationOptions, TurnHandlingOptions } from './turn/turn_handling.js';
export { SpeechHandle, SPEECH_PRIORITY, type SpeechSource, type SpeechState } from './speech/speech_handle.js';
export { HistoryOnlyOutput, RoomTextOutput, consumeText, type Playout, type SpeechOutput, type TranscriptOutput, type TranscriptSegment } from './speech/speech_output.js';
export { JobContext, type JobContextEvents, type ParticipantEntrypoint, type ShutdownCallback } from './job/job_context.js';
export { Job, JobShutdownError, DEFAULT_JOB_TIMEOUTS, type Entrypoint, type JobResult, type JobTimeouts } from './job/job.js';
export { JobProcess } from './job/job_process.js';
export { jobInfo, parseJobMetadata, type JobInfo } from './job/job_info.js';
export { getJobContext, currentJobContext } from './job/job_scope.js';
export { AgentServer, WorkerPermissions, type AgentServerOptions, type AcceptOptions, type JobRequest, type LoadedWorker } from './server/agent_server.js';
export { defineAgent, isAgent, type AgentDefinition } from './server/define_agent.js';
export { ServerOptions, WorkerOptions, type ServerOptionsInit } from './server/server_options.js';
export * from './server/errors.js';
export { Worker, type WorkerRunOptions, type WorkerStatusInfo, type WorkerEvents, type WorkerState } from './worker/worker.js';
export * from './worker/errors.js';
export type { AcceptArguments, AssignedJob, JobEnd, JobExecutor, JobHandle, RunningJobInfo } from './worker/running_job.js';
export { InProcessExecutor, type InProcessExecutorOptions } from './worker/in_process_executor.js';
export { ProcessPool, type ProcessPoolOptions } from './ipc/process_pool.js';
export { ThreadExecutor, type ThreadExecutorOptions } from './ipc/thread_executor.js';
export type { ExecutorOptions, ExecutorEvents } from './ipc/executor_pool.js';
export { startHealthServer, type HealthServer, type HealthServerOptions, type HealthStatus } from './server/health_server.js';
export * from './llm/index.js';
export * as llm from './llm/index.js';
export { EventEmitter, type EventMap } from './events/emitter.js';
export { AgentRuntime, type AgentRuntimeOptions, type HandlerOptions, type RuntimeEventHandler } from './bus/runtime.js';
export type * from './bus/registry.js';
export { definePlugin, type Plugin, type PluginEvents, type Service } from './bus/plugin.js';
export { MiddlewareError, type Middleware } from './bus/middleware.js';
export { request, type RequestOptions } from './bus/request.js';
export { EventBatcher, type EventBatcherOptions } from './bus/batcher.js';
export { throttle, type Throttled } from './bus/throttle.js';
export { ModelUsageAggregator } from './bus/model_usage.js';
export { LocalRoom, LocalRoomMember, TextStreamReader, type MemberInfo, type MemberView, type ReceivedText, type TextStreamHandler } from './room/local_room.js';
export type { RoomInputOptions, RoomOutputOptions } from './session/room_options.js';
export * from './room/room.js';
export { LiveKitRoom, type LiveKitRoomOptions } from './room/livekit_room.js';
export * from './errors.js';
export { log, createLogger, setRootLogger, rootLogger, initializeLogger, LOG_LEVELS, type InitializeLoggerOptions, type Logger } from './log/logger.js';
export { redactSecrets, addSecretValue } from './log/redact.js';
export { addInspector, type Inspector } from './inspect/registry.js';
export { startStatelyInspector, type StatelyInspector, type StatelyInspectorOptions } from './inspect/stately.js';
export { startInspection, type Inspection, type InspectionOptions } from './inspect/inspection.js';
export * as telemetry from './telemetry/index.js';
export { OfflineLLM } from './inference/offline_llm.js';
export type { STT, TTS, VAD, OfflineStandIn } from './inference/models.js';
export * as inference from './inference/index.js';
// Provider plugins register themselves with `inference` when imported.
export * as openai from './plugins/openai/index.js';
export * as deepgram from './plugins/deepgram/index.js';
export * as cartesia from './plugins/cartesia/index.js';
export * as silero from './plugins/silero/index.js';
import { registerCartesia } from './plugins/cartesia/index.js';
import { registerDeepgram } from './plugins/deepgram/index.js';

registerDeepgram();
registerCartesia();
export { VADStreamAdapter } from './stt/vad_stream_adapter.js';
export type { STT as SpeechToText, SpeechStream, SpeechEvent, SpeechData } from './stt/stt.js';
export type { TTS as TextToSpeech, SynthesizeStream, SynthesizedAudio } from './tts/tts.js';
export type { VAD as VoiceActivityDetector, VADStream, VADEvent, VADOptions } from './vad/vad.js';
export { audioFrame, checkAudioFrame, frameDurationMs, AudioFrameError, MAX_SAMPLE_RATE } from './audio/audio_frame.js';
export { PacedAudioOutput, type AudioOutput } from './audio/audio_output.js';
export { readWavFile, writeWavFile, decodeWav, encodeWav, WavFileError, WavFormatError } from './audio/wav.js';
export { Resampler, resample } from './audio/resample.js';
export { SentenceTokenizer } from './tts/sentences.js';
export { VoiceOutput } from './speech/voice_output.js';
export { ProviderError } from './provider/provider_error.js';
export { DEFAULT_CONN_OPTIONS, type ConnOptions } from './provider/conn_options.js';
export { Model, type ModelEvents } from './provider/model.js';
export type * from './provider/metrics.js';
export * as cli from './cli/index.js';
export { runConsole, type ConsoleOptions } from './console/console.js';
// Conversation flows
export { defineFlow, Flow, type FlowAgent, type FlowDefinition, type FlowStateMeta, type FlowTransitionMeta } from './flow/flow.js';
export { FlowRun } from './flow/flow_run.js';
export { FLOW_SESSION_EVENTS, type FlowSessionEvent } from './flow/flow_events.js';
export { checkFlow, type FlowCheck } from './flow/flow_check.js';
export type { StartOptions } from './session/agent_session.js';
// After the call
export { makeSessionReport } from './report/make_session_report.js';
export { SESSION_REPORT_VERSION, type SessionReport, type ReportEvent, type TimelineEntry } from './report/session_report.js';
export type { SessionEndCallback } from './job/job.js';
export type { UsageTotals, VADModelUsage, LLMModelUsage, TTSModelUsage, STTModelUsage, ModelUsage } from './metrics/usage.js';
// Saved sessions (flows)
export type { SnapshotStore } from './flow/snapshot_store.js';
export type { SavedSession } from './flow/saved_session.js';
export { SnapshotStoreError, type SnapshotStoreErrorKind } from './flow/snapshot_store_error.js';
export { FileSnapshotStore } from './flow/file_snapshot_store.js';
export { RedisSnapshotStore, type RedisSnapshotStoreOptions, type RedisSnapshotClient } from './flow/redis_snapshot_store.js';
