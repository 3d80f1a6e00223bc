/**
 * How a session takes turns with the user, in either shape: agents-js's `turnHandling: {
 * endpointing, interruption, preemptiveGeneration }` or the flat options of LiveKit's Python
 * AgentSession (`minEndpointingDelay`, `falseInterruptionTimeout`, …). Both resolve here into one
 * set of TurnOptions. What voxstate cannot honour — an unknown key, a mode it does not have, a value
 * of the wrong kind, one setting given in both shapes — is refused with one InvalidOptionsError
 * listing every problem, never ignored.
 */
import type { InterruptionPolicy } from '../../machines/session.js';
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
  /**
   * How the user interrupts the agent while it thinks (a reply is generated, tools run), in place
   * of the settings above: e.g. `{ enabled: false }` lets a reply being thought out finish
   * whatever the user says meanwhile (their turn is kept in the history, not answered), or a
   * longer `minDuration` ignores short noises then.
   */
  whileThinking?: InterruptionStateOptions;
  /** How the user interrupts the agent while it speaks, in place of the settings above. */
  whileSpeaking?: InterruptionStateOptions;
}

/** The interruption settings of one agent state (`turnHandling.interruption.whileThinking` / `whileSpeaking`). */
export interface InterruptionStateOptions {
  /**
   * Whether user speech and finished user turns interrupt the agent in this state (default true;
   * a speech that does not allow interruptions is never interrupted by the user).
   */
  enabled?: boolean;
  /** ms of user speech over the agent that pause (or interrupt) it in this state (default: interruption.minDuration). */
  minDuration?: number;
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
  /** minInterruptionDuration while the agent thinks (or turnHandling.interruption.whileThinking.minDuration). */
  thinkingMinInterruptionDuration?: number;
  /** minInterruptionDuration while the agent speaks (or turnHandling.interruption.whileSpeaking.minDuration). */
  speakingMinInterruptionDuration?: number;
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
  /** How the user interrupts the agent while it thinks, and while it speaks. */
  interruption: Record<'thinking' | 'speaking', InterruptionPolicy>;
  falseInterruptionTimeout: number;
  resumeFalseInterruption: boolean;
  preemptiveGeneration: boolean;
}

export const DEFAULT_TURN_OPTIONS: Readonly<TurnOptions> = {
  minEndpointingDelay: 500,
  maxEndpointingDelay: 3_000,
  allowInterruptions: true,
  interruption: { thinking: { enabled: true, minDuration: 500 }, speaking: { enabled: true, minDuration: 500 } },
  falseInterruptionTimeout: 2_000,
  resumeFalseInterruption: true,
  preemptiveGeneration: false,
};

/** The checks of an options object: a Check per key, or the Shape of a nested object. */
type Shape = { [key: string]: Check | Shape };

/** The keys of whileThinking and whileSpeaking, and what each accepts. */
const STATE_SHAPE = { enabled: flag, minDuration: ms } satisfies Record<keyof InterruptionStateOptions, Check>;

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
    whileThinking: STATE_SHAPE,
    whileSpeaking: STATE_SHAPE,
  },
  preemptiveGeneration: { enabled: flag },
} satisfies Record<keyof TurnHandlingOptions, Shape>;

/** Each flat option and where it lives in turnHandling. */
const FLAT = [
  ['minEndpointingDelay', ['endpointing', 'minDelay']],
  ['maxEndpointingDelay', ['endpointing', 'maxDelay']],
  ['minInterruptionDuration', ['interruption', 'minDuration']],
  ['thinkingMinInterruptionDuration', ['interruption', 'whileThinking', 'minDuration']],
  ['speakingMinInterruptionDuration', ['interruption', 'whileSpeaking', 'minDuration']],
  ['falseInterruptionTimeout', ['interruption', 'falseInterruptionTimeout']],
  ['preemptiveGeneration', ['preemptiveGeneration', 'enabled']],
] as const satisfies ReadonlyArray<readonly [keyof FlatTurnOptions, readonly string[]]>;

type FlatSetting = (typeof FLAT)[number][0];

/**
 * The session's turn options from either shape (or both, for different settings), with defaults.
 * Throws InvalidOptionsError (owner "AgentSession") naming every key it cannot honour.
 */
export function resolveTurnOptions(options: FlatTurnOptions): TurnOptions {
  const problems: string[] = [];
  const nested: Fields = options.turnHandling === undefined ? {} : readShape('turnHandling', options.turnHandling, SHAPE, problems);
  /** Where each setting came from, for the messages: "minEndpointingDelay" or "turnHandling.endpointing.minDelay". */
  const given: Partial<Record<FlatSetting, { key: string; value: unknown }>> = {};
  for (const [flat, path] of FLAT) {
    const nestedValue = at(nested, path);
    const flatValue = options[flat];
    if (flatValue === undefined && nestedValue === undefined) continue;
    const key = `turnHandling.${path.join('.')}`;
    if (flatValue !== undefined && nestedValue !== undefined) problems.push(`${flat} and ${key} set the same thing: give only one`);
    if (flatValue !== undefined) {
      // The same check as its place in turnHandling.
      const problem = (at(SHAPE as Shape, path) as Check)(flatValue);
      if (problem) problems.push(`${flat}: ${problem}`);
    }
    given[flat] = { key: nestedValue !== undefined ? key : flat, value: nestedValue ?? flatValue };
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
  const value = <T>(setting: FlatSetting) => given[setting]?.value as T | undefined;
  const nestedOf = <T>(...path: string[]) => at(nested, path) as T | undefined;
  const minDuration = value<number>('minInterruptionDuration') ?? DEFAULT_TURN_OPTIONS.interruption.speaking.minDuration;
  return {
    minEndpointingDelay: resolvedMin,
    maxEndpointingDelay: resolvedMax,
    allowInterruptions: nestedOf<boolean>('interruption', 'enabled') ?? DEFAULT_TURN_OPTIONS.allowInterruptions,
    interruption: {
      thinking: {
        enabled: nestedOf<boolean>('interruption', 'whileThinking', 'enabled') ?? true,
        minDuration: value<number>('thinkingMinInterruptionDuration') ?? minDuration,
      },
      speaking: {
        enabled: nestedOf<boolean>('interruption', 'whileSpeaking', 'enabled') ?? true,
        minDuration: value<number>('speakingMinInterruptionDuration') ?? minDuration,
      },
    },
    falseInterruptionTimeout: value<number>('falseInterruptionTimeout') ?? DEFAULT_TURN_OPTIONS.falseInterruptionTimeout,
    resumeFalseInterruption: nestedOf<boolean>('interruption', 'resumeFalseInterruption') ?? DEFAULT_TURN_OPTIONS.resumeFalseInterruption,
    preemptiveGeneration: value<boolean>('preemptiveGeneration') ?? DEFAULT_TURN_OPTIONS.preemptiveGeneration,
  };
}

type Fields = { [key: string]: unknown };

/** The value at `path` in nested objects (undefined where one is missing). */
function at(fields: Fields, path: readonly string[]): unknown {
  let value: unknown = fields;
  for (const key of path) value = value === undefined ? undefined : (value as Fields)[key];
  return value;
}

/**
 * An options object, checked key by key against `shape` (problems collected, nested objects
 * too); `preemptiveGeneration: true` reads as `{ enabled: true }`, and an object given for it
 * at all means "on" unless it says otherwise (agents-js takes both).
 */
function readShape(path: string, value: unknown, shape: Shape, problems: string[]): Fields {
  const preemptive = path === 'turnHandling.preemptiveGeneration';
  if (preemptive && typeof value === 'boolean') return { enabled: value };
  const fields: Fields = readObject(path, value, Object.keys(shape), problems, preemptive ? 'true, false or an object' : 'an object');
  if (preemptive) fields.enabled ??= true;
  for (const [key, field] of Object.entries(fields)) {
    if (field === undefined) continue;
    const check = shape[key]!;
    if (typeof check === 'object') {
      fields[key] = readShape(`${path}.${key}`, field, check, problems);
      continue;
    }
    const problem = check(field);
    if (problem) problems.push(`${path}.${key}: ${problem}`);
  }
  return fields;
}
