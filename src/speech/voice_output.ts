/**
 * A speech output that speaks: the text goes to a TTS stream as it arrives, the synthesized frames
 * go to an AudioOutput as they arrive, and an interruption stops both at once (the TTS request is
 * cancelled, queued audio dropped). What was heard is reported in proportion to the audio played
 * of each sentence, so the history keeps what the user actually heard; a transcript, when given,
 * follows the audio the same way while it plays.
 */
import type { AudioOutput } from '../audio/audio_output.js';
import { frameDurationMs, type AudioFrame } from '../audio/audio_frame.js';
import { EventChannel } from '../streams/event_channel.js';
import { SentenceTokenizer } from '../tts/sentences.js';
import type { TTS } from '../tts/tts.js';
import { follow, heardText, type Segment } from './heard_text.js';
import type { Playout, SpeechOutput, TranscriptOutput } from './speech_output.js';



export class VoiceOutput implements SpeechOutput {
  constructor(
    private readonly tts: TTS,
    private readonly audio: AudioOutput,
    /** Where the text goes as it is heard (the room's transcription): a segment per speech. */
    private readonly transcript?: TranscriptOutput,
  ) {}

  async play(text: AsyncIterable<string>, playout: Playout): Promise<void> {
    const stream = this.tts.stream({ signal: playout.signal });
    // One TTS segment per sentence, so the audio of each sentence is known: what was heard of an
    // interrupted speech is counted in whole sentences, then in words.
    const sentences = new SentenceTokenizer();
    const segments: Segment[] = [];
    const send = (sentence: string) => {
      segments.push({ text: segments.length === 0 ? sentence : ` ${sentence}`, audioMs: 0, complete: false });
      stream.pushText(sentence);
      stream.flush();
    };
    const startMs = this.audio.playedMs;
    const onAbort = () => {
      void stream.close();
      this.audio.clearBuffer();
    };
    // The TTS may ignore the signal: the stream is closed here, also when the speech was
    // interrupted before it began (an aborted signal fires no more 'abort').
    playout.signal.addEventListener('abort', onAbort, { once: true });
    if (playout.signal.aborted) onAbort();
    // The text may fail (the LLM breaks off): what was sent is still spoken, then the failure is
    // reported by play(). Caught here, so no rejection waits unobserved while the audio plays.
    let textFailed: { error: unknown } | undefined;
    let stopped = false;
    const feeding = (async () => {
      try {
        for await (const piece of text) {
          if (playout.signal.aborted || stopped) return;
          for (const sentence of sentences.push(piece)) send(sentence);
        }
        for (const sentence of sentences.flush()) send(sentence);
      } catch (error) {
        textFailed = { error };
      }
      if (!playout.signal.aborted && !stopped) stream.endInput();
    })();
    let queuedMs = 0;
    /** The sentences whose audio is complete, in order: segments[0, completed). */
    let completed = 0;
    let synthesisFailed: { error: unknown } | undefined;
    let playedOut = false;
    let failure: { error: unknown } | undefined;
    const playedMs = () => Math.min(queuedMs, this.audio.playedMs - startMs);
    // Only sentences whose audio is complete are shown while playing: the share of a sentence's
    // words heard is known once its whole audio is, so the text shown never runs ahead of the audio.
    const transcript = this.transcript?.open();
    const stopFollowing = transcript ? follow(transcript, () => heardText(segments.slice(0, completed), playedMs()).trimEnd()) : () => {};
    // The audio is read as it is synthesized, ahead of playout: each sentence's length is known as
    // soon as the TTS has made it, not once the output has room for its last frame.
    const synthesized = new EventChannel<AudioFrame>();
    const reading = (async () => {
      try {
        for await (const audio of stream) {
          if (playout.signal.aborted) break;
          const current = segments[completed];
          if (current) {
            current.audioMs += frameDurationMs(audio.frame);
            if (audio.final) {
              current.complete = true;
              completed += 1;
            }
          }
          synthesized.push(audio.frame);
        }
      } catch (error) {
        // The synthesis failed: what it made is still played, and no more text is read.
        synthesisFailed = { error };
        stopped = true;
      }
      synthesized.end();
    })();
    try {
      for await (const frame of synthesized) {
        if (playout.signal.aborted) break;
        if (queuedMs === 0) playout.started();
        queuedMs += frameDurationMs(frame);
        await this.audio.captureFrame(frame);
      }
      // (Interrupted, the stream is closed: what it still says does not matter.)
      if (!playout.signal.aborted) await reading;
      if (!synthesisFailed) await feeding;
      if (!playout.signal.aborted) {
        await this.audio.flush();
        playedOut = true;
      }
      const failed = synthesisFailed ?? textFailed;
      if (failed) throw failed.error;
    } catch (error) {
      // Nothing more is synthesized for a speech that failed.
      void stream.close();
      failure = { error };
    }
    playout.signal.removeEventListener('abort', onAbort);
    stopFollowing();
    // Heard: everything once it played out; as far as it played when interrupted. When the
    // synthesis failed, the sentences it finished: how much text the audio of the one it broke
    // off in covers is unknown, and the history must not claim more than the user heard.
    const heardMs = !playedOut
      ? playedMs()
      : synthesisFailed
        ? segments.reduce((ms, s) => (s.complete ? ms + s.audioMs : ms), 0)
        : Number.POSITIVE_INFINITY;
    const heard = heardText(segments, heardMs).trimEnd();
    if (heard !== '') playout.played(heard);
    // The transcript ends with exactly what goes into the history.
    await transcript?.end(heard);
    if (failure) throw failure.error;
  }

  flush(): Promise<void> {
    return this.audio.flush();
  }

  get pause(): (() => void) | undefined {
    return this.audio.pause ? () => this.audio.pause!() : undefined;
  }

  get resume(): (() => void) | undefined {
    return this.audio.resume ? () => this.audio.resume!() : undefined;
  }
}
