/**
 * Speech whose audio is already made (a realtime model's answer): its frames go to an AudioOutput
 * as they come, its transcript beside them, and an interruption stops the playout at once (queued
 * audio dropped). What was heard is the transcript in proportion to the audio played of all the
 * audio received (words, not characters), and where the playout stopped (ms into the speech) is
 * returned, for a model that cuts its message there.
 */
import type { AudioFrame } from '../audio/audio_frame.js';
import { frameDurationMs } from '../audio/audio_frame.js';
import type { AudioOutput } from '../audio/audio_output.js';
import { EventChannel } from '../streams/event_channel.js';
import { follow, heardText, type Segment } from './heard_text.js';
import type { Playout, TranscriptOutput } from './speech_output.js';

export interface SynthesizedPlayout {
  /** The transcript as far as the user heard it. */
  heard: string;
  /** ms of the speech's audio that played. */
  playedMs: number;
  /** Whether it played to its end. */
  playedOut: boolean;
}

export async function playSynthesized(
  output: AudioOutput,
  frames: AsyncIterable<AudioFrame>,
  text: AsyncIterable<string>,
  playout: Playout,
  transcript?: TranscriptOutput,
): Promise<SynthesizedPlayout> {
  // One piece of text for the whole speech: its audio is the audio received so far.
  const segment: Segment = { text: '', audioMs: 0, complete: false };
  const startMs = output.playedMs;
  let queuedMs = 0;
  const playedMs = () => Math.min(queuedMs, output.playedMs - startMs);
  const audio = frames[Symbol.asyncIterator]();
  const words = text[Symbol.asyncIterator]();
  // The audio is read as it comes, ahead of playout: the transcript's share heard is of all the
  // audio that says it, not of what the output has taken so far.
  const queued = new EventChannel<AudioFrame>();
  // An interruption stops at once: queued audio dropped, both streams left (a wait on them ends).
  const onAbort = () => {
    output.clearBuffer();
    queued.close();
    void audio.return?.();
    void words.return?.();
  };
  playout.signal.addEventListener('abort', onAbort, { once: true });
  if (playout.signal.aborted) onAbort();
  let textFailed: { error: unknown } | undefined;
  let audioFailed: { error: unknown } | undefined;
  const reading = (async () => {
    try {
      for (let next = await words.next(); !next.done && !playout.signal.aborted; next = await words.next()) segment.text += next.value;
    } catch (error) {
      textFailed = { error };
    }
  })();
  const receiving = (async () => {
    try {
      for (let next = await audio.next(); !next.done && !playout.signal.aborted; next = await audio.next()) {
        segment.audioMs += frameDurationMs(next.value);
        queued.push(next.value);
      }
    } catch (error) {
      audioFailed = { error };
    }
    queued.end();
  })();
  const sofar = () => [{ ...segment, complete: false }];
  const shown = transcript?.open();
  const stopFollowing = shown ? follow(shown, () => heardText(sofar(), playedMs()).trimEnd()) : () => {};
  let playedOut = false;
  let failure: { error: unknown } | undefined;
  try {
    for await (const frame of queued) {
      if (playout.signal.aborted) break;
      if (queuedMs === 0) playout.started();
      queuedMs += frameDurationMs(frame);
      await output.captureFrame(frame);
    }
    await Promise.all([reading, receiving]);
    if (!playout.signal.aborted) {
      await output.flush();
      playedOut = true;
    }
    const failed = audioFailed ?? textFailed;
    if (failed) throw failed.error;
  } catch (error) {
    failure = { error };
  }
  playout.signal.removeEventListener('abort', onAbort);
  stopFollowing();
  const played = playedMs();
  const heard = (playedOut ? segment.text : heardText(sofar(), played)).trimEnd();
  if (heard !== '') playout.played(heard);
  await shown?.end(heard);
  if (failure) throw failure.error;
  return { heard, playedMs: played, playedOut };
}
