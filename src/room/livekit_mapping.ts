/**
 * Pure translations between @livekit/rtc-node's values and voxstate's room types. Kept apart from
 * the room so they are tested without loading the native library.
 */
import { audioFrame, type AudioFrame } from '../audio/audio_frame.js';
import type { ParticipantKind } from './room.js';

/** rtc ParticipantKind (protocol values) → voxstate's kind. */
const KINDS: Readonly<Record<number, ParticipantKind>> = {
  0: 'standard',
  1: 'ingress',
  2: 'egress',
  3: 'sip',
  4: 'agent',
  5: 'connector',
  6: 'bridge',
};

/** The participant kind LiveKit reports; a value this build does not know is 'standard'. */
export function participantKindFromRtc(kind: number | undefined): ParticipantKind {
  return (kind !== undefined && participantKindOf(kind)) || 'standard';
}

/** The voxstate kind of an rtc ParticipantKind value; undefined for a value this build does not know. */
export function participantKindOf(kind: number): ParticipantKind | undefined {
  return Object.hasOwn(KINDS, kind) ? KINDS[kind] : undefined;
}

/** rtc DisconnectReason (protocol values) → the reason text of the room's `disconnected` event. */
const DISCONNECT_REASONS: readonly string[] = [
  'unknown reason',
  'client initiated',
  'duplicate identity',
  'server shutdown',
  'participant removed',
  'room deleted',
  'state mismatch',
  'join failure',
  'migration',
  'signal close',
  'room closed',
  'user unavailable',
  'user rejected',
  'sip trunk failure',
  'connection timeout',
  'media failure',
  'agent error',
];

export function disconnectReasonText(reason: number | undefined): string {
  if (reason === undefined) return 'unknown reason';
  return DISCONNECT_REASONS[reason] ?? `disconnect reason ${reason}`;
}

/** A frame as rtc-node has it (its AudioFrame class, structurally). */
export interface RtcFrameLike {
  data: Int16Array;
  sampleRate: number;
  channels: number;
  samplesPerChannel: number;
}

/** An rtc frame → a voxstate frame; the data is shared (rtc frames own a fresh copy of the native buffer). */
export function fromRtcFrame(frame: RtcFrameLike): AudioFrame {
  const data = frame.data.length === frame.samplesPerChannel * frame.channels ? frame.data : frame.data.subarray(0, frame.samplesPerChannel * frame.channels);
  return audioFrame(data, frame.sampleRate, frame.channels);
}

/**
 * The samples of a frame in a buffer of their own. rtc-node hands `data.buffer` (the WHOLE buffer,
 * from byte 0) to the native side, so a view into a larger buffer would send the wrong samples.
 */
export function ownedSamples(data: Int16Array): Int16Array {
  if (data.byteOffset === 0 && data.buffer.byteLength === data.byteLength && data.buffer instanceof ArrayBuffer) return data;
  return data.slice();
}

/** The LiveKit API (http/https) address of a server given by its ws/wss URL. */
export function apiUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`not a LiveKit URL: ${JSON.stringify(url)} (expected ws://, wss://, http:// or https://)`);
  }
  const protocols: Record<string, string> = { 'ws:': 'http:', 'wss:': 'https:', 'http:': 'http:', 'https:': 'https:' };
  const protocol = protocols[parsed.protocol];
  if (!protocol) throw new TypeError(`not a LiveKit URL: ${JSON.stringify(url)} (expected ws://, wss://, http:// or https://)`);
  return `${protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname.replace(/\/$/, '')}`;
}
