/** WAV reading and writing: round trips, the chunk layouts found in the wild, and clear errors. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { audioFrame } from '../../src/audio/audio_frame.js';
import { decodeWav, encodeWav, readWavFile, WavFileError, WavFormatError, writeWavFile } from '../../src/audio/wav.js';

const fixture = fileURLToPath(new URL('../fixtures/speech_16k.wav', import.meta.url));

interface Header {
  tag?: number;
  channels?: number;
  rate?: number;
  bits?: number;
  blockAlign?: number;
  fmtSize?: number;
}

/** Builds a RIFF file from chunks, by hand, so every field can be wrong on purpose. */
function riff(chunks: Array<[string, Uint8Array]>, type = 'WAVE', id = 'RIFF'): Uint8Array {
  const size = 4 + chunks.reduce((sum, [, body]) => sum + 8 + body.length + (body.length % 2), 0);
  const out = new Uint8Array(8 + size);
  const view = new DataView(out.buffer);
  const ascii = (at: number, text: string) => [...text].forEach((c, i) => view.setUint8(at + i, c.charCodeAt(0)));
  ascii(0, id);
  view.setUint32(4, size, true);
  ascii(8, type);
  let at = 12;
  for (const [name, body] of chunks) {
    ascii(at, name);
    view.setUint32(at + 4, body.length, true);
    out.set(body, at + 8);
    at += 8 + body.length + (body.length % 2);
  }
  return out;
}

function fmt({ tag = 1, channels = 1, rate = 16000, bits = 16, blockAlign, fmtSize = 16 }: Header = {}): Uint8Array {
  const body = new Uint8Array(Math.max(fmtSize, 16));
  const view = new DataView(body.buffer);
  view.setUint16(0, tag, true);
  view.setUint16(2, channels, true);
  view.setUint32(4, rate, true);
  view.setUint32(8, (rate * channels * bits) / 8, true);
  view.setUint16(12, blockAlign ?? (channels * bits) / 8, true);
  view.setUint16(14, bits, true);
  return body.subarray(0, fmtSize);
}

function pcm(samples: number[]): Uint8Array {
  const body = new Uint8Array(samples.length * 2);
  samples.forEach((s, i) => new DataView(body.buffer).setInt16(i * 2, s, true));
  return body;
}

function wavError(bytes: Uint8Array): string {
  try {
    decodeWav(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(WavFormatError);
    expect(error).toMatchObject({ code: 'wav_invalid' });
    return (error as Error).message;
  }
  throw new Error('decoded without an error');
}

describe('WAV', () => {
  it('reads the speech fixture', async () => {
    const frame = await readWavFile(fixture);
    expect(frame).toMatchObject({ sampleRate: 16000, channels: 1, samplesPerChannel: 123597 });
  });

  it('round-trips mono and stereo through encode/decode and through a file', async () => {
    const mono = audioFrame(Int16Array.from([0, 1, -1, 32767, -32768, 1234]), 8000);
    expect(decodeWav(encodeWav(mono))).toEqual(mono);
    const stereo = audioFrame(Int16Array.from([1, 2, 3, 4, -5, -6]), 48000, 2);
    const decoded = decodeWav(encodeWav(stereo));
    expect(decoded).toEqual(stereo);
    expect(decoded.samplesPerChannel).toBe(3);
    expect(encodeWav(stereo).length).toBe(44 + 12);

    const dir = await mkdtemp(join(tmpdir(), 'voxstate-wav-'));
    try {
      await writeWavFile(join(dir, 'x.wav'), stereo);
      expect(await readWavFile(join(dir, 'x.wav'))).toEqual(stereo);
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  it('reads a Buffer view that does not start at offset 0 of its memory', () => {
    const bytes = encodeWav(audioFrame(Int16Array.from([7, -7, 300]), 16000));
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    expect(decodeWav(shifted.subarray(3)).data).toEqual(Int16Array.from([7, -7, 300]));
  });

  it('skips other chunks (with their pad byte) and reads WAVE_FORMAT_EXTENSIBLE PCM', () => {
    const list = new Uint8Array(5).fill(65); // odd size: a pad byte follows
    expect(decodeWav(riff([['LIST', list], ['fmt ', fmt()], ['fact', new Uint8Array(4)], ['data', pcm([5, -5])]])).data).toEqual(
      Int16Array.from([5, -5]),
    );
    const extensible = fmt({ tag: 0xfffe, fmtSize: 40, channels: 2 });
    new DataView(extensible.buffer).setUint16(24, 1, true); // sub-format GUID starts with PCM's tag
    expect(decodeWav(riff([['fmt ', extensible], ['data', pcm([1, 2, 3, 4])]]))).toMatchObject({ channels: 2, samplesPerChannel: 2 });
  });

  it('takes a data size of 0xFFFFFFFF (written by tools streaming to a pipe) as "to the end"', () => {
    const bytes = riff([['fmt ', fmt()], ['data', pcm([9, 8, 7])]]);
    new DataView(bytes.buffer).setUint32(36 + 4, 0xffffffff, true);
    expect(decodeWav(bytes).data).toEqual(Int16Array.from([9, 8, 7]));
  });

  it('says what is wrong with a file it cannot read', () => {
    expect(wavError(new Uint8Array(5))).toBe('WAV: 5 bytes is too short for a RIFF header');
    expect(wavError(riff([], 'WAVE', 'RIFX'))).toBe('WAV: not a RIFF file (starts with "RIFX")');
    expect(wavError(riff([], 'AVI '))).toBe('WAV: a RIFF file of type "AVI ", not WAVE');
    expect(wavError(riff([['data', pcm([1])]]))).toBe('WAV: the data chunk comes before any fmt chunk');
    expect(wavError(riff([['LIST', new Uint8Array(4)]]))).toBe('WAV: no fmt chunk');
    expect(wavError(riff([['fmt ', fmt()]]))).toBe('WAV: no data chunk');
    expect(wavError(riff([['fmt ', fmt({ tag: 3, bits: 32 })], ['data', pcm([1, 2])]]))).toMatch(/format tag 0x3 is not PCM/);
    expect(wavError(riff([['fmt ', fmt({ bits: 8 })], ['data', pcm([1])]]))).toBe('WAV: 8-bit samples (only 16-bit PCM is read)');
    expect(wavError(riff([['fmt ', fmt({ bits: 24 })], ['data', pcm([1, 2, 3])]]))).toMatch(/24-bit samples/);
    expect(wavError(riff([['fmt ', fmt({ channels: 6 })], ['data', pcm([1])]]))).toBe('WAV: 6 channels (only mono and stereo are read)');
    expect(wavError(riff([['fmt ', fmt({ rate: 0 })], ['data', pcm([1])]]))).toBe('WAV: a sample rate of 0');
    expect(wavError(riff([['fmt ', fmt({ blockAlign: 3 })], ['data', pcm([1])]]))).toMatch(/block align 3 does not match 1 channels/);
    expect(wavError(riff([['fmt ', fmt({ fmtSize: 14 })], ['data', pcm([1])]]))).toMatch(/fmt chunk has 14 bytes/);
    expect(wavError(riff([['fmt ', fmt({ channels: 2 })], ['data', pcm([1, 2, 3])]]))).toMatch(/6 bytes, not a whole number of 4-byte sample frames/);
    // Truncated: the data chunk claims more than the file holds.
    const whole = riff([['fmt ', fmt()], ['data', pcm([1, 2, 3, 4])]]);
    expect(wavError(whole.subarray(0, whole.length - 3))).toBe('WAV: truncated: the data chunk says 8 bytes but only 5 remain');
  });

  it('readWavFile names the file in its error, and refuses to write 3 channels', async () => {
    await expect(readWavFile(fileURLToPath(new URL('../fixtures/speech_16k.json', import.meta.url)))).rejects.toThrow(
      /speech_16k\.json: not a RIFF file/,
    );
    expect(() => encodeWav(audioFrame(new Int16Array(6), 16000, 3))).toThrow(WavFormatError);
  });

  it('a file that cannot be read is a WavFileError that says why in words, with the system error as its cause', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'voxstate-wav-'));
    try {
      for (const [path, why, code] of [
        [join(dir, 'missing.wav'), 'no such file', 'ENOENT'],
        [dir, 'it is a directory, not a file', 'EISDIR'],
      ] as const) {
        const error = await readWavFile(path).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(WavFileError);
        expect(error).toMatchObject({ code: 'wav_unreadable', path, message: `cannot read ${path}: ${why} (${code})`, cause: { code } });
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
