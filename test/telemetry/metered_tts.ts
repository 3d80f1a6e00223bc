/**
 * voxstate/testing's FakeTTS measured as a provider plugin measures itself (src/plugins/cartesia):
 * one `tts_metrics` per stream when its audio ends (or it is closed), with the time from its first
 * text to its first audio on the test's clock (fake timers).
 */
import { FakeTTS } from '../../src/testing/fake_tts.js';
import type { SynthesizeOptions, SynthesizeStream } from '../../src/tts/tts.js';

const FRAME_MS = 20;

export class MeteredTTS extends FakeTTS {
  #requests = 0;

  override stream(options: SynthesizeOptions = {}): SynthesizeStream {
    const inner = super.stream(options);
    const requestId = `tts_${++this.#requests}`;
    let firstTextAt: number | undefined;
    let firstAudioAt: number | undefined;
    let characters = 0;
    let frames = 0;
    let reported = false;
    const report = (cancelled: boolean) => {
      if (reported || firstTextAt === undefined) return;
      reported = true;
      this.emit('metrics_collected', {
        type: 'tts_metrics',
        label: this.label,
        requestId,
        ttfbMs: firstAudioAt === undefined ? -1 : firstAudioAt - firstTextAt,
        durationMs: Date.now() - firstTextAt,
        audioDurationMs: frames * FRAME_MS,
        charactersCount: characters,
        cancelled,
        timestamp: Date.now(),
      });
    };
    return {
      async *[Symbol.asyncIterator]() {
        for await (const audio of inner) {
          firstAudioAt ??= Date.now();
          frames += 1;
          yield audio;
        }
        report(false);
      },
      pushText: (text: string) => {
        firstTextAt ??= Date.now();
        characters += text.length;
        inner.pushText(text);
      },
      flush: () => inner.flush(),
      endInput: () => inner.endInput(),
      close: async () => {
        report(true);
        await inner.close();
      },
    };
  }
}
