/**
 * Typed errors. Every failure voxstate reports is one of these, delivered as an `error` event on the
 * object it concerns and logged; `code` is stable for programs, `message` is for people.
 */
import { maskErrorChain, maskSecretValues } from './log/redact.js';

/** Base class of every error voxstate reports. */
export class VoxstateError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    // Messages quote causes (a provider's answer, a user's exception), which may hold a credential;
    // the cause travels with the error, so it is masked too.
    super(maskSecretValues(message), options);
    maskErrorChain(options?.cause);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A listener threw (or rejected) while an event was delivered; the other listeners still ran. */
export class ListenerError extends VoxstateError {
  constructor(
    readonly event: string | symbol,
    cause: unknown,
  ) {
    super('listener_failed', `a listener of "${String(event)}" failed: ${describe(cause)}`, { cause });
  }
}

/** A call was made on an object that is closing or closed. */
export class ClosedError extends VoxstateError {
  constructor(what: string, call: string, state: string) {
    super('closed', `${what} is ${state}: ${call} is not possible any more`);
  }
}

/** A call was made before the object was started. */
export class NotStartedError extends VoxstateError {
  constructor(what: string, call: string) {
    super('not_started', `${what} has not been started: call start() before ${call}`);
  }
}

/** An interruption was refused: the speech does not allow interruptions and force was not set. */
export class InterruptionRefusedError extends VoxstateError {
  constructor(speechId: string) {
    super(
      'interruption_refused',
      `speech ${speechId} does not allow interruptions; pass { force: true } to interrupt it anyway`,
    );
  }
}

/**
 * The program is set up wrong (its options, its tools, its agent module, its command line):
 * nothing at run time can make it work. The CLI prints the message on one line and exits 2, also
 * when the error comes out of the entrypoint.
 */
export class ConfigurationError extends VoxstateError {}

/**
 * Options that cannot be honoured: an unknown key, a value of the wrong kind, a setting voxstate
 * does not have, or one setting given twice. Thrown by the constructor that received them, with
 * every problem found, each naming its key and what is accepted.
 */
export class InvalidOptionsError extends ConfigurationError {
  constructor(
    /** Whose options, e.g. "AgentSession", "inference.STT". */
    readonly owner: string,
    readonly problems: readonly string[],
  ) {
    super('invalid_options', `${owner} options: ${problems.join('; ')}`);
  }
}

/** A user hook (onEnter, onExit, onUserTurnCompleted, a tool) threw or rejected. */
export class HookError extends VoxstateError {
  constructor(
    readonly hook: string,
    readonly owner: string,
    cause: unknown,
  ) {
    super('hook_failed', `${owner}.${hook} failed: ${describe(cause)}`, { cause });
  }
}

/** Something did not finish within its bound. */
export class TimeoutError extends VoxstateError {
  constructor(
    readonly phase: string,
    readonly timeoutMs: number,
  ) {
    super('timeout', `${phase} did not finish within ${timeoutMs} ms`);
  }
}

/** The entrypoint of a job threw or rejected. */
export class EntrypointError extends VoxstateError {
  constructor(
    readonly jobId: string,
    cause: unknown,
  ) {
    super('entrypoint_failed', `the entrypoint of job ${jobId} failed: ${describe(cause)}`, { cause });
  }
}

/** A shutdown callback threw or rejected; the other callbacks were not affected. */
export class ShutdownCallbackError extends VoxstateError {
  constructor(
    readonly callback: string,
    cause: unknown,
  ) {
    super('shutdown_callback_failed', `shutdown callback ${callback} failed: ${describe(cause)}`, { cause });
  }
}

/** A shutdown phase of a job failed. */
export class ShutdownPhaseError extends VoxstateError {
  constructor(
    readonly phase: string,
    cause: unknown,
  ) {
    super('shutdown_phase_failed', `shutdown phase "${phase}" failed: ${describe(cause)}`, { cause });
  }
}

/** The job's metadata is not what the entrypoint expected. */
export class JobMetadataError extends VoxstateError {
  constructor(jobId: string, problem: string, cause?: unknown) {
    super('invalid_job_metadata', `job ${jobId}: metadata ${problem}`, { cause });
  }
}

/** An event that the actor's statechart does not know was sent to it; it was not delivered. */
export class UnknownEventError extends VoxstateError {
  constructor(actor: string, event: unknown) {
    super('unknown_event', `${actor} does not accept ${describeEvent(event)}; the event was dropped`);
  }
}

/** Arguments of a function tool call did not match the tool's parameters. */
export class ToolArgumentsError extends VoxstateError {
  constructor(tool: string, problem: string) {
    super('invalid_tool_arguments', `tool ${tool}: ${problem}`);
  }
}

/** Turns whatever was thrown into one readable line. */
export function describe(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  if (typeof cause === 'string') return cause;
  try {
    return JSON.stringify(cause) ?? String(cause);
  } catch {
    return String(cause);
  }
}

function describeEvent(event: unknown): string {
  if (event && typeof event === 'object' && 'type' in event) return `event "${String((event as { type: unknown }).type)}"`;
  return `a malformed event (${describe(event)})`;
}
