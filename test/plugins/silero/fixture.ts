/**
 * The speech fixture (test/fixtures/speech_16k.wav, made by make_speech_16k.sh) with its known
 * layout, generated test signals, and a helper that runs audio through a VAD stream.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { audioFrame, type AudioFrame } from '../../../src/audio/audio_frame.js';
import { decodeWav } from '../../../src/audio/wav.js';
import type { VAD, VADEvent } from '../../../src/vad/vad.js';

const dir = fileURLToPath(new URL('../../fixtures/', import.meta.url));

export const fixturePath = `${dir}speech_16k.wav`;

export interface Layout {
  sampleRate: number;
  samples: number;
  speech: Array<{ text: string; startMs: number; endMs: number }>;
}

export const layout = JSON.parse(readFileSync(`${dir}speech_16k.json`, 'utf8')) as Layout;
export const speech: AudioFrame = decodeWav(readFileSync(fixturePath));

/** The signal cut into frames of `ms` (10 ms, like a room's frames). */
export function framesOf(data: Int16Array, sampleRate: number, channels = 1, ms = 10): AudioFrame[] {
  const step = Math.round((sampleRate * ms) / 1000) * channels;
  const frames: AudioFrame[] = [];
  for (let i = 0; i < data.length; i += step) frames.push(audioFrame(data.slice(i, Math.min(i + step, data.length)), sampleRate, channels));
  return frames;
}

/** Pushes every frame, ends the input, and collects every event. */
export async function runThrough(vad: VAD, frames: AudioFrame[]): Promise<VADEvent[]> {
  const stream = vad.stream();
  for (const frame of frames) stream.pushFrame(frame);
  stream.endInput();
  const events: VADEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

export interface Segment {
  startMs: number;
  endMs: number;
}

/** Where the VAD says speech was: start = decision − speech so far, end = decision − silence. */
export function segmentsOf(events: VADEvent[]): Segment[] {
  const segments: Segment[] = [];
  let start: number | undefined;
  for (const event of events) {
    if (event.type === 'start_of_speech') start = event.timestampMs - event.speechDurationMs;
    if (event.type === 'end_of_speech') {
      segments.push({ startMs: start!, endMs: event.timestampMs - event.silenceDurationMs });
      start = undefined;
    }
  }
  return segments;
}

export function edges(events: VADEvent[]): VADEvent[] {
  return events.filter((event) => event.type !== 'inference_done');
}

/** A pseudo-random generator (mulberry32), so the noise is the same on every run. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function tone(hz: number, sampleRate: number, seconds: number, amplitude: number): Int16Array {
  const out = new Int16Array(Math.round(sampleRate * seconds));
  for (let i = 0; i < out.length; i++) out[i] = Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * hz * i) / sampleRate));
  return out;
}

export function whiteNoise(sampleRate: number, seconds: number, amplitude: number, seed = 1): Int16Array {
  const next = random(seed);
  const out = new Int16Array(Math.round(sampleRate * seconds));
  for (let i = 0; i < out.length; i++) out[i] = Math.round(amplitude * 32767 * (2 * next() - 1));
  return out;
}
