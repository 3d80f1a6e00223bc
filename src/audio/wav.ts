/**
 * WAV files of 16-bit PCM, mono or stereo: read into an AudioFrame, written from one. Anything else
 * (another sample format, a truncated or malformed file) is a WavFormatError that says what is wrong;
 * a file that cannot be read at all (missing, a directory, not allowed) is a WavFileError.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import { VoxstateError } from '../errors.js';
import { audioFrame, type AudioFrame } from './audio_frame.js';

/** The file is not a 16-bit PCM mono or stereo WAV. */
export class WavFormatError extends VoxstateError {
  constructor(message: string) {
    super('wav_invalid', `WAV: ${message}`);
  }
}

/** A WAV file could not be read: the message says why, in words (the system error is its cause). */
export class WavFileError extends VoxstateError {
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    super('wav_unreadable', `cannot read ${path}: ${whyUnreadable(cause)}`, { cause });
  }
}

const UNREADABLE: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'it is a directory, not a file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOTDIR: 'a part of the path is not a directory',
  ENAMETOOLONG: 'the path is too long',
  ELOOP: 'too many symbolic links',
};

function whyUnreadable(cause: unknown): string {
  const code = (cause as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && Object.hasOwn(UNREADABLE, code)) return `${UNREADABLE[code]} (${code})`;
  return cause instanceof Error ? cause.message : String(cause);
}

const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
/** A data size written by tools that stream to a pipe and cannot seek back: "up to the end". */
const UNKNOWN_SIZE = 0xffffffff;

interface Format {
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  blockAlign: number;
}

/** Parses a WAV file held in memory. */
export function decodeWav(bytes: Uint8Array): AudioFrame {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 12) throw new WavFormatError(`${bytes.byteLength} bytes is too short for a RIFF header`);
  if (fourcc(view, 0) !== 'RIFF') throw new WavFormatError(`not a RIFF file (starts with ${JSON.stringify(fourcc(view, 0))})`);
  if (fourcc(view, 8) !== 'WAVE') throw new WavFormatError(`a RIFF file of type ${JSON.stringify(fourcc(view, 8))}, not WAVE`);

  let format: Format | undefined;
  let offset = 12;
  while (offset + 8 <= bytes.byteLength) {
    const id = fourcc(view, offset);
    const declared = view.getUint32(offset + 4, true);
    const body = offset + 8;
    const remaining = bytes.byteLength - body;
    if (id === 'fmt ') {
      if (declared > remaining) throw new WavFormatError(`the fmt chunk says ${declared} bytes but only ${remaining} remain`);
      format = parseFormat(view, body, declared);
    } else if (id === 'data') {
      if (!format) throw new WavFormatError('the data chunk comes before any fmt chunk');
      let size = declared;
      if (declared === UNKNOWN_SIZE) size = remaining - (remaining % format.blockAlign);
      else if (declared > remaining) throw new WavFormatError(`truncated: the data chunk says ${declared} bytes but only ${remaining} remain`);
      if (size % format.blockAlign !== 0) {
        throw new WavFormatError(`the data chunk has ${size} bytes, not a whole number of ${format.blockAlign}-byte sample frames`);
      }
      return audioFrame(readInt16(bytes, body, size / 2), format.sampleRate, format.channels);
    }
    // Chunks are padded to an even size.
    offset = body + declared + (declared % 2);
  }
  throw new WavFormatError(format ? 'no data chunk' : 'no fmt chunk');
}

function parseFormat(view: DataView, at: number, size: number): Format {
  if (size < 16) throw new WavFormatError(`the fmt chunk has ${size} bytes, fewer than the 16 of PCM`);
  let tag = view.getUint16(at, true);
  const channels = view.getUint16(at + 2, true);
  const sampleRate = view.getUint32(at + 4, true);
  const blockAlign = view.getUint16(at + 12, true);
  const bitsPerSample = view.getUint16(at + 14, true);
  if (tag === WAVE_FORMAT_EXTENSIBLE) {
    // cbSize (2), valid bits (2), channel mask (4), then the sub-format GUID whose first 2 bytes are the tag.
    if (size < 40) throw new WavFormatError(`the extensible fmt chunk has ${size} bytes, fewer than 40`);
    tag = view.getUint16(at + 24, true);
  }
  if (tag !== WAVE_FORMAT_PCM) throw new WavFormatError(`format tag 0x${tag.toString(16)} is not PCM (only 16-bit PCM is read)`);
  if (bitsPerSample !== 16) throw new WavFormatError(`${bitsPerSample}-bit samples (only 16-bit PCM is read)`);
  if (channels !== 1 && channels !== 2) throw new WavFormatError(`${channels} channels (only mono and stereo are read)`);
  if (sampleRate === 0) throw new WavFormatError('a sample rate of 0');
  if (blockAlign !== channels * 2) throw new WavFormatError(`block align ${blockAlign} does not match ${channels} channels of 16 bits`);
  return { channels, sampleRate, bitsPerSample, blockAlign };
}

function readInt16(bytes: Uint8Array, at: number, count: number): Int16Array {
  if (endianness() === 'LE') {
    // slice() copies into a fresh, aligned buffer.
    return new Int16Array(bytes.buffer.slice(bytes.byteOffset + at, bytes.byteOffset + at + count * 2));
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, count * 2);
  const out = new Int16Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, true);
  return out;
}

function fourcc(view: DataView, at: number): string {
  return String.fromCharCode(view.getUint8(at), view.getUint8(at + 1), view.getUint8(at + 2), view.getUint8(at + 3));
}

/** A canonical 44-byte-header WAV of the frame's 16-bit PCM. */
export function encodeWav(frame: AudioFrame): Uint8Array {
  if (frame.channels !== 1 && frame.channels !== 2) throw new WavFormatError(`${frame.channels} channels (only mono and stereo are written)`);
  const dataBytes = frame.data.length * 2;
  const out = new Uint8Array(44 + dataBytes);
  const view = new DataView(out.buffer);
  const ascii = (at: number, text: string) => {
    for (let i = 0; i < 4; i++) view.setUint8(at + i, text.charCodeAt(i));
  };
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + dataBytes, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, WAVE_FORMAT_PCM, true);
  view.setUint16(22, frame.channels, true);
  view.setUint32(24, frame.sampleRate, true);
  view.setUint32(28, frame.sampleRate * frame.channels * 2, true);
  view.setUint16(32, frame.channels * 2, true);
  view.setUint16(34, 16, true);
  ascii(36, 'data');
  view.setUint32(40, dataBytes, true);
  for (let i = 0; i < frame.data.length; i++) view.setInt16(44 + i * 2, frame.data[i]!, true);
  return out;
}

/** Reads a WAV file; a WavFileError when it cannot be read, a WavFormatError when it is not 16-bit PCM. */
export async function readWavFile(path: string): Promise<AudioFrame> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new WavFileError(path, error);
  }
  try {
    return decodeWav(bytes);
  } catch (error) {
    if (error instanceof WavFormatError) throw new WavFormatError(`${path}: ${error.message.replace(/^WAV: /, '')}`);
    throw error;
  }
}

export async function writeWavFile(path: string, frame: AudioFrame): Promise<void> {
  await writeFile(path, encodeWav(frame));
}
