/** The Silero VAD's options: LiveKit's, with their defaults, checked. */
import type { VADOptions } from '../../vad/vad.js';

export const DEFAULT_VAD_OPTIONS: Omit<VADOptions, 'deactivationThreshold'> = {
  minSpeechDurationMs: 50,
  minSilenceDurationMs: 550,
  prefixPaddingDurationMs: 500,
  activationThreshold: 0.5,
  maxBufferedSpeechMs: 60_000,
  sampleRate: 16000,
};

/** The deactivation threshold when none is given: activation − 0.15, at least 0.01. */
export function defaultDeactivation(activationThreshold: number): number {
  return Math.max(activationThreshold - 0.15, 0.01);
}

/**
 * `base` updated with `changes`. A deactivation threshold that is not given follows the activation
 * threshold (when the activation threshold changes, so does its default).
 */
export function resolveOptions(changes: Partial<VADOptions>, base?: VADOptions): VADOptions {
  const merged = { ...DEFAULT_VAD_OPTIONS, ...base, ...changes };
  const explicitDeactivation = changes.deactivationThreshold ?? (base && changes.activationThreshold === undefined ? base.deactivationThreshold : undefined);
  const options: VADOptions = { ...merged, deactivationThreshold: explicitDeactivation ?? defaultDeactivation(merged.activationThreshold) };
  check(options);
  return options;
}

function check(options: VADOptions): void {
  for (const name of ['minSpeechDurationMs', 'minSilenceDurationMs', 'prefixPaddingDurationMs', 'maxBufferedSpeechMs'] as const) {
    const value = options[name];
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a finite number ≥ 0, got ${value}`);
  }
  for (const name of ['activationThreshold', 'deactivationThreshold'] as const) {
    const value = options[name];
    if (!(value > 0 && value < 1)) throw new RangeError(`${name} must be between 0 and 1, got ${value}`);
  }
  if (options.deactivationThreshold > options.activationThreshold) {
    throw new RangeError(
      `deactivationThreshold (${options.deactivationThreshold}) must not be above activationThreshold (${options.activationThreshold})`,
    );
  }
  if (options.sampleRate !== 16000 && options.sampleRate !== 8000) {
    throw new RangeError(`sampleRate must be 16000 or 8000 (other input rates are resampled), got ${String(options.sampleRate)}`);
  }
}
