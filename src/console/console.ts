/**
 * Console mode: runs a job of the server in this process against a LocalRoom, with the terminal as
 * the user. Typed lines are user turns, the agent's speech is printed, and the live states of the
 * job, session and agent actors are shown as they change. Ctrl+C or end of input shuts the job
 * down through the contract, and so does the session closing: the terminal's user is the one
 * participant, and leaves when the agent ends the conversation.
 */
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { isOfflineStandIn } from '../inference/models.js';
import { addInspector } from '../inspect/registry.js';
import type { RecordingOptions } from '../recording/session_recording.js';
import type { JobResult } from '../job/job.js';
import { createLogger, setRootLogger } from '../log/logger.js';
import { LocalRoom } from '../room/local_room.js';
import { TRANSCRIPTION_TOPIC } from '../room/room.js';
import type { AgentServer } from '../server/agent_server.js';
import { stateDisplay } from './state_display.js';
import { playWav, WavRecorder } from './audio_files.js';
import { VoxstateError, describe } from '../errors.js';

export interface ConsoleOptions {
  input?: Readable;
  output?: Writable;
  /** Identity of the terminal user in the room. */
  identity?: string;
  /** Job metadata to pass to the entrypoint. */
  metadata?: string;
  /** Show actor state changes (default true). */
  showStates?: boolean;
  /** Handle SIGINT (default true when input is the process's stdin). */
  handleSignals?: boolean;
  /** A WAV file played in real time as the user's microphone (needs a VAD or an STT). */
  audioInput?: string;
  /** A WAV file the agent's voice is recorded to (needs a TTS). */
  audioOutput?: string;
  /** Records the conversation (both sides' audio and the session report) into a directory. */
  record?: RecordingOptions;
}

const dim = (text: string, color: boolean) => (color ? `\x1b[2m${text}\x1b[22m` : text);

export async function runConsole<U extends Record<string, unknown>>(server: AgentServer<U>, options: ConsoleOptions = {}): Promise<JobResult> {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const color = (output as { isTTY?: boolean }).isTTY === true;
  const print = (line: string) => output.write(`${line}\n`);
  if (input === process.stdin) {
    setRootLogger(createLogger(process.stderr, { level: process.env.LOG_LEVEL ?? 'warn' }));
  }
  const removeDisplay = options.showStates === false ? () => {} : addInspector(stateDisplay((line) => print(dim(`  ⟳ ${line}`, color))));

  const room = new LocalRoom({ name: 'console', agentIdentity: 'agent' });
  const user = room.join({ identity: options.identity ?? 'you', kind: 'standard' });
  user.onText((text) => {
    // Transcriptions are the agent's speech, or what it heard the user say (attributed to the user).
    if (text.topic === TRANSCRIPTION_TOPIC) print(text.from === user.participant.identity ? dim(`you (heard) › ${text.text}`, color) : `agent › ${text.text}`);
    else print(dim(`agent (${text.topic}) › ${text.text}`, color));
  });
  print(dim('voxstate console: type a line and press Enter to talk; Ctrl+C or Ctrl+D to end.', color));

  const job = await server.startJob({ room, job: { id: 'console', metadata: options.metadata ?? '' }, ...(options.record ? { record: options.record } : {}) });
  job.ctx.on('session_started', (session) => {
    // The agent ended the conversation (e.g. an end_session tool): the user hangs up, after the
    // goodbye, and the job ends as on LiveKit, its last participant gone (seed 003). A session
    // closed by the job's own shutdown is not that: the user hears the job out.
    session.once('close', () => {
      if (!job.ctx.signal.aborted) user.leave();
    });
    for (const model of [session.llm, session.stt, session.tts]) {
      if (isOfflineStandIn(model)) print(dim(`  ℹ ${model.notice}`, color));
    }
    if (options.audioInput) {
      const file = options.audioInput;
      print(dim(`  ℹ playing ${file} as your microphone`, color));
      // The microphone is part of the job: when it fails (no such file, not a WAV, no VAD or STT
      // to hear it), the job ends failed with the error, which is printed as it is reported.
      const inputFailed = (error: unknown) =>
        job.fail(error instanceof VoxstateError ? error : new VoxstateError('audio_input_failed', describe(error), { cause: error }), '--input failed');
      try {
        session.listen(playWav(file, job.ctx.signal)).catch(inputFailed);
      } catch (error) {
        inputFailed(error);
      }
    }
  });
  const recorder = options.audioOutput ? new WavRecorder() : undefined;
  if (recorder) user.onAudio((frame) => recorder.add(frame));
  job.ctx.on('error', (event) => print(dim(`  ✖ ${event.error.message}`, color)));

  const lines = createInterface({ input, terminal: false });
  // Lines typed before the agent is in the room wait for it: nothing the user says is lost.
  const waiting: string[] = [];
  room.on('connected', () => {
    for (const line of waiting.splice(0)) user.sendText(line);
  });
  lines.on('line', (line) => {
    if (line.trim() === '') return;
    if (room.isConnected) user.sendText(line);
    else waiting.push(line);
  });
  lines.on('close', () => job.requestShutdown('console input ended', 'user'));
  const handleSignals = options.handleSignals ?? input === process.stdin;
  let interrupts = 0;
  const onSigint = () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(130);
    job.requestShutdown('console interrupted (Ctrl+C)', 'user');
  };
  if (handleSignals) process.on('SIGINT', onSigint);

  const result = await job.result;
  if (recorder && options.audioOutput) {
    await recorder.save(options.audioOutput);
    print(dim(`  ℹ wrote ${Math.round(recorder.durationMs)} ms of the agent's voice to ${options.audioOutput}`, color));
  }
  if (handleSignals) process.off('SIGINT', onSigint);
  lines.close();
  removeDisplay();
  print(dim(`job ${result.status} (${result.reason})${result.error ? `: ${result.error.message}` : ''}`, color));
  return result;
}
