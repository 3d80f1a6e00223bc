/**
 * A speech output that speaks: the text goes to a TTS stream as it arrives, the synthesized frames
 * go to an AudioOutput as they arrive, and an interruption stops both at once (the TTS request is
 * cancelled, queued audio dropped). What was heard is reported in proportion to the audio played
 * of each sentence, so the history keeps what the user actually heard.
 */
import type { AudioOutput } from '../audio/audio_output.js';
import { frameDurationMs } from '../audio/audio_frame.js';
import { SentenceTokenizer } from '../tts/sentences.js';
import type { TTS } from '../tts/tts.js';
import type { Playout, SpeechOutput } from './speech_output.js';

interface Segment {
  text: string;
  audioMs: number;
  complete: boolean;
}

export class VoiceOutput implements SpeechOutput {
  constructor(
    private readonly tts: TTS,
    private readonly audio: AudioOutput,
    /** Also told each piece of text as it is heard (e.g. a transcription for the room). */
    private readonly transcript?: (text: string, speechId: string) => void,
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
    let segment = 0;
    let synthesisFailed: { error: unknown } | undefined;
    let playedOut = false;
    try {
      try {
        for await (const audio of stream) {
          if (playout.signal.aborted) break;
          if (queuedMs === 0) playout.started();
          const ms = frameDurationMs(audio.frame);
          const current = segments[segment];
          if (current) {
            current.audioMs += ms;
            if (audio.final) {
              current.complete = true;
              segment += 1;
            }
          }
          queuedMs += ms;
          await this.audio.captureFrame(audio.frame);
        }
      } catch (error) {
        // The synthesis failed: what it made is still played, and no more text is read.
        synthesisFailed = { error };
        stopped = true;
      }
      if (!synthesisFailed) await feeding;
      if (!playout.signal.aborted) {
        await this.audio.flush();
        playedOut = true;
      }
      const failed = synthesisFailed ?? textFailed;
      if (failed) throw failed.error;
    } finally {
      playout.signal.removeEventListener('abort', onAbort);
      // Heard: everything once it played out; as far as it played when interrupted. When the
      // synthesis failed, the sentences it finished: how much text the audio of the one it broke
      // off in covers is unknown, and the history must not claim more than the user heard.
      const heardMs = !playedOut
        ? Math.min(queuedMs, this.audio.playedMs - startMs)
        : synthesisFailed
          ? segments.reduce((ms, s) => (s.complete ? ms + s.audioMs : ms), 0)
          : Number.POSITIVE_INFINITY;
      const heard = heardText(segments, heardMs).trimEnd();
      if (heard !== '') {
        playout.played(heard);
        this.transcript?.(heard, playout.speechId);
      }
    }
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

/** The text heard after `heardMs` of audio: whole sentences, then words in proportion. */
function heardText(segments: Segment[], heardMs: number): string {
  let left = heardMs;
  let heard = '';
  for (const segment of segments) {
    if (segment.complete && segment.audioMs <= left) {
      heard += segment.text;
      left -= segment.audioMs;
      continue;
    }
    if (segment.audioMs === 0) break;
    const words = segment.text.split(/(?<=\s)/);
    heard += words.slice(0, Math.floor((Math.min(left, segment.audioMs) / segment.audioMs) * words.length)).join('');
    break;
  }
  return heard;
}
