/**
 * How a session takes turns with the user, in either shape: agents-js's `turnHandling: {
 * endpointing, interruption, preemptiveGeneration }` or the flat options of LiveKit's Python
 * AgentSession (`minEndpointingDelay`, `falseInterruptionTimeout`, …). Both resolve here into one
 * set of TurnOptions. What voxstate cannot honour — an unknown key, a mode it does not have, a value
 * of the wrong kind, one setting given in both shapes — is refused with one InvalidOptionsError
 * listing every problem, never ignored.
 */
import { InvalidOptionsError } from '../errors.js';
import { flag, ms, only, readObject, type Check } from '../options/option_checks.js';

/** When the user's turn is over (agents-js's `turnHandling.endpointing`). Durations in ms. */
export interface EndpointingOptions {
  /**
   * `'fixed'` (the default) is voxstate's endpointing: a fixed delay after the end of speech.
   * `'dynamic'` (a delay learnt from the user's pauses) is refused: voxstate does not have it.
   */
  mode?: 'fixed' | 'dynamic';
  /** ms after the user's end of speech before a transcribed turn ends (default 500). */
  minDelay?: number;
  /** ms after the user's end of speech after which the turn ends, transcribed or not (default 3000). */
  maxDelay?: number;
}

/** When user speech over the agent interrupts it (agents-js's `turnHandling.interruption`). */
export interface InterruptionOptions {
  /**
   * Whether the agent's speech may be interrupted, unless a say() or generateReply() says
   * otherwise (default true). False: the user is still heard, the agent finishes first.
   */
  enabled?: boolean;
  /**
   * `'vad'` is voxstate's way: voice activity long enough interrupts. `'adaptive'` (a model telling
   * interruptions from backchannels) is refused: voxstate does not have it.
   */
  mode?: 'adaptive' | 'vad';
  /** ms of user speech over the agent that pause (or interrupt) it (default 500). */
  minDuration?: number;
  /** Only 0 (the default): any word makes it an interruption; voxstate does not count words first. */
  minWords?: number;
  /** ms to wait for words after a pause; without words the speech resumes (default 2000). */
  falseInterruptionTimeout?: number;
  /**
   * Pause the agent and resume it after a false interruption (default true, when the output can
   * pause). False: user speech over the agent interrupts it at once.
   */
  resumeFalseInterruption?: boolean;
}

/** Requesting the reply before the turn is over (agents-js's `turnHandling.preemptiveGeneration`). */
export interface PreemptiveGenerationOptions {
  /** Default true when this object is given (the session's default is off). */
  enabled?: boolean;
}

/** agents-js's turn handling options, as voxstate honours them. */
export interface TurnHandlingOptions {
  endpointing?: EndpointingOptions;
  interruption?: InterruptionOptions;
  /** `true`, `false` or `{ enabled }`: the reply is requested at the final transcript (default off). */
  preemptiveGeneration?: boolean | PreemptiveGenerationOptions;
}

/** The same settings in the flat (Python) shape of the session's options. */
export interface FlatTurnOptions {
  minEndpointingDelay?: number;
  maxEndpointingDelay?: number;
  minInterruptionDuration?: number;
  falseInterruptionTimeout?: number;
  preemptiveGeneration?: boolean;
  turnHandling?: TurnHandlingOptions;
}

/** How the session takes turns, resolved. Durations in ms. */
export interface TurnOptions {
  minEndpointingDelay: number;
  maxEndpointingDelay: number;
  /** The default of say(), generateReply() and replies. */
  allowInterruptions: boolean;
  minInterruptionDuration: number;
  falseInterruptionTimeout: number;
  resumeFalseInterruption: boolean;
  preemptiveGeneration: boolean;
}

export const DEFAULT_TURN_OPTIONS: Readonly<TurnOptions> = {
  minEndpointingDelay: 500,
  maxEndpointingDelay: 3_000,
  allowInterruptions: true,
  minInterruptionDuration: 500,
  falseInterruptionTimeout: 2_000,
  resumeFalseInterruption: true,
  preemptiveGeneration: false,
};

/** The keys of each part of turnHandling and what each accepts. */
const SHAPE = {
  endpointing: {
    mode: only('fixed', 'voxstate ends a turn a fixed delay after the end of speech, it has no dynamic endpointing'),
    minDelay: ms,
    maxDelay: ms,
  },
  interruption: {
    enabled: flag,
    mode: only('vad', 'voxstate interrupts on voice activity, it has no adaptive interruption model'),
    minDuration: ms,
    minWords: only(0, 'voxstate does not count words before interrupting'),
    falseInterruptionTimeout: ms,
    resumeFalseInterruption: flag,
  },
  preemptiveGeneration: { enabled: flag },
} satisfies Record<keyof TurnHandlingOptions, Record<string, Check>>;

/** Each flat option and where it lives in turnHandling. */
const FLAT = [
  ['minEndpointingDelay', 'endpointing', 'minDelay'],
  ['maxEndpointingDelay', 'endpointing', 'maxDelay'],
  ['minInterruptionDuration', 'interruption', 'minDuration'],
  ['falseInterruptionTimeout', 'interruption', 'falseInterruptionTimeout'],
  ['preemptiveGeneration', 'preemptiveGeneration', 'enabled'],
] as const satisfies ReadonlyArray<readonly [keyof FlatTurnOptions, keyof typeof SHAPE, string]>;

/**
 * The session's turn options from either shape (or both, for different settings), with defaults.
 * Throws InvalidOptionsError (owner "AgentSession") naming every key it cannot honour.
 */
export function resolveTurnOptions(options: FlatTurnOptions): TurnOptions {
  const problems: string[] = [];
  const parts = readTurnHandling(options.turnHandling, problems);
  /** Where each setting came from, for the messages: "minEndpointingDelay" or "turnHandling.endpointing.minDelay". */
  const given: Record<string, { key: string; value: unknown }> = {};
  for (const [flat, part, key] of FLAT) {
    const nested = parts[part]?.[key];
    const flatValue = options[flat];
    if (flatValue !== undefined && nested !== undefined) {
      problems.push(`${flat} and turnHandling.${part}.${key} set the same thing: give only one`);
    }
    if (flatValue !== undefined) {
      // The same check as its place in turnHandling.
      const problem = (SHAPE[part] as Record<string, Check>)[key]!(flatValue);
      if (problem) problems.push(`${flat}: ${problem}`);
    }
    const value = nested ?? flatValue;
    if (value !== undefined) given[flat] = { key: nested !== undefined ? `turnHandling.${part}.${key}` : flat, value };
  }
  const min = given.minEndpointingDelay;
  const max = given.maxEndpointingDelay;
  const resolvedMin = (min?.value as number | undefined) ?? DEFAULT_TURN_OPTIONS.minEndpointingDelay;
  const resolvedMax = (max?.value as number | undefined) ?? DEFAULT_TURN_OPTIONS.maxEndpointingDelay;
  const valid = ms(resolvedMin) === undefined && ms(resolvedMax) === undefined;
  if ((min || max) && valid && resolvedMin > resolvedMax) {
    problems.push(
      `${min?.key ?? 'the minimum endpointing delay'} (${resolvedMin} ms) is more than ${max?.key ?? 'the maximum endpointing delay'} (${resolvedMax} ms)`,
    );
  }
  if (problems.length > 0) throw new InvalidOptionsError('AgentSession', problems);
  const interruption = parts.interruption ?? {};
  return {
    minEndpointingDelay: resolvedMin,
    maxEndpointingDelay: resolvedMax,
    allowInterruptions: (interruption.enabled as boolean | undefined) ?? DEFAULT_TURN_OPTIONS.allowInterruptions,
    minInterruptionDuration: (given.minInterruptionDuration?.value as number | undefined) ?? DEFAULT_TURN_OPTIONS.minInterruptionDuration,
    falseInterruptionTimeout: (given.falseInterruptionTimeout?.value as number | undefined) ?? DEFAULT_TURN_OPTIONS.falseInterruptionTimeout,
    resumeFalseInterruption: (interruption.resumeFalseInterruption as boolean | undefined) ?? DEFAULT_TURN_OPTIONS.resumeFalseInterruption,
    preemptiveGeneration: (given.preemptiveGeneration?.value as boolean | undefined) ?? DEFAULT_TURN_OPTIONS.preemptiveGeneration,
  };
}

type Parts = Partial<Record<keyof typeof SHAPE, Record<string, unknown>>>;

/** turnHandling's parts, checked key by key (problems collected); `preemptiveGeneration: true` reads as `{ enabled: true }`. */
function readTurnHandling(turnHandling: unknown, problems: string[]): Parts {
  if (turnHandling === undefined) return {};
  const top = readObject('turnHandling', turnHandling, Object.keys(SHAPE), problems, 'an object');
  const parts: Parts = {};
  for (const part of Object.keys(SHAPE) as Array<keyof typeof SHAPE>) {
    const value = top[part];
    if (value === undefined) continue;
    const checks: Record<string, Check> = SHAPE[part];
    // agents-js takes a boolean for preemptiveGeneration too; an object given at all means "on"
    // unless it says otherwise.
    const bool = part === 'preemptiveGeneration' && typeof value === 'boolean';
    const fields: Record<string, unknown> = bool ? { enabled: value } : readObject(`turnHandling.${part}`, value, Object.keys(checks), problems, part === 'preemptiveGeneration' ? 'true, false or an object' : 'an object');
    if (part === 'preemptiveGeneration') fields.enabled ??= true;
    for (const [key, field] of Object.entries(fields)) {
      const problem = field === undefined ? undefined : checks[key]!(field);
      if (problem) problems.push(`turnHandling.${part}.${key}: ${problem}`);
    }
    parts[part] = fields;
  }
  return parts;
}
